"""The few registry operations the store needs, as a Protocol.

The store is written against this narrow surface rather than the whole registry client so the
layout logic reads as what it is (a handful of GETs and PUTs by digest) and so round trips can
be counted for the benchmark. :mod:`supplychain.store.client` adapts the real client; every
implementation must keep the client's guarantees: manifests and blobs fetched by digest are
verified against that digest and against size caps before they are returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from supplychain.model import Descriptor, Digest


@dataclass(frozen=True)
class FetchedManifest:
    """Manifest bytes as received, their computed digest, ``Content-Type`` and ``ETag``."""

    raw: bytes
    digest: Digest
    content_type: str
    etag: str | None = None


class RegistryPort(Protocol):
    def resolve(self, repository: str, reference: str) -> Descriptor:
        """A tag or digest → the descriptor of the manifest it names *now* (media type,
        digest of the bytes, size). Called once per verification (SECURITY R6)."""
        ...

    def manifest_by_digest(self, repository: str, digest: Digest) -> FetchedManifest:
        """GET by digest, verified against it and against the manifest read cap."""
        ...

    def manifest_by_tag(self, repository: str, tag: str) -> FetchedManifest | None:
        """GET by tag, digest computed from the bytes; ``None`` when the tag does not exist."""
        ...

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> None:
        """PUT under a tag or under ``str(Digest.of(data))``; referrer bookkeeping included."""
        ...

    def blob(self, repository: str, descriptor: Descriptor) -> bytes:
        """GET a blob, refusing it when longer than ``descriptor.size``, verified by digest."""
        ...

    def put_blob(self, repository: str, data: bytes) -> Digest:
        """Upload (skipped when the registry already has it); returns the digest."""
        ...

    def referrers(self, repository: str, subject: Digest) -> list[Descriptor]:
        """Referrer descriptors from the API, else from the tag-schema fallback; capped."""
        ...
