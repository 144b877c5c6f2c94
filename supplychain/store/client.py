"""The registry port over :class:`supplychain.oci.registry.RegistryClient`.

Adds the two things the store needs beyond plain manifest/blob calls:

* reading referrers: the OCI 1.1 API first (paginated, same origin, capped), then the tag-schema
  fallback index when the API is absent (404/400/406 or a non-index answer, as ggcr decides);
  the outcome is cached per repository;
* pushing a manifest with ``subject``: when the registry does not confirm with ``OCI-Subject``
  and has no referrers API, the fallback index is updated, then read back to catch a concurrent
  writer (at most three attempts; the client does not expose ``ETag``, so no ``If-Match``).

It also counts round trips (``calls``), which the benchmark reports per image.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from supplychain._internal.http import origin, read_body, redact_url
from supplychain.errors import (
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    NetworkError,
    NotFoundError,
)
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import Limits
from supplychain.oci.manifest import ImageIndex, ImageManifest, parse_manifest
from supplychain.oci.registry import RegistryClient, next_link
from supplychain.store.fallback import add_to_fallback_index, fallback_tag, referrer_entry
from supplychain.store.port import FetchedManifest

log = logging.getLogger(__name__)

_API_ABSENT = (400, 404, 405, 406)
_FALLBACK_ATTEMPTS = 3


@dataclass
class RegistryStore:
    """One registry host seen through the :class:`~supplychain.store.port.RegistryPort`."""

    client: RegistryClient
    calls: int = 0
    _api_works: dict[str, bool] = field(default_factory=dict)

    @property
    def limits(self) -> Limits:
        return self.client.limits

    def _what(self, repository: str, reference: str | Digest) -> str:
        sep = "@" if isinstance(reference, Digest) else ":"
        return f"{self.client.host}/{repository}{sep}{reference}"

    # --- RegistryPort -----------------------------------------------------------------------

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
        self.calls += 1
        is_digest = reference.startswith("sha256:")
        if is_digest and Digest.parse(reference) != Digest.of(data):
            raise IntegrityError("manifest bytes do not match the digest to push them under")
        pushed = self.client.put_manifest(
            repository, data, media_type, tag=None if is_digest else reference
        )
        parsed = parse_manifest(data, what=self._what(repository, reference), limits=self.limits)
        if parsed.subject is None or not isinstance(parsed, ImageManifest):
            return
        if pushed.subject_header:
            log.debug("registry indexed the referrer itself (OCI-Subject)")
            return
        if self._api_available(repository, parsed.subject.digest):
            return
        self._update_fallback(repository, parsed.subject.digest, referrer_entry(parsed))

    def referrers(self, repository: str, subject: Digest) -> list[Descriptor]:
        listed = self._referrers_api(repository, subject)
        if listed is not None:
            return listed
        return self._referrers_fallback(repository, subject)

    # --- referrers --------------------------------------------------------------------------

    def _api_available(self, repository: str, subject: Digest) -> bool:
        if repository not in self._api_works:
            self._referrers_api(repository, subject)
        return self._api_works.get(repository, False)

    def _referrers_api(self, repository: str, subject: Digest) -> list[Descriptor] | None:
        """The API's list, or ``None`` when this registry has no referrers API."""
        if self._api_works.get(repository) is False:
            return None
        what = f"{self.client.host}/{repository} referrers of {subject.short}"
        url = self.client.url(f"/v2/{repository}/referrers/{subject}")
        found: list[Descriptor] = []
        seen_pages: set[str] = set()
        for page in range(self.limits.link_pages + 1):
            if page == self.limits.link_pages:
                raise LimitExceededError(
                    f"more than {self.limits.link_pages} pages of referrers", subject=what
                )
            self.calls += 1
            deadline = self.client.http.deadline()
            response = self.client.request(
                "GET",
                url,
                scope=f"repository:{repository}:pull",
                what=what,
                deadline=deadline,
                headers={"Accept": mt.OCI_INDEX},
            )
            content_type = mt.base_type(response.headers.get("Content-Type"))
            if response.status_code in _API_ABSENT or (
                response.status_code == 200 and content_type != mt.OCI_INDEX
            ):
                response.close()
                if page == 0:
                    self._api_works[repository] = False
                    return None
                raise InvalidInputError("referrers page is not an OCI index", subject=what)
            if response.status_code != 200:
                status = response.status_code
                response.close()
                raise NetworkError(f"registry answered HTTP {status}", subject=what)
            link = response.headers.get("Link")
            seen_pages.add(response.url)
            body = read_body(
                response,
                cap=self.limits.manifest_read,
                deadline=deadline,
                what=what,
                read_timeout=self.limits.read_timeout,
            )
            index = parse_manifest(body, content_type=content_type, what=what, limits=self.limits)
            if not isinstance(index, ImageIndex):
                raise InvalidInputError("referrers answer is not an index", subject=what)
            self._api_works[repository] = True
            found.extend(index.manifests)
            if len(found) > self.limits.referrers:
                raise LimitExceededError(
                    f"more than {self.limits.referrers} referrers listed", subject=what
                )
            following = next_link(link, response.url)
            if following is None:
                return found
            if origin(following) != origin(self.client.base_url):
                raise IntegrityError(
                    f"referrers Link points to another origin ({redact_url(following)})",
                    subject=what,
                )
            if following in seen_pages:
                raise IntegrityError(
                    "referrers Link loops back to a page already read", subject=what
                )
            url = following
        return found  # pragma: no cover - the loop always returns or raises

    def _referrers_fallback(self, repository: str, subject: Digest) -> list[Descriptor]:
        tag = fallback_tag(subject)
        what = self._what(repository, tag)
        fetched = self.manifest_by_tag(repository, tag)
        if fetched is None:
            return []
        index = parse_manifest(
            fetched.raw,
            digest=fetched.digest,
            content_type=fetched.content_type,
            what=what,
            limits=self.limits,
        )
        if not isinstance(index, ImageIndex) or index.media_type != mt.OCI_INDEX:
            log.info("%s is not an OCI index: no referrers", what)
            return []
        return list(index.manifests)

    def _update_fallback(self, repository: str, subject: Digest, entry: Descriptor) -> None:
        tag = fallback_tag(subject)
        what = self._what(repository, tag)
        for _attempt in range(_FALLBACK_ATTEMPTS):
            current = self.manifest_by_tag(repository, tag)
            updated = add_to_fallback_index(
                current.raw if current else None, entry, what=what, limits=self.limits
            )
            if updated is None:
                return
            self.calls += 1
            self.client.put_manifest(repository, updated, mt.OCI_INDEX, tag=tag)
            # Re-read to detect a concurrent writer that replaced our entry (no ETag support
            # in distribution 2.8, so this read-after-write is the race check we can do).
            again = self.manifest_by_tag(repository, tag)
            if again is not None and str(entry.digest).encode() in again.raw:
                return
        raise InvalidInputError(
            "referrers fallback index kept changing under us; entry not recorded", subject=what
        )
