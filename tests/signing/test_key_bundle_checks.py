"""Key bundles: RFC 3161 timestamps must verify (gap 3) and DSSE keyid must agree with the hint."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from supplychain.errors import VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import bundle, intoto, keys, sign, trustroot, verify

A = Digest.of(b"image A manifest")
CASES = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "bundle-verify"
MANAGED = CASES / "managed-key-happy-path"
TSA_OTHER = CASES / "intoto-tsa-timestamp-outside-cert-validity_fail"


@pytest.fixture(scope="module")
def key() -> keys.PrivateKey:
    return keys.generate()


def _key_bundle(key: keys.PrivateKey, keyid: str, hint: str) -> bytes:
    statement = intoto.build(A, intoto.SIGN_PREDICATE, {})
    envelope = sign.sign_envelope(statement, key)
    doc = json.loads(bundle.build_key_bundle(envelope, key_hint=hint))
    doc["dsseEnvelope"]["signatures"][0]["keyid"] = keyid
    return json.dumps(doc).encode()


def _verify_key(raw: bytes, key: keys.PrivateKey) -> verify.Verified:
    return verify.verify_bundle(raw, A, verify.KeyAuthority(key.public_key), require_tlog=False)


def test_keyid_and_hint_agreeing_or_either_empty_verify(key: keys.PrivateKey) -> None:
    hint = sign.key_hint(key)
    for keyid, bundle_hint in ((hint, hint), ("", hint), (hint, ""), ("", "")):
        assert _verify_key(_key_bundle(key, keyid, bundle_hint), key).digest == A


def test_keyid_disagreeing_with_hint_is_rejected(key: keys.PrivateKey) -> None:
    raw = _key_bundle(key, "some-other-key", sign.key_hint(key))
    with pytest.raises(VerificationError, match="keyid disagrees"):
        _verify_key(raw, key)


def test_hint_never_selects_a_key_even_when_it_agrees(key: keys.PrivateKey) -> None:
    """Class H: keyid and hint both naming our key do not make another key's signature count."""
    other = keys.generate()
    raw = _key_bundle(other, sign.key_hint(key), sign.key_hint(key))
    with pytest.raises(VerificationError, match="does not verify"):
        _verify_key(raw, key)


needs_cases = pytest.mark.skipif(not MANAGED.is_dir(), reason="shared/conformance is absent")


def _managed() -> tuple[dict[str, object], Digest, verify.KeyAuthority]:
    doc = json.loads((MANAGED / "bundle.sigstore.json").read_bytes())
    public = keys.PublicKey.from_pem((MANAGED / "key.pub").read_bytes(), what="key.pub")
    digest = Digest.of((CASES / "a.txt").read_bytes())
    return doc, digest, verify.KeyAuthority(public)


def _run(doc: dict[str, object], digest: Digest, authority: verify.KeyAuthority) -> None:
    verify.verify_bundle(
        json.dumps(doc).encode(), digest, authority, expect=None, trust=trustroot.production()
    )


@needs_cases
def test_managed_key_bundle_with_valid_timestamp_verifies() -> None:
    doc, digest, authority = _managed()
    assert doc["verificationMaterial"]["timestampVerificationData"]  # type: ignore[index]
    _run(doc, digest, authority)


@needs_cases
def test_timestamp_over_another_signature_rejects_a_key_bundle() -> None:
    doc, digest, authority = _managed()
    other = json.loads((TSA_OTHER / "bundle.sigstore.json").read_bytes())
    vm = doc["verificationMaterial"]
    vm["timestampVerificationData"] = other["verificationMaterial"]["timestampVerificationData"]  # type: ignore[index]
    with pytest.raises(VerificationError, match="timestamp"):
        _run(doc, digest, authority)


@needs_cases
def test_garbage_timestamp_rejects_a_key_bundle() -> None:
    doc, digest, authority = _managed()
    token = base64.b64encode(b"\x30\x03\x02\x01\x00").decode()
    doc["verificationMaterial"]["timestampVerificationData"] = {  # type: ignore[index]
        "rfc3161Timestamps": [{"signedTimestamp": token}]
    }
    with pytest.raises(VerificationError, match="timestamp"):
        _run(doc, digest, authority)


@needs_cases
def test_root_without_tsa_rejects_a_timestamped_key_bundle() -> None:
    doc, digest, authority = _managed()
    root = json.loads(trustroot.production().raw)
    root["timestampAuthorities"] = []
    trust = trustroot.parse(json.dumps(root).encode(), source="test root")
    with pytest.raises(VerificationError, match="names no TSA"):
        verify.verify_bundle(json.dumps(doc).encode(), digest, authority, expect=None, trust=trust)
