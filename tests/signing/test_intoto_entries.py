"""Keyless (and key) bundles whose Rekor entry is ``intoto`` 0.0.2: our own verifier.

The base material is the conformance case ``intoto-with-custom-trust-root`` (a mock Fulcio CA,
CT log, Rekor and TSA in its trusted root). Each test changes one thing, in the bundle or in
the trusted root, and expects the rejection that names that thing. Body-binding tests re-log a
hand-made body in ``FakeLog`` so that the SET and proof are valid and only the body is wrong.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from supplychain.errors import RejectedError, VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import dsse, intoto_entry, keys, sign, trustroot, verify
from supplychain.signing.identity import Identity
from tests.signing.fakelog import FakeLog

CASES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bundle-verify"
CASE = CASES / "intoto-with-custom-trust-root"
OTHER = CASES / "intoto-tsa-timestamp-outside-cert-validity_fail"
SUBJECT = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"
IDENTITY = Identity(subject=SUBJECT, issuer=ISSUER)
SIGNED_TIME = 1_675_209_600  # 2023-02-01T00:00:00Z, inside the leaf's 10 minutes

pytestmark = pytest.mark.skipif(not CASE.is_dir(), reason="shared/conformance is absent")


def _bundle(case: Path = CASE) -> dict[str, Any]:
    return json.loads((case / "bundle.sigstore.json").read_bytes())  # type: ignore[no-any-return]


def _root_doc() -> dict[str, Any]:
    return json.loads((CASE / "trusted_root.json").read_bytes())  # type: ignore[no-any-return]


def _digest() -> Digest:
    return Digest.of((CASE / "artifact").read_bytes())


def _verify(
    doc: dict[str, Any],
    root: dict[str, Any] | None = None,
    *,
    digest: Digest | None = None,
    identity: Identity = IDENTITY,
) -> verify.Verified:
    trust = trustroot.parse(json.dumps(root or _root_doc()).encode(), source="test root")
    return verify.verify_bundle(
        json.dumps(doc).encode(),
        digest or _digest(),
        identity,
        expect=None,
        trust=trust,
        what="bundle",
    )


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["verificationMaterial"]["tlogEntries"][0]  # type: ignore[no-any-return]


# --- the happy path and what it proves --------------------------------------------------------


def test_happy_case_verifies_with_log_evidence() -> None:
    result = _verify(_bundle())
    assert result.kind == "statement" and result.signer == SUBJECT and result.issuer == ISSUER
    assert result.statement is not None and result.statement.names_digest(_digest())
    assert result.predicate_type == "https://slsa.dev/provenance/v1"
    assert result.tlog is not None and result.tlog.has_promise and result.tlog.has_proof
    assert result.tlog.integrated_time == SIGNED_TIME and result.tlog.log_index == 4288993


def test_envelope_hash_follows_the_published_convention() -> None:
    doc = _bundle()
    body = json.loads(base64.b64decode(_entry(doc)["canonicalizedBody"]))
    envelope = dsse.from_dict(doc["dsseEnvelope"])
    pem = base64.b64decode(body["spec"]["content"]["envelope"]["signatures"][0]["publicKey"])
    assert intoto_entry.envelope_digest(envelope, pem) == body["spec"]["content"]["hash"]["value"]


def test_another_artifact_is_rejected() -> None:
    with pytest.raises(VerificationError, match="does not name"):
        _verify(_bundle(), digest=Digest.of(b"another artifact"))


@pytest.mark.parametrize(
    "identity",
    [
        Identity(subject=SUBJECT + "x", issuer=ISSUER),
        Identity(subject=SUBJECT, issuer="https://accounts.google.com"),
        Identity(subject_regexp="https://github.com/sigstore-conformance/", issuer=ISSUER),
    ],
)
def test_identity_is_matched_exactly(identity: Identity) -> None:
    with pytest.raises(VerificationError, match="does not match"):
        _verify(_bundle(), identity=identity)


# --- the bundle --------------------------------------------------------------------------------


def test_transplanted_entry_is_rejected() -> None:
    doc = _bundle()
    doc["verificationMaterial"]["tlogEntries"] = _bundle(OTHER)["verificationMaterial"][
        "tlogEntries"
    ]
    with pytest.raises(VerificationError, match="tlog body names a different"):
        _verify(doc)


def test_unsigned_keyid_is_still_bound_by_the_entry() -> None:
    doc = _bundle()
    doc["dsseEnvelope"]["signatures"][0]["keyid"] = "attacker"
    with pytest.raises(VerificationError, match="different keyid"):
        _verify(doc)


def test_changed_payload_fails_the_signature() -> None:
    doc = _bundle()
    payload = base64.b64decode(doc["dsseEnvelope"]["payload"]).replace(b"main", b"evil")
    doc["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    with pytest.raises(VerificationError, match="signature does not verify"):
        _verify(doc)


def test_message_signature_with_intoto_entry_is_rejected() -> None:
    doc = _bundle()
    del doc["dsseEnvelope"]
    doc["messageSignature"] = {
        "messageDigest": {
            "algorithm": "SHA2_256",
            "digest": base64.b64encode(bytes.fromhex(_digest().hex)).decode(),
        },
        "signature": "MEUCIQ==",
    }
    with pytest.raises(VerificationError, match="needs a DSSE envelope"):
        _verify(doc)


def test_foreign_set_is_rejected() -> None:
    doc = _bundle()
    _entry(doc)["inclusionPromise"] = _entry(_bundle(OTHER))["inclusionPromise"]
    with pytest.raises(VerificationError, match="log signature does not verify"):
        _verify(doc)


def test_wrong_inclusion_proof_root_is_rejected() -> None:
    doc = _bundle()
    _entry(doc)["inclusionProof"]["rootHash"] = base64.b64encode(b"\x01" * 32).decode()
    with pytest.raises(VerificationError, match="inclusion proof does not lead"):
        _verify(doc)


def test_without_set_the_timestamp_gives_the_time() -> None:
    doc = _bundle()
    del _entry(doc)["inclusionPromise"]
    result = _verify(doc)
    assert result.tlog is not None and result.tlog.integrated_time is None
    assert result.tlog.has_proof and not result.tlog.has_promise


def test_without_set_or_timestamp_there_is_no_time() -> None:
    doc = _bundle()
    del _entry(doc)["inclusionPromise"]
    del doc["verificationMaterial"]["timestampVerificationData"]
    with pytest.raises(VerificationError, match="no verified time"):
        _verify(doc)


def test_timestamp_over_another_signature_is_rejected() -> None:
    doc = _bundle()
    doc["verificationMaterial"]["timestampVerificationData"] = _bundle(OTHER)[
        "verificationMaterial"
    ]["timestampVerificationData"]
    with pytest.raises(VerificationError, match="does not verify under any trusted TSA"):
        _verify(doc)


def test_v01_bundle_needs_a_set() -> None:
    doc = _bundle()
    doc["mediaType"] = "application/vnd.dev.sigstore.bundle+json;version=0.1"
    del _entry(doc)["inclusionPromise"]
    with pytest.raises(VerificationError, match="needs a SET"):
        _verify(doc)


# --- the trusted root ----------------------------------------------------------------------


def _other_key_der() -> bytes:
    return (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def test_root_without_ca_is_rejected() -> None:
    root = _root_doc()
    root["certificateAuthorities"] = []
    with pytest.raises(VerificationError, match="does not chain to a CA"):
        _verify(_bundle(), root)


def test_ca_window_must_contain_the_signing_time() -> None:
    root = _root_doc()
    root["certificateAuthorities"][0]["validFor"] = {"start": "2023-03-01T00:00:00Z"}
    with pytest.raises(VerificationError, match="does not chain to a CA"):
        _verify(_bundle(), root)


def test_root_without_ct_log_is_rejected() -> None:
    root = _root_doc()
    root["ctlogs"] = []
    with pytest.raises(VerificationError, match="no SCT from a CT log"):
        _verify(_bundle(), root)


def test_ct_log_with_another_key_is_rejected() -> None:
    root = _root_doc()
    root["ctlogs"][0]["publicKey"]["rawBytes"] = base64.b64encode(_other_key_der()).decode()
    with pytest.raises(VerificationError, match="SCT"):
        _verify(_bundle(), root)


def test_root_without_tsa_rejects_a_timestamped_bundle() -> None:
    root = _root_doc()
    root["timestampAuthorities"] = []
    with pytest.raises(VerificationError, match="names no TSA"):
        _verify(_bundle(), root)


def test_tsa_window_must_contain_the_timestamp() -> None:
    root = _root_doc()
    root["timestampAuthorities"][0]["validFor"] = {
        "start": "2023-01-01T00:00:00Z",
        "end": "2023-01-31T00:00:00Z",
    }
    with pytest.raises(VerificationError, match="outside the validity window of its TSA"):
        _verify(_bundle(), root)


def test_unknown_log_is_rejected() -> None:
    root = _root_doc()
    root["tlogs"][0]["logId"]["keyId"] = base64.b64encode(b"\x02" * 32).decode()
    with pytest.raises(VerificationError, match="not in the trusted root"):
        _verify(_bundle(), root)


# --- body binding, with a valid SET and proof from FakeLog --------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _intoto_body(envelope: dsse.Envelope, public_pem: bytes) -> dict[str, Any]:
    """An intoto 0.0.2 body as Rekor records it, written independently of the library."""
    signature = envelope.signatures[0]
    hashed_sig: dict[str, str] = {"sig": _b64(signature.sig), "publicKey": public_pem.decode()}
    if signature.keyid:
        hashed_sig["keyid"] = signature.keyid
    whole = {
        "payloadType": envelope.payload_type,
        "payload": _b64(envelope.payload),
        "signatures": [hashed_sig],
    }
    body_sig = {"sig": _b64(_b64(signature.sig).encode()), "publicKey": _b64(public_pem)}
    if signature.keyid:
        body_sig["keyid"] = signature.keyid
    return {
        "apiVersion": "0.0.2",
        "kind": "intoto",
        "spec": {
            "content": {
                "envelope": {"payloadType": envelope.payload_type, "signatures": [body_sig]},
                "hash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(rfc8785.dumps(whole)).hexdigest(),
                },
                "payloadHash": {
                    "algorithm": "sha256",
                    "value": hashlib.sha256(envelope.payload).hexdigest(),
                },
            }
        },
    }


def _leaf_pem(doc: dict[str, Any]) -> bytes:
    der = base64.b64decode(
        doc["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"]
    )
    from cryptography import x509

    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


def _relogged(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The happy bundle with ``body`` logged in a FakeLog, and a root that trusts that log."""
    log = FakeLog()
    doc = _bundle()
    raw_body = json.dumps(body, separators=(",", ":")).encode()
    doc["verificationMaterial"]["tlogEntries"] = [log.add(raw_body, integrated_time=SIGNED_TIME)]
    root = _root_doc()
    root["tlogs"] = json.loads(log.trusted_root())["tlogs"]
    return doc, root


