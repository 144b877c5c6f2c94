"""Referrers: the OCI 1.1 API, the tag-schema fallback, and keeping the fallback index current.

Reading (FORMATS §1.7): ``GET /v2/<name>/referrers/<digest>`` first. ``200`` with an OCI index
is the answer (pages followed through ``Link``, same origin only, loop-checked, at most
``Limits.link_pages`` pages and ``Limits.referrers`` descriptors in all); the ``artifactType``
filter is re-applied here whatever ``OCI-Filters-Applied`` says. ``400/404/405/406`` or any
other ``Content-Type`` means "no API": read the tag ``sha256-<hex>`` instead; a missing tag or
one that is not an OCI index means no referrers. Whether the API works is cached per
repository.

Everything listed is a *hint*: callers open each candidate by digest and check its ``subject``
themselves (:meth:`Referrers.open_verified` does that).

Pushing a manifest that has a ``subject``: PUT it by digest; if the registry answers with
``OCI-Subject`` (or its referrers API answers), it keeps the list itself. Otherwise we update
the fallback index: read it (with its ``ETag``), refuse to touch a tag that holds anything but
an OCI index, add our entry once (``artifactType`` and *all* annotations copied), PUT it back
with ``If-Match``; on ``412`` start again, three attempts at most.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from supplychain._internal import strictjson
from supplychain._internal.http import origin, read_body, redact_url
from supplychain.errors import (
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    NetworkError,
    NotFoundError,
    UnsupportedError,
)
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.manifest import ImageIndex, ImageManifest, Manifest, parse_manifest
from supplychain.oci.registry import (
    FetchedManifest,
    PreconditionFailed,
    PushedManifest,
    RegistryClient,
    next_link,
)

log = logging.getLogger("supplychain.referrers")

API_ABSENT_STATUSES = frozenset({400, 404, 405, 406})
FALLBACK_ATTEMPTS = 3


def fallback_tag(subject: Digest) -> str:
    """``<alg>-<hex>``: the spec truncates the algorithm to 32 and the hex to 64 characters."""
    return f"{subject.algorithm[:32]}-{subject.hex[:64]}"


def referrer_entry(manifest: Manifest) -> Descriptor:
    """The descriptor the referrers list should hold for ``manifest``.

    ``artifactType`` is the manifest's own, else (image manifests) its config media type;
    annotations are copied whole, as the spec asks, so hubs can show them without a fetch.
    """
    artifact_type = manifest.artifact_type
    if artifact_type is None and isinstance(manifest, ImageManifest):
        artifact_type = manifest.config.media_type
    return Descriptor(
        media_type=manifest.media_type,
        digest=manifest.digest,
        size=len(manifest.raw),
        annotations=dict(manifest.annotations),
        artifact_type=artifact_type,
    )


@dataclass(frozen=True)
class ReferrerList:
    """Candidate referrers (hints) and where they came from: ``api`` or ``fallback``."""

    descriptors: tuple[Descriptor, ...]
    source: str

    def __iter__(self) -> Iterator[Descriptor]:
        return iter(self.descriptors)

    def __len__(self) -> int:
        return len(self.descriptors)


@dataclass
class Referrers:
    """Referrer discovery and bookkeeping for one registry client (see module docstring)."""

    client: RegistryClient
    _api_works: dict[str, bool] = field(default_factory=dict)

    # --- reading ----------------------------------------------------------------------------

    def find(self, repo: str, subject: Digest, *, artifact_type: str | None = None) -> ReferrerList:
        """Every referrer of ``subject`` in ``repo`` (optionally one ``artifact_type``)."""
        found: list[Descriptor] | None = None
        if self._api_works.get(repo) is not False:
            found = self._from_api(repo, subject, artifact_type)
            self._api_works[repo] = found is not None
        source = "api"
        if found is None:
            found = self._from_fallback(repo, subject)
            source = "fallback"
        if artifact_type is not None:
            found = [d for d in found if d.artifact_type == artifact_type]
        return ReferrerList(descriptors=tuple(found), source=source)

    def _api_url(self, repo: str, subject: Digest) -> str:
        return self.client.url(f"/v2/{repo}/referrers/{subject}")

    def _from_api(
        self, repo: str, subject: Digest, artifact_type: str | None
    ) -> list[Descriptor] | None:
        """The API's list, or None when the registry has no referrers API."""
        limits = self.client.limits
        what = f"{self.client.host}/{repo}@{subject} referrers"
        url = self._api_url(repo, subject)
        params: dict[str, str] | None = {"artifactType": artifact_type} if artifact_type else None
        seen: set[str] = set()
        out: list[Descriptor] = []
        for page in range(limits.link_pages):
            deadline = self.client.http.deadline()
            response = self.client.request(
                "GET",
                url,
                scope=f"repository:{repo}:pull",
                what=what,
                deadline=deadline,
                params=params,
                headers={"Accept": mt.OCI_INDEX},
            )
            status = response.status_code
            content_type = mt.base_type(response.headers.get("Content-Type"))
            if page == 0 and (
                status in API_ABSENT_STATUSES or (status == 200 and content_type != mt.OCI_INDEX)
            ):
                response.close()
                return None
            if status != 200 or content_type != mt.OCI_INDEX:
                response.close()
                raise NetworkError(
                    f"referrers page answered HTTP {status} ({content_type or 'no type'})",
                    subject=what,
                )
            link = response.headers.get("Link")
            page_url = response.url
            seen.add(page_url)
            body = read_body(
                response,
                cap=limits.manifest_read,
                deadline=deadline,
                what=what,
                read_timeout=limits.read_timeout,
            )
            for entry in _index_entries(body, what):
                if len(out) >= limits.referrers:
                    raise LimitExceededError(
                        f"more than {limits.referrers} referrers", subject=what
                    )
                out.append(Descriptor.from_json(entry))
            following = next_link(link, page_url)
            if following is None:
                return out
            if origin(following) != origin(self.client.base_url):
                raise IntegrityError(
                    f"referrers Link points to another origin ({redact_url(following)})",
                    subject=what,
                )
            if following in seen:
                raise IntegrityError(
                    "referrers Link loops back to a page already read", subject=what
                )
            url, params = following, None
        raise LimitExceededError(f"more than {limits.link_pages} pages of referrers", subject=what)

    def _from_fallback(self, repo: str, subject: Digest) -> list[Descriptor]:
        fetched = self._read_fallback(repo, subject)
        if fetched is None or not isinstance(fetched.manifest, ImageIndex):
            return []
        entries = list(fetched.manifest.manifests)
        if len(entries) > self.client.limits.referrers:
            raise LimitExceededError(
                f"fallback index lists {len(entries)} referrers, over the limit of "
                f"{self.client.limits.referrers}",
                subject=f"{self.client.host}/{repo}:{fallback_tag(subject)}",
            )
        return entries

    def _read_fallback(self, repo: str, subject: Digest) -> FetchedManifest | None:
        """The fallback tag's content, or None if absent or not an OCI index (spec: ignore)."""
        try:
            # Full Accept list: with only the index type, some registries answer 404 for a tag
            # holding an image, and the push path would then overwrite that image.
            fetched = self.client.get_manifest(repo, fallback_tag(subject))
        except NotFoundError:
            return None
        except (InvalidInputError, UnsupportedError) as exc:
            log.info("ignoring fallback tag of %s: %s", subject, exc.message)
            return None
        if fetched.media_type != mt.OCI_INDEX:
            return None
        return fetched

    def open_verified(
        self, repo: str, subject: Digest, candidate: Descriptor
    ) -> FetchedManifest | None:
        """Fetch a candidate by digest; None unless its own ``subject`` names ``subject``."""
        fetched = self.client.get_manifest(repo, candidate.digest, expected=candidate)
        own = fetched.manifest.subject
        if own is None or own.digest != subject:
            return None
        return fetched

    def verified(
        self, repo: str, subject: Digest, *, artifact_type: str | None = None
    ) -> list[FetchedManifest]:
        """The referrers that really point at ``subject`` (each opened by digest and checked).

        At most ``Limits.referrers_opened`` candidates are opened; more is a hostile or broken
        registry and fails (exit 1) rather than silently judging only some of them.
        """
        candidates = self.find(repo, subject, artifact_type=artifact_type)
        cap = self.client.limits.referrers_opened
        if len(candidates) > cap:
            raise LimitExceededError(
                f"{len(candidates)} referrer candidates, over the limit of {cap} to open",
                subject=f"{self.client.host}/{repo}@{subject}",
            )
        out = []
        for candidate in candidates:
            opened = self.open_verified(repo, subject, candidate)
            if opened is not None:
                out.append(opened)
        return out

    # --- pushing ----------------------------------------------------------------------------

    def push(self, repo: str, raw: bytes, media_type: str) -> PushedManifest:
        """PUT a manifest that has a ``subject`` and make sure readers can find it."""
        manifest = parse_manifest(
            raw, content_type=media_type, what=f"{repo} referrer", limits=self.client.limits
        )
        if manifest.subject is None:
            raise InvalidInputError("manifest has no subject", subject=f"{repo} referrer")
        subject = manifest.subject.digest
        pushed = self.client.put_manifest(repo, raw, media_type)
        if pushed.subject_header is not None and pushed.subject_header.strip() == str(subject):
            return pushed
        if self._api_available(repo, subject):
            return pushed
        self._add_to_fallback(repo, subject, referrer_entry(manifest))
        return pushed

    def _api_available(self, repo: str, subject: Digest) -> bool:
        known = self._api_works.get(repo)
        if known is not None:
            return known
        works = self._from_api(repo, subject, None) is not None
        self._api_works[repo] = works
        return works

    def _add_to_fallback(self, repo: str, subject: Digest, entry: Descriptor) -> None:
        tag = fallback_tag(subject)
        what = f"{self.client.host}/{repo}:{tag}"
        for _attempt in range(FALLBACK_ATTEMPTS):
            try:
                existing: FetchedManifest | None = self.client.get_manifest(repo, tag)
            except NotFoundError:
                existing = None
            except UnsupportedError as exc:
                raise InvalidInputError(
                    "the fallback tag holds something other than an OCI index; not overwritten",
                    subject=what,
                ) from exc
            updated = add_entry(existing, entry, what=what)
            if updated is None:
                return
            try:
                self.client.put_manifest(
                    repo,
                    updated,
                    mt.OCI_INDEX,
                    tag=tag,
                    if_match=existing.etag if existing is not None else None,
                )
                return
            except PreconditionFailed:
                log.info("fallback index %s changed under us; retrying", what)
                continue
        raise NetworkError(
            f"the fallback index kept changing ({FALLBACK_ATTEMPTS} attempts)", subject=what
        )

    def remove(self, repo: str, subject: Digest, referrer: Digest) -> bool:
        """Drop ``referrer`` from the fallback index (after deleting it); True if it was there."""
        tag = fallback_tag(subject)
        existing = self._read_fallback(repo, subject)
        if existing is None or not isinstance(existing.manifest, ImageIndex):
            return False
        doc = strictjson.loads_object(existing.raw, what=tag)
        before = doc.get("manifests", [])
        after = [e for e in before if e.get("digest") != str(referrer)]
        if len(after) == len(before):
            return False
        doc["manifests"] = after
        self.client.put_manifest(repo, _dump(doc), mt.OCI_INDEX, tag=tag, if_match=existing.etag)
        return True


def add_entry(existing: FetchedManifest | None, entry: Descriptor, *, what: str) -> bytes | None:
    """New fallback-index bytes with ``entry`` appended, or None if it is already listed.

    Anything but an OCI index under the tag is refused: the tag might be someone's image.
    """
    doc: dict[str, Any]
    if existing is None:
        doc = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": []}
    else:
        if existing.media_type != mt.OCI_INDEX or not isinstance(existing.manifest, ImageIndex):
            raise InvalidInputError(
                "the fallback tag holds something other than an OCI index; not overwritten",
                subject=what,
            )
        if any(d.digest == entry.digest for d in existing.manifest.manifests):
            return None
        doc = strictjson.loads_object(existing.raw, what=what)
    doc["manifests"] = [*doc.get("manifests", []), entry.to_json()]
    return _dump(doc)


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")


def _index_entries(body: bytes, what: str) -> list[Any]:
    doc = strictjson.loads_object(body, what=what)
    if doc.get("mediaType", mt.OCI_INDEX) != mt.OCI_INDEX:
        raise InvalidInputError("referrers answer is not an OCI index", subject=what)
    entries = doc.get("manifests")
    if not isinstance(entries, list):
        raise InvalidInputError("referrers answer has no manifests list", subject=what)
    return entries
