"""The referrers tag-schema fallback index (``sha256-<hex>``), read and maintained.

Registries without the OCI 1.1 referrers API (the Debian ``docker-registry`` 2.8 among them)
learn about a referrer only through this index, which the pusher must keep up to date
(FORMATS §1.7 "Push"). The rules here are deliberately conservative: never overwrite a tag that
holds something other than an OCI index, never add a duplicate, and copy the pushed manifest's
``artifactType`` and *all* its annotations into the entry so hubs can show it.

Reading, the entries are hints only (cosign writes wrong ``artifactType`` values, §3.4): every
entry is opened by digest and judged on its own bytes.
"""

from __future__ import annotations

import json
from typing import Any

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, LimitExceededError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import ImageManifest


def fallback_tag(subject: Digest) -> str:
    """``<alg>-<hex>``: the spec truncates alg to 32 and hex to 64 characters."""
    return f"{subject.algorithm[:32]}-{subject.hex[:64]}"


def referrer_entry(manifest: ImageManifest) -> Descriptor:
    """The index entry for a pushed referrer: its type, digest, size, artifact type, annotations."""
    return Descriptor(
        media_type=manifest.media_type,
        digest=manifest.digest,
        size=len(manifest.raw),
        annotations=dict(manifest.annotations),
        artifact_type=manifest.effective_artifact_type,
    )


def add_to_fallback_index(
    existing: bytes | None, entry: Descriptor, *, what: str, limits: Limits
) -> bytes | None:
    """The new index bytes with ``entry`` added, or ``None`` when it is already listed.

    ``existing`` is the current tag content (``None`` when the tag does not exist). Anything
    that is not an OCI index is refused rather than replaced: the tag may be someone's image.
    """
    doc: dict[str, Any]
    if existing is None:
        doc = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": []}
    else:
        doc = strictjson.loads_object(existing, what=what, max_bytes=limits.manifest_read)
        if doc.get("mediaType") != mt.OCI_INDEX or not isinstance(doc.get("manifests"), list):
            raise InvalidInputError(
                "tag holds something other than an OCI referrers index; not overwritten",
                subject=what,
            )
    manifests: list[Any] = doc["manifests"]
    for item in manifests:
        if isinstance(item, dict) and item.get("digest") == str(entry.digest):
            return None
    if len(manifests) + 1 > limits.index_descriptors:
        raise LimitExceededError(
            f"referrers index would list more than {limits.index_descriptors} entries",
            subject=what,
        )
    manifests.append(entry.to_json())
    data = json.dumps(doc, separators=(",", ":")).encode()
    if len(data) > limits.manifest_write:
        raise LimitExceededError(
            f"referrers index would be {len(data)} bytes, over the {limits.manifest_write}-byte "
            "write limit",
            subject=what,
        )
    return data
