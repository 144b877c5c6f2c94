"""Sigstore bundles (v0.1-v0.3 read, v0.3 written) as a small, strict model.

sigstore-python's ``Bundle`` insists on a certificate, so key-signed bundles (cosign
``--key``, the conformance ``managed-key`` cases, everything we sign with a key) need our own
reader. This module only parses and writes; ``verify`` decides. Parsing already enforces
the structural MUSTs: exactly one verification material, exactly one content, int64 fields as
non-negative decimal strings, strict base64, at most one tlog entry and 32 timestamps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, LimitExceededError, UnsupportedError
from supplychain.signing import dsse
from supplychain.signing.encoding import b64decode_strict, b64encode
from supplychain.signing.tlog import TlogEntry, parse_entry

MEDIA_TYPE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
MEDIA_TYPES = {
    "application/vnd.dev.sigstore.bundle+json;version=0.1": "0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2": "0.2",
    "application/vnd.dev.sigstore.bundle+json;version=0.3": "0.3",
    MEDIA_TYPE_V03: "0.3",
}
MAX_BUNDLE_BYTES = 32 * 1024 * 1024
MAX_TIMESTAMPS = 32
MAX_CHAIN = 10


@dataclass(frozen=True)
class KeyMaterial:
    hint: str


@dataclass(frozen=True)
class CertificateMaterial:
    leaf_der: bytes
    chain_der: tuple[bytes, ...]


@dataclass(frozen=True)
class MessageSignature:
    digest_algorithm: str
    digest: bytes
    signature: bytes


@dataclass(frozen=True)
class Bundle:
    raw: bytes
    version: str
    material: KeyMaterial | CertificateMaterial
    tlog_entries: tuple[TlogEntry, ...]
    timestamps: tuple[bytes, ...]
    content: MessageSignature | dsse.Envelope

    @property
    def signature(self) -> bytes:
        if isinstance(self.content, MessageSignature):
            return self.content.signature
        return self.content.only_signature(what="bundle DSSE envelope").sig


def parse(raw: bytes, *, what: str = "bundle") -> Bundle:
    if len(raw) > MAX_BUNDLE_BYTES:
        raise LimitExceededError(f"{len(raw)} bytes is over the 32 MiB limit", subject=what)
    doc = strictjson.loads_object(raw, what=what, max_bytes=MAX_BUNDLE_BYTES)
    media_type = doc.get("mediaType")
    version = MEDIA_TYPES.get(media_type) if isinstance(media_type, str) else None
    if version is None:
        raise UnsupportedError(f"unknown bundle mediaType {str(media_type)[:80]!r}", subject=what)
    vm = doc.get("verificationMaterial")
    if not isinstance(vm, dict):
        raise InvalidInputError("missing verificationMaterial", subject=what)
    material = _material(vm, version, what)
    entries_doc = vm.get("tlogEntries", [])
    if not isinstance(entries_doc, list):
        raise InvalidInputError("tlogEntries must be a list", subject=what)
    if len(entries_doc) > 1:
        raise InvalidInputError("more than one tlog entry", subject=what)
    entries = tuple(parse_entry(e, what=f"{what} tlog entry") for e in entries_doc)
    timestamps = _timestamps(vm.get("timestampVerificationData"), what)
    has_message = "messageSignature" in doc
    has_envelope = "dsseEnvelope" in doc
    if has_message == has_envelope:
        raise InvalidInputError("need exactly one of messageSignature, dsseEnvelope", subject=what)
    content: MessageSignature | dsse.Envelope
    if has_message:
        content = _message(doc["messageSignature"], what)
    else:
        content = dsse.from_dict(doc["dsseEnvelope"], what=f"{what} dsseEnvelope")
        content.only_signature(what=f"{what} dsseEnvelope")
    return Bundle(raw, version, material, entries, timestamps, content)


def _material(vm: dict[str, Any], version: str, what: str) -> KeyMaterial | CertificateMaterial:
    forms = [k for k in ("publicKey", "x509CertificateChain", "certificate") if k in vm]
    if len(forms) != 1:
        raise InvalidInputError("need exactly one verification material", subject=what)
    form = forms[0]
    if form == "publicKey":
        hint = vm["publicKey"].get("hint", "") if isinstance(vm["publicKey"], dict) else None
        if not isinstance(hint, str):
            raise InvalidInputError("publicKey.hint must be a string", subject=what)
        return KeyMaterial(hint)
    if form == "certificate":
        raw = vm["certificate"].get("rawBytes") if isinstance(vm["certificate"], dict) else None
        if not isinstance(raw, str):
            raise InvalidInputError("certificate.rawBytes missing", subject=what)
        return CertificateMaterial(b64decode_strict(raw, what=f"{what} certificate"), ())
    chain = vm["x509CertificateChain"]
    certs = chain.get("certificates") if isinstance(chain, dict) else None
    if not isinstance(certs, list) or not certs:
        raise InvalidInputError("empty certificate chain", subject=what)
    if len(certs) > MAX_CHAIN:
        raise LimitExceededError(f"more than {MAX_CHAIN} certificates", subject=what)
    ders = []
    for cert in certs:
        if not isinstance(cert, dict) or not isinstance(cert.get("rawBytes"), str):
            raise InvalidInputError("malformed certificate", subject=what)
        ders.append(b64decode_strict(cert["rawBytes"], what=f"{what} certificate"))
    return CertificateMaterial(ders[0], tuple(ders[1:]))


def _timestamps(tvd: Any, what: str) -> tuple[bytes, ...]:
    if tvd is None:
        return ()
    if not isinstance(tvd, dict):
        raise InvalidInputError("malformed timestampVerificationData", subject=what)
    items = tvd.get("rfc3161Timestamps", [])
    if not isinstance(items, list):
        raise InvalidInputError("rfc3161Timestamps must be a list", subject=what)
    if len(items) > MAX_TIMESTAMPS:
        raise LimitExceededError(f"more than {MAX_TIMESTAMPS} RFC 3161 timestamps", subject=what)
    out = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("signedTimestamp"), str):
            raise InvalidInputError("malformed RFC 3161 timestamp", subject=what)
        out.append(b64decode_strict(item["signedTimestamp"], what=f"{what} timestamp"))
    return tuple(out)


def _message(doc: Any, what: str) -> MessageSignature:
    if not isinstance(doc, dict):
        raise InvalidInputError("malformed messageSignature", subject=what)
    md = doc.get("messageDigest")
    sig = doc.get("signature")
    if not isinstance(md, dict) or not isinstance(sig, str):
        raise InvalidInputError("malformed messageSignature", subject=what)
    algorithm = md.get("algorithm")
    if algorithm != "SHA2_256" or not isinstance(md.get("digest"), str):
        raise UnsupportedError(f"unsupported message digest {str(algorithm)[:40]!r}", subject=what)
    digest = b64decode_strict(md["digest"], what=f"{what} messageDigest")
    if len(digest) != 32:
        raise InvalidInputError("SHA2_256 digest must be 32 bytes", subject=what)
    return MessageSignature("SHA2_256", digest, b64decode_strict(sig, what=f"{what} signature"))


def build_key_bundle(
    content: MessageSignature | dsse.Envelope, *, key_hint: str, tlog_entries: tuple[Any, ...] = ()
) -> bytes:
    """A v0.3 bundle for a key signature (publicKey material), as compact JSON bytes."""
    vm: dict[str, Any] = {"publicKey": {"hint": key_hint}, "tlogEntries": list(tlog_entries)}
    doc: dict[str, Any] = {"mediaType": MEDIA_TYPE_V03, "verificationMaterial": vm}
    if isinstance(content, MessageSignature):
        doc["messageSignature"] = {
            "messageDigest": {"algorithm": "SHA2_256", "digest": b64encode(content.digest)},
            "signature": b64encode(content.signature),
        }
    else:
        content.only_signature()
        doc["dsseEnvelope"] = content.to_dict()
    return json.dumps(doc, separators=(",", ":")).encode("utf-8")