def _happy_body() -> dict[str, Any]:
    doc = _bundle()
    return _intoto_body(dsse.from_dict(doc["dsseEnvelope"]), _leaf_pem(doc))


def test_relogged_faithful_body_verifies() -> None:
    doc, root = _relogged(_happy_body())
    result = _verify(doc, root)
    assert result.tlog is not None and result.tlog.integrated_time == SIGNED_TIME


def _content(body: dict[str, Any]) -> dict[str, Any]:
    return body["spec"]["content"]  # type: ignore[no-any-return]


def _set_payload_hash(body: dict[str, Any]) -> None:
    _content(body)["payloadHash"]["value"] = hashlib.sha256(b"other").hexdigest()


def _set_envelope_hash(body: dict[str, Any]) -> None:
    _content(body)["hash"]["value"] = hashlib.sha256(b"other").hexdigest()


def _set_payload_type(body: dict[str, Any]) -> None:
    _content(body)["envelope"]["payloadType"] = "text/plain"


def _set_other_signer(body: dict[str, Any]) -> None:
    _content(body)["envelope"]["signatures"][0]["publicKey"] = _b64(_leaf_pem(_bundle(OTHER)))


def _add_second_signature(body: dict[str, Any]) -> None:
    sigs = _content(body)["envelope"]["signatures"]
    sigs.append(copy.deepcopy(sigs[0]))


