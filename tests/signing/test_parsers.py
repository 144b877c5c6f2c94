"""Strict parsing of signed content: SECURITY class I (NT-I1..I8) and DSSE rules (NT-H4)."""

from __future__ import annotations

import base64
import json

import pytest

from supplychain.errors import (
    InvalidInputError,
    LimitExceededError,
    UnsupportedError,
    VerificationError,
)
from supplychain.model.digest import Digest
from supplychain.signing import bundle, dsse, intoto, payloads
from supplychain.signing.encoding import b64decode_strict

A = Digest("sha256", "a" * 64)
B = Digest("sha256", "b" * 64)


def test_simple_signing_round_trip_matches_cosign_layout() -> None:
    raw = payloads.build(A, "ghcr.io/acme/app")
    assert raw == (
        b'{"critical":{"identity":{"docker-reference":"ghcr.io/acme/app"},"image":'
        b'{"docker-manifest-digest":"sha256:' + b"a" * 64 + b'"},"type":"cosign container '
        b'image signature"},"optional":null}'
    )
    parsed = payloads.parse(raw)
    assert parsed.digest == A and parsed.docker_reference == "ghcr.io/acme/app"


def test_nt_i1_duplicate_digest_keys_rejected() -> None:
    first = '"docker-manifest-digest":"' + str(A) + '"'
    last = '"docker-manifest-digest":"' + str(B) + '"'
    raw = (
        '{"critical":{"identity":{"docker-reference":"r"},"image":{' + first + "," + last + "},"
        '"type":"cosign container image signature"},"optional":null}'
    ).encode()
    with pytest.raises(InvalidInputError, match="duplicate key"):
        payloads.parse(raw)


@pytest.mark.parametrize("variant", ["Docker-Manifest-Digest", "Docker-manifest-digest"])
def test_nt_i2_case_variant_key_rejected(variant: str) -> None:
    doc = json.loads(payloads.build(A, "r"))
    doc["critical"]["image"] = {variant: str(A)}
    with pytest.raises(InvalidInputError, match="case variant"):
        payloads.parse(json.dumps(doc).encode())


def test_simple_signing_wrong_type_rejected() -> None:
    doc = json.loads(payloads.build(A, "r"))
    doc["critical"]["type"] = "something else"
    with pytest.raises(InvalidInputError, match=r"critical\.type"):
        payloads.parse(json.dumps(doc).encode())


def _statement(**changes: object) -> bytes:
    doc: dict[str, object] = {
        "_type": intoto.STATEMENT_V1,
        "subject": [{"name": "x", "digest": {"sha256": A.hex}}],
        "predicateType": intoto.SIGN_PREDICATE,
        "predicate": {},
    }
    doc.update(changes)
    return json.dumps(doc).encode()


def test_statement_v01_and_v1_read() -> None:
    for kind in (intoto.STATEMENT_V01, intoto.STATEMENT_V1):
        statement = intoto.parse(_statement(_type=kind))
        assert statement.names_digest(A) and not statement.names_digest(B)


def test_statement_without_name_accepted_like_cosign_v3() -> None:
    statement = intoto.parse(_statement(subject=[{"digest": {"sha256": A.hex}, "annotations": {}}]))
    assert statement.subjects[0].name is None


def test_nt_i3_null_subject_rejected() -> None:
    with pytest.raises(InvalidInputError):
        intoto.parse(_statement(subject=[None]))


@pytest.mark.parametrize(
    "digest",
    [{"SHA256": "a" * 64}, {"sha256": "A" * 64}, {"sha256": "a" * 63}, {"sha256": "z" * 64}, {}],
)
def test_nt_i4_i5_malformed_digests_rejected(digest: dict[str, str]) -> None:
    with pytest.raises(InvalidInputError):
        intoto.parse(_statement(subject=[{"digest": digest}]))


def test_nt_i6_unknown_statement_type_rejected() -> None:
    with pytest.raises(InvalidInputError, match="_type"):
        intoto.parse(_statement(_type="https://in-toto.io/Statement/v2"))


