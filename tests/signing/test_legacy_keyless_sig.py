"""Legacy keyless ``.sig`` layers (issue 5, gap 1): certificate + Rekor bundle annotations.

A private test PKI (root CA, CT log, Rekor-like log from ``fakelog``) issues a Fulcio-like leaf
with a real embedded SCT, so every step runs for real: identity, signature, entry binding,
SET, chain at the integrated time, SCT and the payload's digest binding.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from supplychain.errors import RejectedError, VerificationError
from supplychain.model.digest import Digest
from supplychain.signing import payloads, trustroot, verify
from supplychain.signing.identity import Identity
from supplychain.signing.policy import SimpleSigningCandidate, evaluate, parse_policy
from tests.signing.fakelog import FakeLog, hashedrekord_body

A = Digest.of(b"image A manifest")
B = Digest.of(b"image B manifest")
SAN = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"
IDENTITY = Identity(subject=SAN, issuer=ISSUER)
SIGNED = 1_700_000_000
SCT_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _der_octets(data: bytes) -> bytes:
    if len(data) < 128:
        return bytes([0x04, len(data)]) + data
    size = len(data).to_bytes((len(data).bit_length() + 7) // 8, "big")
    return bytes([0x04, 0x80 | len(size)]) + size + data


def _sct_extension(ct_key: ec.EllipticCurvePrivateKey, signed_data: bytes, when_ms: int) -> bytes:
    """An RFC 6962 SignedCertificateTimestampList with one v1 SCT, as an extension value."""
    signature = ct_key.sign(signed_data, ec.ECDSA(hashes.SHA256()))
    log_id = hashlib.sha256(_spki(ct_key)).digest()
    sct = (
        b"\x00"
        + log_id
        + struct.pack("!Q", when_ms)
        + b"\x00\x00"
        + b"\x04\x03"
        + struct.pack("!H", len(signature))
        + signature
    )
    item = struct.pack("!H", len(sct)) + sct
    return _der_octets(struct.pack("!H", len(item)) + item)


@dataclass
class Pki:
    ca_key: ec.EllipticCurvePrivateKey
    ca: x509.Certificate
    ct_key: ec.EllipticCurvePrivateKey
    log: FakeLog

    def root(self, **changes: Any) -> trustroot.TrustedRoot:
        doc = json.loads(self.log.trusted_root())
        doc["certificateAuthorities"] = [
            {
                "subject": {"organization": "test", "commonName": "test ca"},
                "uri": "https://ca.test",
                "certChain": {
                    "certificates": [
                        {"rawBytes": _b64(self.ca.public_bytes(serialization.Encoding.DER))}
                    ]
                },
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }
        ]
        doc["ctlogs"] = [
            {
                "baseUrl": "https://ct.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(_spki(self.ct_key)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2020-01-01T00:00:00Z"},
                },
                "logId": {"keyId": _b64(hashlib.sha256(_spki(self.ct_key)).digest())},
            }
        ]
        doc.update(changes)
        return trustroot.parse(json.dumps(doc).encode(), source="test pki")

    def leaf(
        self, key: ec.EllipticCurvePrivateKey, *, san: str = SAN, not_before: int = SIGNED - 60
    ) -> x509.Certificate:
        start = dt.datetime.fromtimestamp(not_before, tz=dt.timezone.utc)
        issuer_der = bytes([0x0C, len(ISSUER)]) + ISSUER.encode()
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(minutes=10))
            .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(san)]), True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier("1.3.6.1.4.1.57264.1.8"), issuer_der
                ),
                False,
            )
        )
        placeholder = builder.add_extension(
            x509.UnrecognizedExtension(SCT_OID, _sct_extension(self.ct_key, b"x", 0)), False
        ).sign(self.ca_key, hashes.SHA256())
        tbs = placeholder.tbs_precertificate_bytes
        when_ms = SIGNED * 1000
        signed = (
            struct.pack("!BBQH", 0, 0, when_ms, 1)
            + hashlib.sha256(_spki(self.ca_key)).digest()
            + len(tbs).to_bytes(3, "big")
            + tbs
            + b"\x00\x00"
        )
        sct = x509.UnrecognizedExtension(SCT_OID, _sct_extension(self.ct_key, signed, when_ms))
        return builder.add_extension(sct, False).sign(self.ca_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
        .not_valid_after(dt.datetime(2040, 1, 1, tzinfo=dt.timezone.utc))
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    return Pki(ca_key, ca, ec.generate_private_key(ec.SECP256R1()), FakeLog())


@dataclass
class Sig:
    payload: bytes
    signature: bytes
    cert_pem: bytes
    rekor: bytes


def _rekor_annotation(entry: dict[str, Any]) -> bytes:
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


def _sig(pki: Pki, subject: Digest = A, *, san: str = SAN, integrated: int = SIGNED) -> Sig:
    key = ec.generate_private_key(ec.SECP256R1())
    cert_pem = pki.leaf(key, san=san).public_bytes(serialization.Encoding.PEM)
    payload = payloads.build(subject, "ghcr.io/acme/app")
    signature = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    body = hashedrekord_body(hashlib.sha256(payload).digest(), signature, cert_pem)
    entry = pki.log.add(body, integrated_time=integrated, proof=False)
    return Sig(payload, signature, cert_pem, _rekor_annotation(entry))


def _verify(
    sig: Sig, pki: Pki, digest: Digest = A, *, identity: Identity = IDENTITY, **kw: Any
) -> verify.Verified:
    return verify.verify_keyless_simple_signing(
        kw.pop("payload", sig.payload),
        kw.pop("signature", sig.signature),
        digest,
        identity,
        certificate_pem=kw.pop("certificate_pem", sig.cert_pem),
        rekor_bundle=kw.pop("rekor_bundle", sig.rekor),
        trust=kw.pop("trust", pki.root()),
    )


def test_legacy_keyless_sig_verifies(pki: Pki) -> None:
    result = _verify(_sig(pki), pki)
    assert (result.signer, result.issuer, result.digest) == (SAN, ISSUER, A)
    assert result.tlog is not None and result.tlog.integrated_time == SIGNED


def test_nt_a1_signature_for_b_presented_for_a(pki: Pki) -> None:
    with pytest.raises(VerificationError, match="not sha256:"):
        _verify(_sig(pki, B), pki, A)


def test_identity_must_match(pki: Pki) -> None:
    other = Identity(subject=SAN.replace("acme", "evil"), issuer=ISSUER)
    with pytest.raises(VerificationError, match="does not match"):
        _verify(_sig(pki), pki, identity=other)


def test_without_rekor_bundle_there_is_no_trusted_time(pki: Pki) -> None:
    with pytest.raises(VerificationError, match="no trusted time"):
        _verify(_sig(pki), pki, rekor_bundle=None)


def test_nt_c1_entry_of_another_signature_is_rejected(pki: Pki) -> None:
    first, second = _sig(pki), _sig(pki)
    with pytest.raises(VerificationError, match="different"):
        _verify(second, pki, rekor_bundle=first.rekor)


def test_certificate_of_another_signer_is_rejected(pki: Pki) -> None:
    first, second = _sig(pki), _sig(pki)
    with pytest.raises(RejectedError):
        _verify(first, pki, certificate_pem=second.cert_pem)


def test_entry_from_an_untrusted_log_is_rejected(pki: Pki) -> None:
    foreign = FakeLog()
    tlogs = json.loads(foreign.trusted_root())["tlogs"]
    with pytest.raises(VerificationError, match="not in the trusted root"):
        _verify(_sig(pki), pki, trust=pki.root(tlogs=tlogs))


def test_leaf_not_valid_at_integrated_time_is_rejected(pki: Pki) -> None:
    with pytest.raises(VerificationError, match="not valid at the tlog integrated time"):
        _verify(_sig(pki, integrated=SIGNED + 3600), pki)


def test_untrusted_ca_is_rejected(pki: Pki) -> None:
    with pytest.raises(VerificationError, match="does not chain"):
        _verify(_sig(pki), pki, trust=pki.root(certificateAuthorities=[]))


def test_ca_window_must_contain_the_integrated_time(pki: Pki) -> None:
    root = json.loads(pki.root().raw)
    root["certificateAuthorities"][0]["validFor"] = {"start": "2024-01-01T00:00:00Z"}
    trust = trustroot.parse(json.dumps(root).encode(), source="late ca")
    with pytest.raises(VerificationError, match="does not chain"):
        _verify(_sig(pki), pki, trust=trust)


def test_sct_from_unknown_ct_log_is_rejected(pki: Pki) -> None:
    with pytest.raises(VerificationError, match="SCT"):
        _verify(_sig(pki), pki, trust=pki.root(ctlogs=[]))


def test_tampered_payload_fails_the_signature(pki: Pki) -> None:
    sig = _sig(pki)
    with pytest.raises(RejectedError):
        _verify(sig, pki, payload=payloads.build(A, "ghcr.io/acme/other"))


def test_policy_counts_a_legacy_keyless_sig(pki: Pki, tmp_path: Path) -> None:
    root = pki.root().raw
    (tmp_path / "root.json").write_bytes(root)
    policy = parse_policy(
        "apiVersion: supplychain.dev/v1\nkind: VerifyPolicy\n"
        f"trustedRoot: {{path: root.json, sha256: '{hashlib.sha256(root).hexdigest()}'}}\n"
        "rules:\n  - name: r\n    images: ['**']\n    authorities:\n"
        f"      - name: ci\n        keyless: {{issuer: '{ISSUER}', subject: '{SAN}'}}\n",
        base_dir=tmp_path,
    )
    sig = _sig(pki)

    def candidate(certificate: bytes | None) -> SimpleSigningCandidate:
        return SimpleSigningCandidate(sig.payload, sig.signature, sig.rekor, "sig", certificate)

    assert evaluate(policy, "app", A, [candidate(sig.cert_pem)]).allowed
    assert not evaluate(policy, "app", A, [candidate(None)]).allowed
    assert not evaluate(policy, "app", B, [candidate(sig.cert_pem)]).allowed
