"""DSSE envelopes: the pre-authentication encoding and a strict envelope reader.

The signature covers PAE(payloadType, payload), never the JSON envelope, so the payload type is
authenticated too. A bundle's envelope must carry exactly one signature (protobuf-specs MUST;
NT-H4): with two, "which one did we check" becomes a question an attacker can exploit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, VerificationError
from supplychain.signing._strict import reject_case_variants, require_object, require_string
from supplychain.signing.encoding import b64decode_strict, b64encode

MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json"
MAX_ENVELOPE_BYTES = 32 * 1024 * 1024


def pae(payload_type: str, payload: bytes) -> bytes:
    """``DSSEv1 SP len(type) SP type SP len(body) SP body`` with byte lengths."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


@dataclass(frozen=True)
class Envelope:
    payload_type: str
    payload: bytes
    signatures: tuple[Signature, ...]

    def only_signature(self, *, what: str = "DSSE envelope") -> Signature:
        if len(self.signatures) != 1:
            raise VerificationError(
                f"envelope carries {len(self.signatures)} signatures, exactly one is required",
                subject=what,
            )
        return self.signatures[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "payload": b64encode(self.payload),
            "payloadType": self.payload_type,
            "signatures": [{"sig": b64encode(s.sig), "keyid": s.keyid} for s in self.signatures],
        }

    def to_json(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8")


def from_dict(doc: Any, *, what: str = "DSSE envelope") -> Envelope:
    obj = require_object(doc, what=what)
    reject_case_variants(obj, ("payload", "payloadType", "signatures"), what=what)
    payload = b64decode_strict(require_string(obj, "payload", what=what), what=f"{what} payload")
    payload_type = require_string(obj, "payloadType", what=what)
    raw_sigs = obj.get("signatures")
    if not isinstance(raw_sigs, list) or not raw_sigs:
        raise InvalidInputError("signatures must be a non-empty list", subject=what)
    if len(raw_sigs) > 16:
        raise InvalidInputError("too many signatures", subject=what)
    signatures = []
    for index, item in enumerate(raw_sigs):
        entry = require_object(item, what=f"{what} signatures[{index}]")
        sig = b64decode_strict(
            require_string(entry, "sig", what=f"{what} signatures[{index}]"),
            what=f"{what} signatures[{index}].sig",
        )
        keyid = entry.get("keyid", "")
        if not isinstance(keyid, str):
            raise InvalidInputError("keyid must be a string", subject=what)
        signatures.append(Signature(keyid, sig))
    return Envelope(payload_type, payload, tuple(signatures))


def parse(data: bytes, *, what: str = "DSSE envelope") -> Envelope:
    return from_dict(
        strictjson.loads_object(data, what=what, max_bytes=MAX_ENVELOPE_BYTES), what=what
    )
