"""A tiny in-test transparency log: our own log key, entries, SETs, proofs, checkpoints.

Real Rekor needs the network, so tests that must *produce* tlog evidence (transplant attacks,
wrong log keys) run a log here, under a trusted root that names its key. The Merkle code is
written from RFC 6962 independently of the library's verifier.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _mth(leaves: list[bytes]) -> bytes:
    """Merkle tree hash of leaf *hashes* (RFC 6962 §2.1)."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def _path(index: int, leaves: list[bytes]) -> list[bytes]:
    """Audit path for leaf ``index`` (RFC 6962 §2.1.1), bottom-up."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if index < k:
        return [*_path(index, leaves[:k]), _mth(leaves[k:])]
    return [*_path(index - k, leaves[k:]), _mth(leaves[:k])]


@dataclass
class FakeLog:
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    bodies: list[bytes] = field(default_factory=list)
    name: str = "fake.log.test"

    @property
    def der(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @property
    def log_id(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    def trusted_root(self, *, start: str = "2020-01-01T00:00:00Z") -> bytes:
        doc = {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [
                {
                    "baseUrl": "https://fake.log.test",
                    "hashAlgorithm": "SHA2_256",
                    "publicKey": {
                        "rawBytes": _b64(self.der),
                        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                        "validFor": {"start": start},
                    },
                    "logId": {"keyId": _b64(self.log_id)},
                }
            ],
            "certificateAuthorities": [],
            "ctlogs": [],
            "timestampAuthorities": [],
        }
        return json.dumps(doc).encode()

    def _sign(self, data: bytes) -> bytes:
        return self.key.sign(data, ec.ECDSA(hashes.SHA256()))

    def add(
        self, body: bytes, *, integrated_time: int = 1_700_000_000, proof: bool = True
    ) -> dict[str, Any]:
        """Append ``body`` and return the bundle ``tlogEntries[]`` item for it."""
        self.bodies.append(body)
        index = len(self.bodies) - 1
        payload = {
            "body": _b64(body),
            "integratedTime": integrated_time,
            "logIndex": index,
            "logID": self.log_id.hex(),
        }
        entry: dict[str, Any] = {
            "logIndex": str(index),
            "logId": {"keyId": _b64(self.log_id)},
            "kindVersion": {
                "kind": json.loads(body)["kind"],
                "version": json.loads(body)["apiVersion"],
            },
            "integratedTime": str(integrated_time),
            "inclusionPromise": {"signedEntryTimestamp": _b64(self._sign(rfc8785.dumps(payload)))},
            "canonicalizedBody": _b64(body),
        }
        if proof:
            entry["inclusionProof"] = self.proof(index)
        return entry

    def proof(self, index: int) -> dict[str, Any]:
        leaves = [hashlib.sha256(b"\x00" + b).digest() for b in self.bodies]
        root = _mth(leaves)
        note = f"{self.name} - 42\n{len(leaves)}\n{_b64(root)}\n"
        sig = self._sign(note.encode())
        checkpoint = note + "\n" + f"\u2014 {self.name} {_b64(self.log_id[:4] + sig)}\n"
        return {
            "logIndex": str(index),
            "rootHash": _b64(root),
            "treeSize": str(len(leaves)),
            "hashes": [_b64(h) for h in _path(index, leaves)],
            "checkpoint": {"envelope": checkpoint},
        }


def hashedrekord_body(artifact_sha256: bytes, signature: bytes, public_pem: bytes) -> bytes:
    doc = {
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": artifact_sha256.hex()}},
            "signature": {"content": _b64(signature), "publicKey": {"content": _b64(public_pem)}},
        },
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def dsse_body(payload: bytes, signature: bytes, public_pem: bytes) -> bytes:
    doc = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {"algorithm": "sha256", "value": "00" * 32},
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [{"signature": _b64(signature), "verifier": _b64(public_pem)}],
        },
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
