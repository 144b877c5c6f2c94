"""AH-PERF-001: 10,000 packages + 10,000 relationships validated end to end in < 5 s.

The figure beside spdx-tools is printed by benchmarks/bench_validate.py; this test only guards
the requirement (in-process, so interpreter start-up is not counted; the benchmark counts it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from supplychain.validation import load_profile, validate_file
from tests.validation.corpus import make_corpus


def test_big10000_under_five_seconds(tmp_path: Path) -> None:
    path = tmp_path / "big10000.spdx.json"
    path.write_text(json.dumps(make_corpus.big(10_000), indent=1))
    profile = load_profile("artifacthub")
    small = tmp_path / "small.spdx.json"
    small.write_text(json.dumps(make_corpus.big(10), indent=1))
    validate_file(small, profile)  # warm imports and the compiled schema
    start = time.perf_counter()
    report = validate_file(path, profile)
    elapsed = time.perf_counter() - start
    assert report.counts()["error"] == 0
    assert elapsed < 5.0, f"{elapsed:.2f} s"
