"""Read and verify every layer of a ~200 MB OCI layout: ours beside skopeo, same run.

What is measured:

* ours: ``supplychain inspect --verify --platform all oci:DIR`` — every layer streamed once,
  compressed sha256 + size checked, gunzipped, uncompressed sha256 checked against diff_id;
* peer: ``skopeo copy oci:DIR oci:OUT`` — reads every blob, verifies its digest and writes it
  to a new layout (skopeo does not decompress; it writes, which we do not). If skopeo is not
  installed (Debian package ``skopeo``), a coreutils baseline runs instead
  (``sha256sum`` of each blob plus ``gzip -dc | sha256sum``: the same work as ours, no parsing).

Each command runs in its own process; wall time and peak RSS come from ``os.wait4``.
Prints both wall times, the ratio ours/peer and our peak RSS (target: streams, not buffers —
peak RSS far below the image size).

Usage: ``python benchmarks/bench_sources.py [--size-mb 200] [--layers 4] [--keep DIR]``
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


DIGESTS_ONLY = """
import sys
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.source import open_image_source
with open_image_source(sys.argv[1]) as src:
    for image in src.images(PlatformSelection.all()):
        for layer in image.layers:
            with src.open_layer(layer) as stream:
                while stream.read(1 << 20):
                    pass
"""


def _blob(root: Path, data: bytes, media_type: str) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def _layer_tar(size: int, seed: int) -> bytes:
    """A tar with one member of ``size`` bytes that compresses about 2:1 (realistic-ish)."""
    import io
    import tarfile

    rng = random.Random(seed)
    chunk = bytes(rng.getrandbits(8) for _ in range(64 * 1024))
    text = b"".join(
        chunk[i : i + 512] + b"A" * 512 for i in range(0, len(chunk), 512)
    )  # half random, half runs
    payload = (text * (size // len(text) + 1))[:size]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(f"data/layer{seed}.bin")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def build_layout(root: Path, total_mb: int, layers: int) -> None:
    (root / "blobs" / "sha256").mkdir(parents=True)
    per_layer = total_mb * 1024 * 1024 // layers
    descriptors, diff_ids = [], []
    for n in range(layers):
        tar = _layer_tar(per_layer, n)
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
        descriptors.append(
            _blob(root, gzip.compress(tar, compresslevel=1, mtime=0), OCI_LAYER_GZIP)
        )
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    ).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": _blob(root, config, OCI_CONFIG),
        "layers": descriptors,
    }
    top = _blob(root, json.dumps(manifest).encode(), OCI_MANIFEST)
    top["annotations"] = {"org.opencontainers.image.ref.name": "bench"}
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [top]})
    )
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')


def timed(argv: list[str], *, shell: bool = False) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child process; fails loudly on non-zero exit."""
    start = time.perf_counter()
    process = subprocess.Popen(
        argv if not shell else argv[0],
        shell=shell,  # the baseline pipeline is fixed text of ours
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        err = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{argv[0][:80]} failed ({process.returncode}): {err[-500:]}")
    return wall, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--keep", type=Path, help="build/keep the layout here")
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build_layout(args.build_only, args.size_mb, args.layers)
        return 0

    work = Path(tempfile.mkdtemp(prefix="bench-sources-"))
    try:
        layout = args.keep or work / "layout"
        if not (layout / "index.json").exists():
            t0 = time.perf_counter()
            # built in a child process: a forked child's peak RSS counts the parent's pages
            # until exec, so the parent must stay small for the RSS figures to mean anything
            subprocess.run(
                [sys.executable, __file__, "--build-only", str(layout),
                 "--size-mb", str(args.size_mb), "--layers", str(args.layers)],
                check=True,
            )  # fmt: skip
            print(f"built {args.size_mb} MB layout in {time.perf_counter() - t0:.1f}s: {layout}")
        blob_bytes = sum(p.stat().st_size for p in (layout / "blobs" / "sha256").iterdir())

        ours_cmd = [
            sys.executable, "-m", "supplychain", "-q", "inspect", "--verify",
            "--platform", "all", f"oci:{layout}",
        ]  # fmt: skip
        digests_only_cmd = [sys.executable, "-c", DIGESTS_ONLY, f"oci:{layout}"]
        blobs = layout / "blobs" / "sha256"
        # Same work as --verify, no parsing: hash every blob, gunzip + hash every gzip blob.
        coreutils = (
            f"cd {blobs} && sha256sum * >/dev/null && "
            "for f in *; do gzip -t $f 2>/dev/null && gzip -dc $f | sha256sum >/dev/null; done"
        )
        skopeo = shutil.which("skopeo")
        out = work / "copy"

        def skopeo_copy() -> tuple[float, int]:
            assert skopeo is not None
            shutil.rmtree(out, ignore_errors=True)
            return timed([skopeo, "copy", "-q", f"oci:{layout}:bench", f"oci:{out}:bench"])

        timed(ours_cmd)  # warm the page cache once so nobody pays the first read
        runs = 3
        pairs = [
            (
                "ours: inspect --verify (digest + gunzip + diff_id)",
                lambda: timed(ours_cmd),
                "peer: sha256sum + gzip -dc | sha256sum (coreutils)",
                lambda: timed([coreutils], shell=True),
            )
        ]
        if skopeo:
            pairs.append(
                (
                    "ours: layer streams, digest + size only",
                    lambda: timed(digests_only_cmd),
                    "peer: skopeo copy oci: -> oci: (digests + write)",
                    skopeo_copy,
                )
            )
        else:
            print("skopeo not installed (Debian package skopeo): digest-only pair skipped")
        print(f"image: {blob_bytes / 1e6:.1f} MB of blobs, {args.layers} gzip layers")
        for ours_name, ours_run, peer_name, peer_run in pairs:
            ours = [ours_run() for _ in range(runs)]
            peer = [peer_run() for _ in range(runs)]
            ours_wall, peer_wall = min(w for w, _ in ours), min(w for w, _ in peer)
            ours_rss, peer_rss = max(r for _, r in ours) / 1024, max(r for _, r in peer) / 1024
            print(f"  {ours_name:52s} {ours_wall:6.2f} s  peak RSS {ours_rss:6.1f} MiB")
            print(f"  {peer_name:52s} {peer_wall:6.2f} s  peak RSS {peer_rss:6.1f} MiB")
            print(f"  ratio ours/peer: {ours_wall / peer_wall:.2f}")
        print(f"(best of {runs} runs each, page cache warm)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