def _set_single_encoded_sig(body: dict[str, Any]) -> None:
    doc = _bundle()
    _content(body)["envelope"]["signatures"][0]["sig"] = doc["dsseEnvelope"]["signatures"][0]["sig"]


def _set_other_payload(body: dict[str, Any]) -> None:
    _content(body)["envelope"]["payload"] = _b64(_b64(b'{"other": true}').encode())


def _set_sha512(body: dict[str, Any]) -> None:
    _content(body)["payloadHash"]["algorithm"] = "sha512"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (_set_payload_hash, "payloadHash is not the payload's"),
        (_set_envelope_hash, "envelope hash is not the envelope's"),
        (_set_payload_type, "different payloadType"),
        (_set_other_signer, "different signer"),
        (_add_second_signature, "exactly one signature"),
        (_set_single_encoded_sig, "different signature"),
        (_set_other_payload, "different payload"),
        (_set_sha512, "payloadHash is not sha256"),
    ],
)
def test_body_must_name_exactly_what_was_verified(mutate: Any, reason: str) -> None:
    body = _happy_body()
    mutate(body)
    doc, root = _relogged(body)
    with pytest.raises(VerificationError, match=reason):
        _verify(doc, root)


# --- key bundles with intoto entries go through the same body binding ------------------------

A = Digest.parse("sha256:" + "a" * 64)
B = Digest.parse("sha256:" + "b" * 64)


def test_key_bundle_with_intoto_entry() -> None:
    log = FakeLog()
    key = keys.generate()
    authority = verify.KeyAuthority(key.public_key)
    trust = trustroot.parse(log.trusted_root(), source="fake")
    doc = json.loads(sign.sign_digest(A, key))
    envelope = dsse.from_dict(doc["dsseEnvelope"])
    body = json.dumps(_intoto_body(envelope, key.public_key.pem)).encode()
    doc["verificationMaterial"]["tlogEntries"] = [log.add(body)]
    result = verify.verify_bundle(json.dumps(doc).encode(), A, authority, trust=trust)
    assert result.tlog is not None and result.tlog.has_proof
    # The same entry on the key's signature over B is a transplant.
    other = json.loads(sign.sign_digest(B, key))
    other["verificationMaterial"]["tlogEntries"] = doc["verificationMaterial"]["tlogEntries"]
    with pytest.raises(RejectedError, match="different"):
        verify.verify_bundle(json.dumps(other).encode(), B, authority, trust=trust)
