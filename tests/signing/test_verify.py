"""Verification: digest binding (A), types (B), tlog binding (C), time (G), material mode (H)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path

import pytest

from supplychain.errors import RejectedError, VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import bundle, dsse, intoto, keys, sign, trustroot, verify
from supplychain.signing.identity import Identity
from tests.signing.fakelog import FakeLog, dsse_body, hashedrekord_body

A = Digest.of(b"image A manifest")
B = Digest.of(b"image B manifest")
SPDX = intoto.PREDICATE_TYPES["spdx"]
CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared/conformance/bundle-verify"


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


@pytest.fixture(scope="module")
def authority(key: keys.PrivateKey) -> verify.KeyAuthority:
    return verify.KeyAuthority(key.public_key)


def _verify(
    raw: bytes, digest: Digest, authority: verify.KeyAuthority, **kw: object
) -> verify.Verified:
    kw.setdefault("require_tlog", False)
    return verify.verify_bundle(raw, digest, authority, **kw)  # type: ignore[arg-type]


# --- A: subject/digest binding -------------------------------------------------------------


def test_signature_for_digest_verifies_and_returns_statement(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    result = _verify(sign.sign_digest(A, key), A, authority)
    assert result.kind == "statement" and result.digest == A
    assert result.statement is not None and result.statement.predicate_type == intoto.SIGN_PREDICATE
    assert result.signer == f"key:{key.public_key.fingerprint}"
    assert result.relaxations == ("transparency log not required",)


def test_nt_a2_statement_for_b_presented_for_a(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    with pytest.raises(VerificationError, match="does not name"):
        _verify(sign.sign_digest(B, key), A, authority)


def test_nt_a1_simple_signing_for_b_presented_for_a(key: keys.PrivateKey) -> None:
    payload, signature = sign.sign_simple_signing(B, "ghcr.io/acme/app", key)
    ok = verify.verify_simple_signing(payload, signature, B, key.public_key, require_tlog=False)
    assert ok.simple_signing is not None and ok.simple_signing.digest == B
    with pytest.raises(VerificationError, match="another image"):
        verify.verify_simple_signing(payload, signature, A, key.public_key, require_tlog=False)


def test_simple_signing_bad_signature(key: keys.PrivateKey) -> None:
    payload, signature = sign.sign_simple_signing(A, "r", key)
    with pytest.raises(VerificationError):
        verify.verify_simple_signing(
            payload + b" ", signature, A, key.public_key, require_tlog=False
        )


def test_blob_message_signature_binds_artifact(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    raw = sign.sign_blob(b"chart", key)
    digest = Digest.of(b"chart")
    assert _verify(raw, digest, authority, expect=None).kind == "message"
    with pytest.raises(VerificationError):
        _verify(raw, Digest.of(b"other chart"), authority, expect=None)
    with pytest.raises(VerificationError, match="not a signed statement"):
        _verify(raw, digest, authority)  # a blob signature is never an image signature


# --- B: types ------------------------------------------------------------------------------


def test_nt_b1_b2_spdx_attestation_is_not_slsa_nor_a_signature(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    raw = sign.attest(A, SPDX, {"spdxVersion": "SPDX-2.3"}, key)
    assert _verify(raw, A, authority, expect=SPDX).statement.predicate == {
        "spdxVersion": "SPDX-2.3"
    }  # type: ignore[union-attr]
    with pytest.raises(VerificationError, match="predicateType"):
        _verify(raw, A, authority, expect=intoto.PREDICATE_TYPES["slsaprovenance1"])
    with pytest.raises(VerificationError, match="predicateType"):
        _verify(raw, A, authority)


def _bundle_over(
    payload: bytes, key: keys.PrivateKey, payload_type: str = intoto.PAYLOAD_TYPE
) -> bytes:
    envelope = sign.sign_envelope(payload, key, payload_type=payload_type)
    return bundle.build_key_bundle(envelope, key_hint=sign.key_hint(key))


@pytest.mark.parametrize("payload", [b"not json", b'{"hello": "world"}', b"[1,2]"])
def test_nt_b4_valid_signature_over_non_statement(
    payload: bytes, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    with pytest.raises(VerificationError, match="not a valid statement"):
        _verify(_bundle_over(payload, key), A, authority)


def test_nt_b5_wrong_payload_type(key: keys.PrivateKey, authority: verify.KeyAuthority) -> None:
    statement = intoto.build(A, intoto.SIGN_PREDICATE, {})
    with pytest.raises(VerificationError, match="payloadType"):
        _verify(_bundle_over(statement, key, "application/json"), A, authority)


def test_legacy_envelope_binding_and_type(key: keys.PrivateKey) -> None:
    statement = intoto.build(A, SPDX, {})
    raw = sign.sign_envelope(statement, key).to_json()
    assert (
        verify.verify_envelope(raw, A, key.public_key, expect=SPDX, require_tlog=False).digest == A
    )
    with pytest.raises(VerificationError):
        verify.verify_envelope(raw, B, key.public_key, expect=SPDX, require_tlog=False)
    two = json.loads(raw)
    two["signatures"].append(two["signatures"][0])
    with pytest.raises(VerificationError, match="exactly one"):
        verify.verify_envelope(json.dumps(two).encode(), A, key.public_key, expect=SPDX)


# --- H: material mode ----------------------------------------------------------------------


def test_nt_h3_hint_names_our_key_but_another_key_signed(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    other = keys.generate()
    envelope = sign.sign_envelope(intoto.build(A, intoto.SIGN_PREDICATE, {}), other)
    raw = bundle.build_key_bundle(envelope, key_hint=sign.key_hint(key))
    with pytest.raises(VerificationError, match="does not verify"):
        _verify(raw, A, authority)


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="shared/conformance is absent")
def test_nt_h1_key_authority_given_certificate_bundle(authority: verify.KeyAuthority) -> None:
    raw = (CONFORMANCE / "happy-path-v0.3/bundle.sigstore.json").read_bytes()
    digest = Digest.of((CONFORMANCE / "a.txt").read_bytes())
    with pytest.raises(VerificationError, match="certificate"):
        verify.verify_bundle(raw, digest, authority, expect=None)


def test_nt_h2_keyless_authority_given_key_bundle(key: keys.PrivateKey) -> None:
    identity = Identity(subject="https://github.com/acme/app", issuer="https://issuer")
    with pytest.raises(VerificationError, match="public key"):
        verify.verify_bundle(sign.sign_digest(A, key), A, identity)


# --- C, G: transparency log ----------------------------------------------------------------


def _logged_blob(log: FakeLog, key: keys.PrivateKey, data: bytes, **kw: object) -> bytes:
    """sign_blob + a tlog entry in ``log`` whose body names this signature."""
    raw = sign.sign_blob(data, key)
    doc = json.loads(raw)
    signature = base64.b64decode(doc["messageSignature"]["signature"])
    body = hashedrekord_body(hashlib.sha256(data).digest(), signature, key.public_key.pem)
    doc["verificationMaterial"]["tlogEntries"] = [log.add(body, **kw)]  # type: ignore[arg-type]
    return json.dumps(doc).encode()


@pytest.fixture()
def log() -> FakeLog:
    return FakeLog()


def _root(log: FakeLog) -> trustroot.TrustedRoot:
    return trustroot.parse(log.trusted_root(), source="fake")


def test_logged_blob_verifies_with_set_and_proof(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    for i in range(5):  # several leaves so the proof has real hashes
        _logged_blob(log, key, b"filler %d" % i)
    raw = _logged_blob(log, key, b"chart")
    result = verify.verify_bundle(
        raw, Digest.of(b"chart"), authority, expect=None, trust=_root(log)
    )
    assert result.tlog is not None and result.tlog.has_promise and result.tlog.has_proof
    assert result.tlog.log_index == 5 and result.relaxations == ()


def test_g5_key_bundle_without_tlog_rejected_when_required(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    with pytest.raises(VerificationError, match="no transparency-log entry"):
        verify.verify_bundle(sign.sign_digest(A, key), A, authority, require_tlog=True)


def test_nt_c1_transplanted_entry_rejected(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    x = json.loads(_logged_blob(log, key, b"artifact X"))
    y = json.loads(sign.sign_blob(b"artifact Y", key))
    y["verificationMaterial"]["tlogEntries"] = x["verificationMaterial"]["tlogEntries"]
    with pytest.raises(VerificationError, match="different"):
        verify.verify_bundle(
            json.dumps(y).encode(),
            Digest.of(b"artifact Y"),
            authority,
            expect=None,
            trust=_root(log),
        )


def test_nt_c2_body_hash_differs(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    raw = json.loads(sign.sign_blob(b"data", key))
    signature = base64.b64decode(raw["messageSignature"]["signature"])
    body = hashedrekord_body(hashlib.sha256(b"other").digest(), signature, key.public_key.pem)
    raw["verificationMaterial"]["tlogEntries"] = [log.add(body)]
    with pytest.raises(VerificationError, match="different artifact"):
        verify.verify_bundle(
            json.dumps(raw).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
        )


def test_nt_c3_body_key_differs(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    raw = json.loads(sign.sign_blob(b"data", key))
    signature = base64.b64decode(raw["messageSignature"]["signature"])
    body = hashedrekord_body(
        hashlib.sha256(b"data").digest(), signature, keys.generate().public_key.pem
    )
    raw["verificationMaterial"]["tlogEntries"] = [log.add(body)]
    with pytest.raises(VerificationError, match="different key"):
        verify.verify_bundle(
            json.dumps(raw).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
        )


def test_nt_c4_entry_from_untrusted_log(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    rogue = FakeLog()
    raw = _logged_blob(rogue, key, b"data")
    with pytest.raises(VerificationError, match="not in the trusted root"):
        verify.verify_bundle(raw, Digest.of(b"data"), authority, expect=None, trust=_root(log))


def test_nt_c4_set_by_other_key_with_trusted_log_id(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    rogue = FakeLog()
    doc = json.loads(_logged_blob(rogue, key, b"data", proof=False))
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    entry["logId"]["keyId"] = base64.b64encode(log.log_id).decode()
    with pytest.raises(VerificationError, match="SET"):
        verify.verify_bundle(
            json.dumps(doc).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
        )


def test_corrupted_inclusion_proof_rejected(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    for i in range(3):
        _logged_blob(log, key, b"f%d" % i)
    doc = json.loads(_logged_blob(log, key, b"data"))
    proof = doc["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]
    first = bytearray(base64.b64decode(proof["hashes"][0]))
    first[0] ^= 1
    proof["hashes"][0] = base64.b64encode(bytes(first)).decode()
    with pytest.raises(VerificationError, match="root hash"):
        verify.verify_bundle(
            json.dumps(doc).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
        )


def test_checkpoint_signed_by_other_key_rejected(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    doc = json.loads(_logged_blob(log, key, b"data"))
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    del entry["inclusionPromise"]
    rogue = FakeLog()
    rogue.bodies = list(log.bodies)
    rogue_proof = rogue.proof(0)
    # Keep the rogue's signature but claim the trusted log's key hint.
    note, sigline = rogue_proof["checkpoint"]["envelope"].split("\n\n")
    name, blob = sigline.strip()[2:].rsplit(" ", 1)
    forged = base64.b64encode(log.log_id[:4] + base64.b64decode(blob)[4:]).decode()
    rogue_proof["checkpoint"]["envelope"] = f"{note}\n\n\u2014 {name} {forged}\n"
    entry["inclusionProof"] = rogue_proof
    with pytest.raises(VerificationError):
        verify.verify_bundle(
            json.dumps(doc).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
        )


def test_g3_integrated_time_in_future_rejected(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    raw = _logged_blob(log, key, b"data", integrated_time=int(time.time()) + 86400)
    with pytest.raises(VerificationError, match="future"):
        verify.verify_bundle(raw, Digest.of(b"data"), authority, expect=None, trust=_root(log))


def test_log_key_not_yet_valid_rejected(
    key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    log = FakeLog()
    root = trustroot.parse(log.trusted_root(start="2030-01-01T00:00:00Z"), source="fake")
    raw = _logged_blob(log, key, b"data", proof=False)
    with pytest.raises(VerificationError, match="not valid"):
        verify.verify_bundle(raw, Digest.of(b"data"), authority, expect=None, trust=root)


def test_dsse_bundle_with_dsse_entry(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    doc = json.loads(sign.sign_digest(A, key))
    envelope = dsse.from_dict(doc["dsseEnvelope"])
    body = dsse_body(envelope.payload, envelope.signatures[0].sig, key.public_key.pem)
    doc["verificationMaterial"]["tlogEntries"] = [log.add(body)]
    raw = json.dumps(doc).encode()
    assert verify.verify_bundle(raw, A, authority, trust=_root(log)).tlog is not None
    # The same entry on a signature over B (same key) is a transplant.
    other = json.loads(sign.sign_digest(B, key))
    other["verificationMaterial"]["tlogEntries"] = doc["verificationMaterial"]["tlogEntries"]
    with pytest.raises(VerificationError, match="different"):
        verify.verify_bundle(json.dumps(other).encode(), B, authority, trust=_root(log))


def _legacy_rekor_bundle(entry: dict[str, object]) -> bytes:
    return json.dumps(
        {
            "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],  # type: ignore[index]
            "Payload": {
                "body": entry["canonicalizedBody"],
                "integratedTime": int(entry["integratedTime"]),  # type: ignore[call-overload]
                "logIndex": int(entry["logIndex"]),  # type: ignore[call-overload]
                "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),  # type: ignore[index]
            },
        }
    ).encode()


def test_legacy_sig_with_rekor_bundle(log: FakeLog, key: keys.PrivateKey) -> None:
    payload, signature = sign.sign_simple_signing(A, "ghcr.io/acme/app", key)
    body = hashedrekord_body(hashlib.sha256(payload).digest(), signature, key.public_key.pem)
    rekor = _legacy_rekor_bundle(log.add(body, proof=False))
    result = verify.verify_simple_signing(
        payload, signature, A, key.public_key, rekor_bundle=rekor, trust=_root(log)
    )
    assert result.tlog is not None and result.tlog.integrated_time == 1_700_000_000
    # NT-C1 in the legacy layout: the same Rekor bundle on another signature by the same key.
    payload_b, signature_b = sign.sign_simple_signing(B, "ghcr.io/acme/app", key)
    with pytest.raises(VerificationError, match="different"):
        verify.verify_simple_signing(
            payload_b, signature_b, B, key.public_key, rekor_bundle=rekor, trust=_root(log)
        )


def test_nt_c5_corrupted_legacy_rekor_bundle_is_rejection(key: keys.PrivateKey) -> None:
    payload, signature = sign.sign_simple_signing(A, "r", key)
    with pytest.raises(RejectedError):
        verify.verify_simple_signing(
            payload,
            signature,
            A,
            key.public_key,
            rekor_bundle=b'{"SignedEntryTimestamp": "x", "Payload": {',
            require_tlog=False,
        )


def test_streamed_blob_signature_is_a_plain_signature_over_the_bytes(key: keys.PrivateKey) -> None:
    """sign_blob_digest signs prehashed, yet the result verifies over the data (cosign-style)."""
    data = b"x" * 100_000
    doc = json.loads(sign.sign_blob_digest(Digest.of(data), key))
    signature = base64.b64decode(doc["messageSignature"]["signature"])
    key.public_key.verify(signature, data)
    with pytest.raises(VerificationError):
        key.public_key.verify(signature, data + b"y")


def test_g2_integrated_time_without_set_is_not_a_trusted_time(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    doc = json.loads(_logged_blob(log, key, b"data"))
    del doc["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    result = verify.verify_bundle(
        json.dumps(doc).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
    )
    assert result.tlog is not None and result.tlog.has_proof and not result.tlog.has_promise
    assert result.tlog.integrated_time is None


def test_entry_with_neither_promise_nor_proof_rejected(
    log: FakeLog, key: keys.PrivateKey, authority: verify.KeyAuthority
) -> None:
    doc = json.loads(_logged_blob(log, key, b"data"))
    entry = doc["verificationMaterial"]["tlogEntries"][0]
    del entry["inclusionPromise"], entry["inclusionProof"]
    with pytest.raises(VerificationError, match="neither"):
        verify.verify_bundle(
            json.dumps(doc).encode(), Digest.of(b"data"), authority, expect=None, trust=_root(log)
        )
