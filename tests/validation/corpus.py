"""Import testdata/validation/make_corpus.py (not a package) for the tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "testdata" / "validation" / "make_corpus.py"
_SPEC = importlib.util.spec_from_file_location("make_corpus", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
make_corpus = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(make_corpus)
