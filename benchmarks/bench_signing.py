#!/usr/bin/env python3
"""Signing-core throughput beside sigstore-python, measured in the same run.

* ours, key bundle: the conformance ``managed-key-happy-path`` bundle (hashedrekord entry with
  SET, inclusion proof and signed checkpoint) verified by our own code — signature, tlog body
  binding, SET, Merkle proof, checkpoint — per second. sigstore-python cannot verify it at all.
* ours, keyless: ``happy-path-v0.3`` through ``verify.verify_bundle`` (our strict parse and
  identity match, then sigstore-python for chain/SCT/tlog) per second;
* peer: ``sigstore.verify.Verifier.verify_artifact`` on the same keyless bundle, in-process;
* ours, sign: ``sign_digest`` (Statement v1 + DSSE + bundle) per second, and the cost of
  opening a cosign.key (scrypt N=2^16, r=8, p=1).

    python benchmarks/bench_signing.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplychain.model.digest import Digest  # noqa: E402
from supplychain.signing import keys, sign, trustroot, verify  # noqa: E402
from supplychain.signing.identity import Identity  # noqa: E402

CASES = ROOT.parent / "shared" / "conformance" / "bundle-verify"
IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"


def rate(label: str, action: Callable[[], object], seconds: float) -> float:
    action()  # warm-up (imports, trust-root parsing caches)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        action()
        count += 1
    per_second = count / (time.perf_counter() - started)
    print(f"{label:<58} {per_second:10.1f} /s  ({1000 / per_second:7.2f} ms each)")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    if not CASES.is_dir():
        sys.exit(f"{CASES} is absent")
    artifact = (CASES / "a.txt").read_bytes()
    digest = Digest.of(artifact)

    managed = CASES / "managed-key-happy-path"
    key_bundle = (managed / "bundle.sigstore.json").read_bytes()
    key = verify.KeyAuthority(keys.load_public_key_file(managed / "key.pub"))
    root = trustroot.production()
    rate(
        "ours: key bundle (sig + tlog binding + SET + proof)",
        lambda: verify.verify_bundle(key_bundle, digest, key, expect=None, trust=root),
        args.seconds,
    )

    keyless_bundle = (CASES / "happy-path-v0.3" / "bundle.sigstore.json").read_bytes()
    identity = Identity(subject=IDENTITY, issuer=ISSUER)
    rate(
        "ours: keyless bundle (strict parse + sigstore-python)",
        lambda: verify.verify_bundle(keyless_bundle, digest, identity, expect=None),
        args.seconds,
    )

    from sigstore.models import Bundle
    from sigstore.verify import Verifier, policy

    verifier = Verifier.production(offline=True)
    peer_policy = policy.Identity(identity=IDENTITY, issuer=ISSUER)

    def peer() -> None:
        verifier.verify_artifact(artifact, Bundle.from_json(keyless_bundle), peer_policy)

    rate("peer: sigstore-python verify_artifact (same keyless bundle)", peer, args.seconds)

    private = keys.generate()
    rate(
        "ours: sign_digest (statement + DSSE + bundle, P-256)",
        lambda: sign.sign_digest(digest, private),
        args.seconds,
    )
    cosign_key = private.to_cosign(b"pw")
    started = time.perf_counter()
    keys.load_private_key(cosign_key, lambda: b"pw")
    print(
        f"{'ours: open cosign.key (scrypt N=2^16 r=8 p=1)':<58} "
        f"{(time.perf_counter() - started) * 1000:10.1f} ms"
    )


if __name__ == "__main__":
    main()
