"""The cosign simple-signing payload (legacy ``.sig`` layers), written and read strictly.

Writer: the exact compact key order cosign produces, so our payloads look like cosign's. Reader:
stricter than cosign, which checks only the digest. We require ``critical.type`` to be the
cosign constant, refuse case-variant or unknown keys in ``critical`` and refuse duplicates
(NT-I1, NT-I2); ``docker-reference`` is returned but never used for trust (FORMATS §2.3).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, LimitExceededError
from supplychain.model.digest import Digest
from supplychain.signing._strict import (
    reject_case_variants,
    reject_unknown,
    require_object,
    require_string,
)

MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_TYPE = "cosign container image signature"
MAX_PAYLOAD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class SimpleSigningPayload:
    digest: Digest
    docker_reference: str
    optional: dict[str, Any] | None


def build(digest: Digest, docker_reference: str, optional: dict[str, Any] | None = None) -> bytes:
    """Compact JSON in cosign's key order; ``optional`` holds ``-a`` style claims or None."""
    doc = {
        "critical": {
            "identity": {"docker-reference": docker_reference},
            "image": {"docker-manifest-digest": str(digest)},
            "type": SIGNATURE_TYPE,
        },
        "optional": optional,
    }
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse(data: bytes, *, what: str = "simple-signing payload") -> SimpleSigningPayload:
    """Parse and check a payload; any deviation is an InvalidInputError (exit 1)."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise LimitExceededError(f"{len(data)} bytes is over the 1 MiB limit", subject=what)
    doc = strictjson.loads_object(data, what=what)
    reject_case_variants(doc, ("critical", "optional"), what=what)
    critical = require_object(doc.get("critical"), what=f"{what} critical")
    reject_case_variants(critical, ("identity", "image", "type"), what=f"{what} critical")
    reject_unknown(critical, ("identity", "image", "type"), what=f"{what} critical")
    identity = require_object(critical.get("identity"), what=f"{what} critical.identity")
    reject_case_variants(identity, ("docker-reference",), what=f"{what} identity")
    reject_unknown(identity, ("docker-reference",), what=f"{what} identity")
    image = require_object(critical.get("image"), what=f"{what} critical.image")
    reject_case_variants(image, ("docker-manifest-digest",), what=f"{what} image")
    reject_unknown(image, ("docker-manifest-digest",), what=f"{what} image")
    kind = require_string(critical, "type", what=f"{what} critical")
    if kind != SIGNATURE_TYPE:
        raise InvalidInputError(
            f"critical.type is {kind[:80]!r}, not {SIGNATURE_TYPE!r}", subject=what
        )
    reference = require_string(identity, "docker-reference", what=f"{what} identity")
    digest = Digest.parse(require_string(image, "docker-manifest-digest", what=f"{what} image"))
    optional = doc.get("optional")
    if optional is not None and not isinstance(optional, dict):
        raise InvalidInputError("optional must be an object or null", subject=what)
    return SimpleSigningPayload(digest=digest, docker_reference=reference, optional=optional)
