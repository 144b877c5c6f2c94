"""The registry port over :class:`supplychain.oci.registry.RegistryClient`.

Referrer listing (API, then the tag-schema fallback) and referrer pushing (``OCI-Subject``
check, else the fallback index kept current with ``If-Match``) are the registry client's
:class:`supplychain.oci.referrers.Referrers`; this adapter only narrows the client to the few
calls the store makes and counts them (``calls``), which the benchmark reports per image.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from supplychain.errors import IntegrityError, NotFoundError
from supplychain.model import Descriptor, Digest
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import parse_manifest
from supplychain.oci.referrers import Referrers
from supplychain.oci.registry import RegistryClient
from supplychain.store.port import FetchedManifest

log = logging.getLogger(__name__)


@dataclass
class RegistryStore:
    """One registry host seen through the :class:`~supplychain.store.port.RegistryPort`."""

    client: RegistryClient
    calls: int = 0
    referrer_index: Referrers = field(init=False)

    def __post_init__(self) -> None:
        self.referrer_index = Referrers(self.client)

    @property
    def limits(self) -> Limits:
        return self.client.limits

    def resolve(self, repository: str, reference: str) -> Descriptor:
        self.calls += 1
        return self.client.resolve(repository, reference)

    def manifest_by_digest(self, repository: str, digest: Digest) -> FetchedManifest:
        self.calls += 1
        got = self.client.get_manifest(repository, digest)
        return FetchedManifest(got.raw, got.digest, got.media_type)

    def manifest_by_tag(self, repository: str, tag: str) -> FetchedManifest | None:
        self.calls += 1
        try:
            got = self.client.get_manifest(repository, tag)
        except NotFoundError:
            return None
        return FetchedManifest(got.raw, got.digest, got.media_type)

    def blob(self, repository: str, descriptor: Descriptor) -> bytes:
        self.calls += 1
        return self.client.read_blob(repository, descriptor, cap=descriptor.size)

    def put_blob(self, repository: str, data: bytes) -> Digest:
        self.calls += 1
        return self.client.push_blob(repository, data).digest

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> None:
        """By digest (``sha256:…``) or under a tag; manifests with ``subject`` go through the
        referrers bookkeeping so registries without the API still list them."""
        self.calls += 1
        is_digest = reference.startswith("sha256:")
        if is_digest and Digest.parse(reference) != Digest.of(data):
            raise IntegrityError("manifest bytes do not match the digest to push them under")
        what = f"{self.client.host}/{repository}"
        parsed = parse_manifest(data, content_type=media_type, what=what, limits=self.limits)
        if is_digest and parsed.subject is not None:
            self.referrer_index.push(repository, data, media_type)
            return
        self.client.put_manifest(repository, data, media_type, tag=None if is_digest else reference)

    def referrers(self, repository: str, subject: Digest) -> list[Descriptor]:
        self.calls += 1
        return list(self.referrer_index.find(repository, subject))