def test_statement_case_variant_top_key_rejected() -> None:
    raw = _statement()
    doc = json.loads(raw)
    doc["PredicateType"] = "https://evil"
    with pytest.raises(InvalidInputError, match="case variant"):
        intoto.parse(json.dumps(doc).encode())


def test_empty_subject_list_rejected() -> None:
    with pytest.raises(InvalidInputError):
        intoto.parse(_statement(subject=[]))


@pytest.mark.parametrize(
    "text",
    [
        base64.urlsafe_b64encode(b"\xfb\xff\xfe" * 5).decode(),  # URL-safe alphabet
        base64.b64encode(b"abcd").decode().rstrip("="),  # missing padding
        "YWJj ZA==",
        "YWJjZA==\n",
    ],
)
def test_nt_i7_lenient_base64_rejected(text: str) -> None:
    with pytest.raises(InvalidInputError):
        b64decode_strict(text, what="sig")


def test_pae_matches_spec_example() -> None:
    assert dsse.pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def _envelope(signatures: list[dict[str, str]]) -> dict[str, object]:
    return {
        "payload": base64.b64encode(_statement()).decode(),
        "payloadType": intoto.PAYLOAD_TYPE,
        "signatures": signatures,
    }


def test_nt_h4_two_dsse_signatures_rejected_in_bundle() -> None:
    sig = base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
    doc = {
        "mediaType": bundle.MEDIA_TYPE_V03,
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": []},
        "dsseEnvelope": _envelope([{"sig": sig, "keyid": ""}, {"sig": sig, "keyid": ""}]),
    }
    with pytest.raises(VerificationError, match="exactly one"):
        bundle.parse(json.dumps(doc).encode())


def test_bundle_needs_exactly_one_material_and_content() -> None:
    base = {
        "mediaType": bundle.MEDIA_TYPE_V03,
        "verificationMaterial": {"publicKey": {"hint": ""}, "certificate": {"rawBytes": "AA=="}},
        "dsseEnvelope": _envelope([{"sig": "AA==", "keyid": ""}]),
    }
    with pytest.raises(InvalidInputError, match="exactly one verification material"):
        bundle.parse(json.dumps(base).encode())
    base["verificationMaterial"] = {"publicKey": {"hint": ""}}
    base["messageSignature"] = {
        "messageDigest": {"algorithm": "SHA2_256", "digest": "AA=="},
        "signature": "AA==",
    }
    with pytest.raises(InvalidInputError, match="exactly one of messageSignature"):
        bundle.parse(json.dumps(base).encode())


def test_bundle_unknown_media_type_rejected() -> None:
    doc = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.9+json"}
    with pytest.raises(UnsupportedError):
        bundle.parse(json.dumps(doc).encode())


@pytest.mark.parametrize("value", ["-1", "1e3", " 5", "99999999999999999999", True, None])
def test_nt_i8_bad_int64_fields_rejected(value: object) -> None:
    entry = {
        "logIndex": value,
        "logId": {"keyId": "AA=="},
        "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
        "integratedTime": "1",
        "canonicalizedBody": "e30=",
    }
    doc = {
        "mediaType": bundle.MEDIA_TYPE_V03,
        "verificationMaterial": {"publicKey": {"hint": ""}, "tlogEntries": [entry]},
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": base64.b64encode(b"\0" * 32).decode(),
            },
            "signature": "AA==",
        },
    }
    with pytest.raises(InvalidInputError):
        bundle.parse(json.dumps(doc).encode())


def test_bundle_with_33_timestamps_rejected() -> None:
    doc = {
        "mediaType": bundle.MEDIA_TYPE_V03,
        "verificationMaterial": {
            "publicKey": {"hint": ""},
            "timestampVerificationData": {"rfc3161Timestamps": [{"signedTimestamp": "AA=="}] * 33},
        },
        "dsseEnvelope": _envelope([{"sig": "AA==", "keyid": ""}]),
    }
    with pytest.raises(LimitExceededError, match="32"):
        bundle.parse(json.dumps(doc).encode())


def test_bundle_duplicate_keys_rejected() -> None:
    raw = b'{"mediaType":"a","mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}'
    with pytest.raises(InvalidInputError, match="duplicate"):
        bundle.parse(raw)
