"""AH-PERF-001: validate a 10,000-package + 10,000-relationship SPDX document end to end in
< 5 s and < 500 MB, printed beside spdx-tools (1,000 and 3,000 packages: it is quadratic, so
10,000 takes minutes) and ntia-conformance-checker, all measured in this same run.

Each measurement runs in a fresh child process, so import time is included for everyone and
peak memory (ru_maxrss) is the child's own.
Run: python benchmarks/bench_validate.py [--skip-peers]
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "testdata" / "validation" / "make_corpus.py"

OURS = """
import sys
from supplychain.validation import load_profile, validate_file
report = validate_file(sys.argv[1], load_profile("artifacthub"))
print(report.counts())
"""
SPDX_TOOLS = """
import sys
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document
print(len(validate_full_spdx_document(parse_file(sys.argv[1]))), "messages")
"""
NCC = """
import sys
from ntia_conformance_checker import SbomChecker
checker = SbomChecker(sys.argv[1], validate=False, compliance="ntia")
print("compliant" if checker.compliant else "not compliant")
"""


def make_corpus_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("make_corpus", CORPUS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child would inherit this parent's peak.
_PEAK = (
    "\nfor _line in open('/proc/self/status'):\n"
    "    if _line.startswith('VmHWM:'):\n        print(_line.split()[1])\n"
)


def measure(code: str, path: Path) -> tuple[float, float, str]:
    """(wall seconds, the child's own peak RSS in MB, its result line) of ``code`` on ``path``."""
    cmd = [sys.executable, "-c", code + _PEAK, str(path)]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"child failed: {done.stderr[-500:]}")
    *_, result, peak_kb = done.stdout.strip().splitlines()
    return wall, int(peak_kb) / 1024, result


def main() -> None:
    skip_peers = "--skip-peers" in sys.argv
    corpus = make_corpus_module()
    rows: list[tuple[str, int, float, float, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for count in (1000, 3000, 10000):
            path = Path(tmp) / f"big{count}.spdx.json"
            path.write_text(json.dumps(corpus.big(count), indent=1))
            paths[count] = path
        for count in (1000, 3000, 10000):
            rows.append(("supplychain (own+schema)", count, *measure(OURS, paths[count])))
        if not skip_peers:
            for count in (1000, 3000):
                rows.append(("spdx-tools 0.8.5", count, *measure(SPDX_TOOLS, paths[count])))
            rows.append(("ntia-conformance-checker", 10000, *measure(NCC, paths[10000])))
        size_mb = paths[10000].stat().st_size / 1e6
    print(f"big10000: 10,000 packages + 10,000 DEPENDS_ON, {size_mb:.1f} MB")
    print(f"{'validator':28} {'packages':>8} {'wall s':>8} {'peak MB':>8}  result")
    for name, count, wall, peak, result in rows:
        print(f"{name:28} {count:>8} {wall:>8.2f} {peak:>8.0f}  {result}")
    ours = next(r for r in rows if r[0].startswith("supplychain") and r[1] == 10000)
    verdict = "PASS" if ours[2] < 5 and ours[3] < 500 else "FAIL"
    print(f"AH-PERF-001 (< 5 s, < 500 MB at 10,000): {verdict}")


if __name__ == "__main__":
    main()
