"""Bind a Rekor ``intoto`` 0.0.2 entry body to the DSSE envelope and signer being verified.

Why a module of its own: sigstore-python 4.5.1 refuses these entries outright, yet npm
provenance and other sigstore-js clients wrote them for years. The body (Rekor type spec
``intoto_v0_0_2_schema.json``) records:

* ``envelope.payloadType`` and one ``signatures[]`` item with ``sig`` and ``publicKey``, both
  base64 of base64 (Rekor stores the bytes of the already-base64 DSSE strings), ``publicKey``
  being the PEM of the signer's certificate or key; ``payload`` is write-only and usually absent;
* ``payloadHash``: sha256 of the DSSE payload bytes;
* ``hash``: sha256 of "the entire envelope". Rekor cannot recompute it, so its meaning is the
  submitting client's. The one published convention (sigstore-js, which wrote these entries
  into Sigstore bundles) is sha256 over the RFC 8785 form of ``{payloadType, payload,
  signatures: [{sig, publicKey, keyid if non-empty}]}`` with the payload and sig in standard
  base64 and publicKey the PEM text. We recompute it that way and require equality.

Every field must name exactly what we verified: one signature, equal bytes, the same key, the
same payload type and payload. Any difference is a rejection (SECURITY class C).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import rfc8785

from supplychain.errors import VerificationError
from supplychain.signing import dsse
from supplychain.signing.encoding import b64decode_strict, b64encode, pem_decode_one

_KEY_LABELS = ("CERTIFICATE", "PUBLIC KEY")


def check_body(
    spec: dict[str, Any],
    envelope: dsse.Envelope,
    material_der: bytes,
    *,
    what: str,
    envelope_bytes: bytes | None = None,
) -> None:
    """Raise VerificationError unless ``spec`` records ``envelope`` signed by ``material_der``.

    ``material_der`` is the signer's certificate DER (keyless) or SubjectPublicKeyInfo DER.
    ``envelope_bytes``: the envelope exactly as stored, when we have it (a legacy ``.att``
    layer). cosign recorded ``hash`` as sha256 of those bytes, so that value is accepted too;
    either way the hash names this very envelope, and every other field is bound as well.
    """
    content = _object(spec.get("content"), "content", what)
    body_env = _object(content.get("envelope"), "content.envelope", what)
    signature = envelope.only_signature(what=what)

    if body_env.get("payloadType") != envelope.payload_type:
        raise VerificationError("tlog body names a different payloadType", subject=what)
    body_sigs = body_env.get("signatures")
    if not isinstance(body_sigs, list) or len(body_sigs) != 1:
        raise VerificationError("tlog body must carry exactly one signature", subject=what)
    body_sig = _object(body_sigs[0], "signature", what)
    sig_text = _double_b64(body_sig.get("sig"), f"{what} body signature")
    if not hmac.compare_digest(sig_text, b64encode(signature.sig).encode("ascii")):
        raise VerificationError("tlog body names a different signature", subject=what)
    keyid = body_sig.get("keyid", "")
    if keyid != signature.keyid:
        raise VerificationError("tlog body names a different keyid", subject=what)
    pem = b64decode_strict(_text(body_sig.get("publicKey"), "publicKey", what), what=what)
    _, der = pem_decode_one(pem, labels=_KEY_LABELS, what=f"{what} body publicKey")
    if not hmac.compare_digest(der, material_der):
        raise VerificationError("tlog body names a different signer", subject=what)
    if "payload" in body_env:
        payload_text = _double_b64(body_env.get("payload"), f"{what} body payload")
        if not hmac.compare_digest(payload_text, b64encode(envelope.payload).encode("ascii")):
            raise VerificationError("tlog body names a different payload", subject=what)

    payload_hash = _sha256_field(content.get("payloadHash"), "payloadHash", what)
    if not hmac.compare_digest(payload_hash, hashlib.sha256(envelope.payload).hexdigest()):
        raise VerificationError("tlog body payloadHash is not the payload's", subject=what)
    envelope_hash = _sha256_field(content.get("hash"), "hash", what)
    accepted = [envelope_digest(envelope, pem)]
    if envelope_bytes is not None:
        accepted.append(hashlib.sha256(envelope_bytes).hexdigest())
    if not any(hmac.compare_digest(envelope_hash, value) for value in accepted):
        raise VerificationError("tlog body envelope hash is not the envelope's", subject=what)


def envelope_digest(envelope: dsse.Envelope, public_key_pem: bytes) -> str:
    """The hex sha256 an ``intoto`` 0.0.2 client records as ``hash`` (see module docstring)."""
    signature = envelope.only_signature()
    item: dict[str, str] = {
        "sig": b64encode(signature.sig),
        "publicKey": public_key_pem.decode("ascii"),
    }
    if signature.keyid:
        item["keyid"] = signature.keyid
    doc: dict[str, Any] = {
        "payloadType": envelope.payload_type,
        "payload": b64encode(envelope.payload),
        "signatures": [item],
    }
    return hashlib.sha256(rfc8785.dumps(doc)).hexdigest()


def _object(value: Any, name: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise VerificationError(f"tlog body has no {name} object", subject=what)
    return value


def _text(value: Any, name: str, what: str) -> str:
    if not isinstance(value, str):
        raise VerificationError(f"tlog body {name} is not a string", subject=what)
    return value


def _double_b64(value: Any, what: str) -> bytes:
    """The inner text of a doubly encoded field, to compare with our own canonical base64.

    Comparing base64 texts (not decoded bytes) keeps one encoding per value: an inner text in
    another alphabet or padding is a mismatch, never "the same bytes".
    """
    return b64decode_strict(_text(value, "field", what), what=what)


def _sha256_field(value: Any, name: str, what: str) -> str:
    field = _object(value, name, what)
    if field.get("algorithm") != "sha256":
        raise VerificationError(f"tlog body {name} is not sha256", subject=what)
    return _text(field.get("value"), f"{name}.value", what)
