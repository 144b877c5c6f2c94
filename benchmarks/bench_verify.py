#!/usr/bin/env python3
"""Verifying 200 key-signed images on a local registry, beside sigstore-python on blob bundles.

Starts the real CNCF registry (Debian ``docker-registry``) on 127.0.0.1, pushes 200 tiny
images over 20 repositories, signs each with one ECDSA P-256 key (the default cosign v3
referrer layout, which on this registry also writes the fallback index; with ``--legacy``
the ``.sig`` tag layout instead), then verifies every image exactly as
``supplychain verify IMAGE --policy policies/verify-key-offline.yaml`` does (the shipped
example policy, with the benchmark's public key as ``keys/release.pub``; key signatures are
offline, and a policy file is the only way to waive the transparency log for them): resolve
the tag once, GET the manifest by digest, discover referrers, fetch the referrer manifest and
bundle by digest, verify the signature and the subject binding, apply the rule.

Printed, from the same run:

* ours: images/s and HTTP round trips per image (counted at the HTTP layer, auth included);
* peer, for scale: ``sigstore verify identity --offline`` (sigstore-python 4.5.1, the
  Sigstore conformance happy-path v0.3 blob bundle) — per CLI process, and in-process through
  ``sigstore.verify.Verifier.verify_artifact`` in a loop. The peer verifies a keyless bundle
  (certificate chain, SCT, tlog inclusion proof) and makes no registry calls, so the
  comparison shows the cost of the registry work against the cost of the cryptography.

    python benchmarks/bench_verify.py [--images 200] [--legacy] [--peer-cli-runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplychain.oci.reference import ImageRef  # noqa: E402
from supplychain.oci.registry import RegistryClient  # noqa: E402
from supplychain.signing import keys  # noqa: E402
from supplychain.signing.policy import load_policy  # noqa: E402
from supplychain.store.authority import KeySigner  # noqa: E402
from supplychain.store.client import RegistryStore  # noqa: E402
from supplychain.store.policy_check import verify_with_policy  # noqa: E402
from supplychain.store.sign import sign_image  # noqa: E402
from tests.fixtures.registry import push_tiny_image, start_registry  # noqa: E402

CONFORMANCE = ROOT.parent / "shared" / "conformance" / "bundle-verify"
PEER_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
PEER_ISSUER = "https://token.actions.githubusercontent.com"
OFFLINE_POLICY = ROOT / "policies" / "verify-key-offline.yaml"


def _count_requests(client: RegistryClient) -> list[int]:
    counter = [0]
    original = client.http.request

    def counted(*args: object, **kwargs: object) -> object:
        counter[0] += 1
        return original(*args, **kwargs)  # type: ignore[arg-type]

    client.http.request = counted  # type: ignore[method-assign]
    return counter


def ours(images: int, legacy: bool) -> tuple[float, float, int]:
    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    server = start_registry(work / "registry")
    try:
        client = RegistryClient(server.host)
        store = RegistryStore(client)
        key = keys.generate()
        signer = KeySigner(key)
        refs = []
        created = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for i in range(images):
            repo = f"bench/app{i % 20:02d}"
            tag = f"v{i}"
            push_tiny_image(client, repo, tag=tag, seed=f"s{i}", layer_count=1)
            ref = ImageRef.parse(f"{server.host}/{repo}:{tag}")
            sign_image(store, ref, signer, created=created, legacy=legacy, referrer=not legacy)
            refs.append(ref)
        client.close()

        # A fresh client and store, as a verifying process would have.
        client = RegistryClient(server.host)
        counter = _count_requests(client)
        store = RegistryStore(client)
        (work / "keys").mkdir()
        (work / "keys" / "release.pub").write_bytes(key.public_key.pem)
        (work / OFFLINE_POLICY.name).write_bytes(OFFLINE_POLICY.read_bytes())
        policy = load_policy(work / OFFLINE_POLICY.name)
        started = time.perf_counter()
        for ref in refs:
            decision = verify_with_policy(store, ref, policy).decision
            assert decision.allowed and decision.signatures and decision.relaxations, ref
        elapsed = time.perf_counter() - started
        client.close()
        return images / elapsed, counter[0] / images, images
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def peer_cli(runs: int) -> float | None:
    """Seconds per ``sigstore verify identity --offline`` process (median of ``runs``)."""
    sigstore = shutil.which("sigstore")
    case = CONFORMANCE / "happy-path-v0.3"
    if sigstore is None or not case.is_dir():
        return None
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [
                sigstore,
                "verify",
                "identity",
                "--offline",
                "--bundle",
                str(case / "bundle.sigstore.json"),
                "--cert-identity",
                PEER_IDENTITY,
                "--cert-oidc-issuer",
                PEER_ISSUER,
                str(CONFORMANCE / "a.txt"),
            ],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def peer_api(count: int) -> float | None:
    """Bundles/s through sigstore-python's Verifier in one process (offline trust root)."""
    case = CONFORMANCE / "happy-path-v0.3"
    if not case.is_dir():
        return None
    from sigstore.models import Bundle
    from sigstore.verify import Verifier, policy

    verifier = Verifier.production(offline=True)
    raw = (case / "bundle.sigstore.json").read_text()
    artifact = (CONFORMANCE / "a.txt").read_bytes()
    identity = policy.Identity(identity=PEER_IDENTITY, issuer=PEER_ISSUER)
    started = time.perf_counter()
    for _ in range(count):
        verifier.verify_artifact(artifact, Bundle.from_json(raw), identity)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--legacy", action="store_true", help="sign/verify the .sig layout")
    parser.add_argument("--peer-cli-runs", type=int, default=3)
    args = parser.parse_args()

    rate, round_trips, n = ours(args.images, args.legacy)
    layout = "legacy .sig tag" if args.legacy else "v3 bundle referrer + fallback index"
    print(f"supplychain verify --policy {OFFLINE_POLICY.name} ({layout}), {n} images:")
    print(f"  {rate:8.1f} images/s   {round_trips:5.2f} HTTP round trips per image")
    cli = peer_cli(args.peer_cli_runs)
    api = peer_api(args.images)
    if cli is None or api is None:
        print("peer: sigstore CLI or the conformance bundles are missing; not measured")
        return
    print("sigstore-python 4.5.1, keyless blob bundle (conformance happy-path-v0.3), offline:")
    print(
        f"  CLI `sigstore verify identity --offline`: {cli:6.2f} s per process"
        f" ({1 / cli:5.2f} bundles/s)"
    )
    print(f"  in-process Verifier.verify_artifact:      {api:8.1f} bundles/s, 0 round trips")
    print(f"ratio ours/in-process peer: {rate / api:5.2f}x")


if __name__ == "__main__":
    main()
