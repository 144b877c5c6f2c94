"""Pull every layer of a ~200 MB image from a local registry: ours beside skopeo, same run.

What is measured:

* ours: a child process that resolves the tag, fetches the manifest by digest (verified) and
  streams every layer through :meth:`RegistryClient.open_blob` (sha256 + size checked while
  reading, nothing kept), 4 layers at a time;
* peer: ``skopeo copy docker://… oci:DIR`` of the same image — it also verifies each blob's
  digest, and it writes the blobs to disk, which we do not (noted in the output).

Both talk to the same real ``docker-registry`` on 127.0.0.1. Wall time is measured around
each child; our peak RSS is the child's own ``VmHWM``. Prints both wall times, the ratio
ours/peer and our peak RSS (target: ratio <= 1.0, RSS under 100 MB: streams, not buffers).

Usage: ``python benchmarks/bench_pull.py [--size-mb 200] [--layers 4] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from supplychain.model import Digest  # noqa: E402
from supplychain.oci import mediatypes as mt  # noqa: E402
from supplychain.oci.auth import Anonymous  # noqa: E402
from supplychain.oci.registry import RegistryClient  # noqa: E402
from tests.fixtures.registry import start_registry  # noqa: E402

PULL = """
import sys
from concurrent.futures import ThreadPoolExecutor
from supplychain.oci.auth import Anonymous
from supplychain.oci.manifest import ImageManifest
from supplychain.oci.registry import RegistryClient

host, repo, tag = sys.argv[1:4]
client = RegistryClient(host, credentials=Anonymous())
desc = client.resolve(repo, tag)
manifest = client.get_manifest(repo, desc.digest, expected=desc).manifest
assert isinstance(manifest, ImageManifest)

def pull(layer):
    with client.open_blob(repo, layer) as stream:
        total = sum(len(chunk) for chunk in stream.chunks())
        assert stream.verified
    return total

with ThreadPoolExecutor(4) as pool:
    total = sum(pool.map(pull, manifest.layers))
# VmHWM is this process's own peak RSS (ru_maxrss would include the parent's at fork time).
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(total, int(hwm.split()[1]) * 1024)
"""


def run_measured(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    """Wall seconds and standard output of one child process."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.PIPE, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with exit code {done.returncode}")
    return wall, done.stdout.decode()


def layer_pieces(index: int, size: int, block: bytes) -> Iterator[bytes]:
    """Deterministic, incompressible layer bytes, generated piece by piece (never held)."""
    left, counter = size, 0
    while left > 0:
        piece = (index.to_bytes(4, "big") + counter.to_bytes(8, "big") + block[12:])[:left]
        yield piece
        left -= len(piece)
        counter += 1


def build_image(client: RegistryClient, repo: str, size_mb: int, layers: int) -> None:
    """Random layers pushed with chunked uploads (two passes: hash, then upload)."""
    per_layer = size_mb * 1024 * 1024 // layers
    block = os.urandom(1024 * 1024)
    descriptors = []
    for index in range(layers):
        hasher = hashlib.sha256()
        for piece in layer_pieces(index, per_layer, block):
            hasher.update(piece)
        digest = Digest("sha256", hasher.hexdigest())
        client.push_blob_chunks(repo, layer_pieces(index, per_layer, block), digest, per_layer)
        descriptors.append(
            {"mediaType": mt.OCI_LAYER_GZIP, "digest": str(digest), "size": per_layer}
        )
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    client.push_blob(repo, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "config": {
            "mediaType": mt.OCI_CONFIG,
            "digest": str(Digest.of(config)),
            "size": len(config),
        },
        "layers": descriptors,
    }
    client.put_manifest(repo, json.dumps(manifest).encode(), mt.OCI_MANIFEST, tag="bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    skopeo = shutil.which("skopeo")
    if shutil.which("docker-registry") is None:
        raise SystemExit("docker-registry is not installed (apt-get install docker-registry)")
    with tempfile.TemporaryDirectory() as tmp:
        server = start_registry(Path(tmp) / "registry")
        try:
            client = RegistryClient(server.host, credentials=Anonymous())
            repo = "bench/pull"
            print(f"building a {args.size_mb} MB image in {args.layers} layers ...")
            build_image(client, repo, args.size_mb, args.layers)
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            ours_argv = [sys.executable, "-c", PULL, server.host, repo, "bench"]
            ours, rss = [], []
            peer: list[float] = []
            for round_ in range(args.repeat):
                wall, output = run_measured(ours_argv, env)
                pulled, peak = (int(x) for x in output.split())
                if pulled != args.size_mb * 1024 * 1024 // args.layers * args.layers:
                    raise SystemExit(f"pulled {pulled} bytes, expected the whole image")
                ours.append(wall)
                rss.append(peak)
                if skopeo:
                    out = Path(tmp) / f"skopeo-{round_}"
                    wall, _ = run_measured(
                        [
                            skopeo,
                            "copy",
                            "--quiet",
                            "--src-tls-verify=false",
                            f"docker://{server.host}/{repo}:bench",
                            f"oci:{out}:bench",
                        ]
                    )
                    peer.append(wall)
                    shutil.rmtree(out, ignore_errors=True)
        finally:
            server.stop()
    best_ours = min(ours)
    print(f"image: {args.size_mb} MB in {args.layers} layers; best of {args.repeat} runs")
    peak_mb = max(rss) / 2**20
    print(f"supplychain pull (verify, discard): {best_ours:6.2f} s   peak RSS {peak_mb:.0f} MB")
    if peer:
        best_peer = min(peer)
        print(f"skopeo copy (verify, write to disk): {best_peer:6.2f} s")
        print(f"ratio ours/skopeo: {best_ours / best_peer:.2f}")
    else:
        print("skopeo not installed (apt-get install skopeo): no peer figure")


if __name__ == "__main__":
    main()
