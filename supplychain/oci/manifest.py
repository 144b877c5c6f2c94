"""Image manifests and indexes, parsed strictly from the exact bytes that were verified.

The raw bytes stay attached (``raw``) because digests and signatures are over bytes, never over
a re-serialisation. Schema 1 manifests are refused with a clear error; counts are capped before
anything is built from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from supplychain._internal import strictjson
from supplychain.errors import InvalidInputError, LimitExceededError, UnsupportedError
from supplychain.model import Descriptor, Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import DEFAULT_LIMITS, Limits


@dataclass(frozen=True)
class ImageManifest:
    media_type: str
    config: Descriptor
    layers: tuple[Descriptor, ...]
    raw: bytes
    digest: Digest
    artifact_type: str | None = None
    subject: Descriptor | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def effective_artifact_type(self) -> str:
        """``artifactType``, else the config media type (what the referrers API reports)."""
        return self.artifact_type or self.config.media_type


@dataclass(frozen=True)
class ImageIndex:
    media_type: str
    manifests: tuple[Descriptor, ...]
    raw: bytes
    digest: Digest
    artifact_type: str | None = None
    subject: Descriptor | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)

    def platforms(self) -> list[tuple[Platform, Descriptor]]:
        """Platform manifests, skipping attestation manifests (``unknown/unknown``)."""
        out = []
        for desc in self.manifests:
            if desc.platform is None or desc.platform.os == "unknown":
                continue
            if desc.annotations.get("vnd.docker.reference.type") == "attestation-manifest":
                continue
            out.append((desc.platform, desc))
        return out


Manifest = ImageManifest | ImageIndex


def _string_map(obj: Any, what: str) -> dict[str, str]:
    if obj is None:
        return {}
    if not isinstance(obj, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in obj.items()
    ):
        raise InvalidInputError("annotations must map strings to strings", subject=what)
    return dict(obj)


def detect_media_type(doc: dict[str, Any], content_type: str | None, what: str) -> str:
    """The media type; body ``mediaType`` and ``Content-Type`` must agree when both exist."""
    body_type = doc.get("mediaType")
    if body_type is not None and not isinstance(body_type, str):
        raise InvalidInputError("mediaType must be a string", subject=what)
    header_type = mt.base_type(content_type)
    if (
        doc.get("schemaVersion") == 1
        or header_type in mt.SCHEMA1_TYPES
        or body_type in mt.SCHEMA1_TYPES
    ):
        raise UnsupportedError(
            "Docker schema 1 manifests are not supported",
            subject=what,
            hint="re-push the image with a current Docker or an OCI tool",
        )
    if body_type and header_type and body_type != header_type:
        raise InvalidInputError(
            f"body mediaType {body_type!r} does not match Content-Type {header_type!r}",
            subject=what,
        )
    media_type = body_type or header_type
    if not media_type:
        # OCI allows mediaType to be absent; infer from the shape.
        if "manifests" in doc:
            media_type = mt.OCI_INDEX
        elif "config" in doc and "layers" in doc:
            media_type = mt.OCI_MANIFEST
        else:
            raise InvalidInputError("cannot tell manifest from index (no mediaType)", subject=what)
    return media_type


def parse_manifest(
    raw: bytes,
    *,
    digest: Digest | None = None,
    content_type: str | None = None,
    what: str = "manifest",
    limits: Limits = DEFAULT_LIMITS,
) -> Manifest:
    """Parse verified manifest/index bytes. ``digest`` defaults to the sha256 of ``raw``."""
    if len(raw) > limits.manifest_read:
        raise LimitExceededError(
            f"manifest is {len(raw)} bytes, over the {limits.manifest_read}-byte limit",
            subject=what,
        )
    doc = strictjson.loads_object(raw, what=what, max_bytes=limits.manifest_read)
    media_type = detect_media_type(doc, content_type, what)
    if doc.get("schemaVersion") != 2:
        raise InvalidInputError("schemaVersion must be 2", subject=what)
    the_digest = digest or Digest.of(raw)
    artifact_type = doc.get("artifactType")
    if artifact_type is not None and not isinstance(artifact_type, str):
        raise InvalidInputError("artifactType must be a string", subject=what)
    subject = Descriptor.from_json(doc["subject"]) if doc.get("subject") is not None else None
    annotations = _string_map(doc.get("annotations"), what)
    if media_type in mt.INDEX_TYPES:
        entries = doc.get("manifests")
        if not isinstance(entries, list):
            raise InvalidInputError("index has no manifests list", subject=what)
        if len(entries) > limits.index_descriptors:
            raise LimitExceededError(
                f"index lists {len(entries)} manifests, over the limit of "
                f"{limits.index_descriptors}",
                subject=what,
            )
        return ImageIndex(
            media_type=media_type,
            manifests=tuple(Descriptor.from_json(e) for e in entries),
            raw=raw,
            digest=the_digest,
            artifact_type=artifact_type,
            subject=subject,
            annotations=annotations,
        )
    if media_type in mt.MANIFEST_TYPES:
        config = doc.get("config")
        layers = doc.get("layers")
        if config is None or not isinstance(layers, list):
            raise InvalidInputError("manifest needs config and layers", subject=what)
        if len(layers) > limits.manifest_layers:
            raise LimitExceededError(
                f"manifest lists {len(layers)} layers, over the limit of {limits.manifest_layers}",
                subject=what,
            )
        return ImageManifest(
            media_type=media_type,
            config=Descriptor.from_json(config),
            layers=tuple(Descriptor.from_json(layer) for layer in layers),
            raw=raw,
            digest=the_digest,
            artifact_type=artifact_type,
            subject=subject,
            annotations=annotations,
        )
    raise UnsupportedError(f"unsupported manifest media type {media_type!r}", subject=what)
