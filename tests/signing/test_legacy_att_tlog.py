"""Legacy ``.att`` layers with a ``dev.sigstore.cosign/bundle`` annotation (issue 5, gap 2).

The annotation's ``intoto`` 0.0.2 body must name exactly the verified envelope, signature and
key, and its SET must verify under the log chosen by ``logID`` (SECURITY class C).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from supplychain.errors import RejectedError, VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import dsse, intoto, keys, sign, trustroot, verify
from supplychain.signing.policy import BundleCandidate, EnvelopeCandidate, evaluate, parse_policy
from tests.signing.fakelog import FakeLog

A = Digest.of(b"image A manifest")
B = Digest.of(b"image B manifest")
SPDX = intoto.PREDICATE_TYPES["spdx"]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _intoto_body(
    envelope: dsse.Envelope, public_pem: bytes, *, stored: bytes | None = None
) -> bytes:
    """An intoto 0.0.2 body as Rekor records it, written independently of the library.

    ``stored``: hash these exact envelope bytes (cosign's way) instead of the canonical form.
    """
    signature = envelope.signatures[0]
    whole_sig: dict[str, str] = {"sig": _b64(signature.sig), "publicKey": public_pem.decode()}
    body_sig = {"sig": _b64(_b64(signature.sig).encode()), "publicKey": _b64(public_pem)}
    if signature.keyid:
        whole_sig["keyid"] = body_sig["keyid"] = signature.keyid
    whole = {
        "payloadType": envelope.payload_type,
        "payload": _b64(envelope.payload),
        "signatures": [whole_sig],
    }
    content = {
        "envelope": {"payloadType": envelope.payload_type, "signatures": [body_sig]},
        "hash": {
            "algorithm": "sha256",
            "value": hashlib.sha256(stored if stored else rfc8785.dumps(whole)).hexdigest(),
        },
        "payloadHash": {
            "algorithm": "sha256",
            "value": hashlib.sha256(envelope.payload).hexdigest(),
        },
    }
    doc = {"apiVersion": "0.0.2", "kind": "intoto", "spec": {"content": content}}
    return json.dumps(doc).encode()


def _rekor_annotation(entry: dict[str, Any]) -> bytes:
    """The cosign ``bundle`` annotation for a tlog entry (SET, no proof)."""
    return json.dumps(
        {
            "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
            "Payload": {
                "body": entry["canonicalizedBody"],
                "integratedTime": int(entry["integratedTime"]),
                "logIndex": int(entry["logIndex"]),
                "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
            },
        }
    ).encode()


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


@pytest.fixture
def log() -> FakeLog:
    return FakeLog()


def _att(subject: Digest, key: keys.PrivateKey, log: FakeLog) -> tuple[bytes, bytes]:
    """A cosign-style ``.att`` envelope (empty keyid) and its logged Rekor annotation."""
    envelope = sign.sign_envelope(intoto.build(subject, SPDX, {"n": 1}), key)
    envelope = dsse.Envelope(
        envelope.payload_type, envelope.payload, (dsse.Signature("", envelope.signatures[0].sig),)
    )
    body = _intoto_body(envelope, key.public_key.pem)
    return envelope.to_json(), _rekor_annotation(log.add(body, proof=False))


def _root(log: FakeLog) -> trustroot.TrustedRoot:
    return trustroot.parse(log.trusted_root(), source="fake")


def test_logged_att_verifies_with_its_entry(key: keys.PrivateKey, log: FakeLog) -> None:
    raw, rekor = _att(A, key, log)
    result = verify.verify_envelope(
        raw, A, key.public_key, expect=SPDX, rekor_bundle=rekor, trust=_root(log)
    )
    assert result.tlog is not None and result.tlog.integrated_time == 1_700_000_000
    assert result.relaxations == () and result.statement is not None


def test_cosign_hash_of_the_stored_envelope_bytes_is_accepted(
    key: keys.PrivateKey, log: FakeLog
) -> None:
    raw, _ = _att(A, key, log)
    envelope = dsse.parse(raw)
    body = _intoto_body(envelope, key.public_key.pem, stored=raw)
    rekor = _rekor_annotation(log.add(body, proof=False))
    result = verify.verify_envelope(
        raw, A, key.public_key, expect=SPDX, rekor_bundle=rekor, trust=_root(log)
    )
    assert result.tlog is not None
    # The same envelope re-serialised (other bytes, same signature) no longer matches the hash.
    respaced = json.dumps(json.loads(raw), indent=1).encode()
    with pytest.raises(VerificationError, match="envelope hash"):
        verify.verify_envelope(
            respaced, A, key.public_key, expect=SPDX, rekor_bundle=rekor, trust=_root(log)
        )


def test_att_without_entry_rejected_when_log_required(key: keys.PrivateKey, log: FakeLog) -> None:
    raw, _ = _att(A, key, log)
    with pytest.raises(VerificationError, match="no transparency-log entry"):
        verify.verify_envelope(raw, A, key.public_key, expect=SPDX, trust=_root(log))
    waived = verify.verify_envelope(raw, A, key.public_key, expect=SPDX, require_tlog=False)
    assert waived.tlog is None and waived.relaxations


def test_nt_c1_entry_transplanted_to_another_att(key: keys.PrivateKey, log: FakeLog) -> None:
    _, rekor_a = _att(A, key, log)
    raw_b, _ = _att(B, key, log)
    with pytest.raises(VerificationError, match="different"):
        verify.verify_envelope(
            raw_b, B, key.public_key, expect=SPDX, rekor_bundle=rekor_a, trust=_root(log)
        )


def test_entry_by_another_signer_rejected(key: keys.PrivateKey, log: FakeLog) -> None:
    raw, _ = _att(A, key, log)
    envelope = dsse.parse(raw)
    other = keys.generate()
    rekor = _rekor_annotation(log.add(_intoto_body(envelope, other.public_key.pem), proof=False))
    with pytest.raises(VerificationError, match="different signer"):
        verify.verify_envelope(
            raw, A, key.public_key, expect=SPDX, rekor_bundle=rekor, trust=_root(log)
        )


def test_nt_c4_entry_from_an_untrusted_log(key: keys.PrivateKey, log: FakeLog) -> None:
    raw, rekor = _att(A, key, log)
    with pytest.raises(VerificationError, match="not in the trusted root"):
        verify.verify_envelope(
            raw, A, key.public_key, expect=SPDX, rekor_bundle=rekor, trust=_root(FakeLog())
        )


def test_nt_c4_set_forged_by_another_key(key: keys.PrivateKey, log: FakeLog) -> None:
    raw, rekor = _att(A, key, log)
    forged = FakeLog()
    doc = json.loads(rekor)
    payload = doc["Payload"]
    resigned = forged._sign(rfc8785.dumps(payload))  # right logID, wrong key
    doc["SignedEntryTimestamp"] = _b64(resigned)
    with pytest.raises(RejectedError):
        verify.verify_envelope(
            raw,
            A,
            key.public_key,
            expect=SPDX,
            rekor_bundle=json.dumps(doc).encode(),
            trust=_root(log),
        )


def test_nt_c5_corrupt_annotation_is_a_rejection_even_when_waived(
    key: keys.PrivateKey, log: FakeLog
) -> None:
    raw, _ = _att(A, key, log)
    with pytest.raises(RejectedError):
        verify.verify_envelope(
            raw,
            A,
            key.public_key,
            expect=SPDX,
            rekor_bundle=b'{"SignedEntryTimestamp": "x", "Payload": {',
            require_tlog=False,
        )


def test_policy_requiring_the_log_counts_a_logged_att(
    key: keys.PrivateKey, log: FakeLog, tmp_path: Path
) -> None:
    (tmp_path / "k.pub").write_bytes(key.public_key.pem)
    root = log.trusted_root()
    (tmp_path / "root.json").write_bytes(root)
    pin = hashlib.sha256(root).hexdigest()
    policy = parse_policy(
        "apiVersion: supplychain.dev/v1\nkind: VerifyPolicy\n"
        f"trustedRoot: {{path: root.json, sha256: '{pin}'}}\n"
        "rules:\n  - name: r\n    images: ['**']\n"
        "    authorities:\n      - {name: k, key: {path: k.pub}}\n"
        "      - {name: offline, key: {path: k.pub}, transparencyLog: {required: false}}\n"
        f"    attestations:\n      - {{predicateType: '{SPDX}', authorities: [k]}}\n",
        base_dir=tmp_path,
    )
    raw, rekor = _att(A, key, log)
    signed_a = [BundleCandidate(sign.sign_digest(A, key))]
    assert evaluate(policy, "app", A, signed_a, [EnvelopeCandidate(raw, rekor)]).allowed
    assert not evaluate(policy, "app", A, signed_a, [EnvelopeCandidate(raw)]).allowed
    raw_b, _ = _att(B, key, log)
    signed_b = [BundleCandidate(sign.sign_digest(B, key))]
    assert not evaluate(policy, "app", B, signed_b, [EnvelopeCandidate(raw_b, rekor)]).allowed
