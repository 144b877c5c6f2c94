"""The layer builder (testdata/layers/make_layers.py), loaded as a module."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

MAKE_LAYERS = Path(__file__).resolve().parents[3] / "testdata" / "layers" / "make_layers.py"


def load_make_layers() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_layers", MAKE_LAYERS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_layers", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def ml() -> ModuleType:
    return load_make_layers()
