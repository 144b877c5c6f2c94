"""A registry client that trusts no registry byte (OCI distribution spec v1.1, over requests).

Public API (everything takes a repository path such as ``library/nginx``; build the client
for ``ImageRef.api_host``)::

    client = RegistryClient.for_ref(ref)             # or RegistryClient("localhost:5000")
    client.ping()                                     # /v2/ reachable and we may talk to it
    desc = client.resolve(repo, "v1")                 # tag -> Descriptor (HEAD; GET if no DCD)
    got = client.get_manifest(repo, desc.digest)      # FetchedManifest: raw, digest, media_type,
                                                      #   manifest (ImageManifest|ImageIndex)
    got = client.get_manifest(repo, "v1")             # by tag: digest = sha256 of the bytes
    client.put_manifest(repo, raw, media_type, tag="v1")   # -> PushedManifest
    with client.open_blob(repo, layer_desc) as stream: # io.RawIOBase; IntegrityError at EOF
        for chunk in stream.chunks(): ...              #   if digest/size do not match
    data = client.read_blob(repo, config_desc, cap=limits.config_blob)
    client.push_blob(repo, data)                      # monolithic POST + PUT ?digest=
    client.push_blob_chunks(repo, chunks, digest, size)  # chunked PATCH + PUT ?digest=
    client.mount_blob(repo, digest, from_repo)        # True if mounted, False if not
    client.blob_exists(repo, digest)                  # size or None
    client.list_tags(repo, page_size=None)            # Link pagination, same origin, capped
    client.catalog(page_size=None)
    client.delete_manifest(repo, digest)

Referrers (API + tag-schema fallback) live in :mod:`supplychain.oci.referrers`.

Verification rules (docs/design FORMATS §1.4–1.5, SECURITY class E/F):

* a manifest fetched by digest must hash to it; a ``Docker-Content-Digest`` header, when
  present, must equal the hash of the body; body ``mediaType`` must equal ``Content-Type``;
  ``Content-Length`` and the body are capped at ``Limits.manifest_read`` (or the descriptor
  size when one is given) before and while reading;
* a blob is streamed and hashed while read; more bytes than the descriptor's size stop the
  read at ``size + 1``; a wrong size or digest raises :class:`IntegrityError` at EOF;
* schema 1 manifests are refused (:class:`UnsupportedError`);
* 401 → credentials/token (see :mod:`supplychain.oci.auth`); 404 → :class:`NotFoundError`;
  other unexpected statuses → :class:`NetworkError` (exit 3).

Plain HTTP is used only for loopback hosts and hosts passed in ``insecure``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from supplychain._internal import strictjson
from supplychain._internal.http import (
    Deadline,
    HttpClient,
    is_loopback_host,
    iter_body,
    origin,
    read_body,
    redact_url,
)
from supplychain.errors import (
    AuthError,
    Error,
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    NetworkError,
    NotFoundError,
    UsageError,
)
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.auth import Authenticator, CredentialSource, DockerConfig
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.manifest import Manifest, parse_manifest
from supplychain.oci.reference import ImageRef
from supplychain.oci.verified import VerifiedStream

log = logging.getLogger("supplychain.registry")

UPLOAD_CHUNK = 8 * 1024 * 1024


class PreconditionFailed(NetworkError):
    """A conditional PUT (``If-Match``) lost a race; read again and retry."""


@dataclass(frozen=True)
class FetchedManifest:
    """A manifest or index whose bytes were verified; ``raw`` is exactly what was hashed."""

    raw: bytes
    digest: Digest
    media_type: str
    manifest: Manifest
    etag: str | None = None
    """The registry's ``ETag`` (for ``If-Match`` on a later PUT of the same tag)."""

    @property
    def descriptor(self) -> Descriptor:
        return Descriptor(media_type=self.media_type, digest=self.digest, size=len(self.raw))


@dataclass(frozen=True)
class PushedManifest:
    """Result of a manifest PUT. ``subject_header`` is ``OCI-Subject`` if the registry sent it
    (it then maintains the referrers list itself)."""

    descriptor: Descriptor
    subject_header: str | None
    location: str | None


class RegistryClient:
    """One registry host. Thread-safe for concurrent calls (requests' pool + a locked token
    cache). See the module docstring for the API and the checks behind each call."""

    def __init__(
        self,
        host: str,
        *,
        credentials: CredentialSource | None = None,
        limits: Limits = DEFAULT_LIMITS,
        insecure: bool = False,
        http: HttpClient | None = None,
    ):
        self.host = host
        self.limits = limits
        insecure_hosts = frozenset({host.lower()}) if insecure else frozenset()
        self.http = http or HttpClient(limits=limits, insecure_hosts=insecure_hosts)
        plain = insecure or is_loopback_host(host)
        self.base_url = f"{'http' if plain else 'https'}://{host}"
        source = credentials if credentials is not None else DockerConfig.load()
        self.auth = Authenticator(host=host, http=self.http, source=source)

    @classmethod
    def for_ref(
        cls,
        ref: ImageRef,
        *,
        credentials: CredentialSource | None = None,
        limits: Limits = DEFAULT_LIMITS,
        insecure: bool = False,
    ) -> RegistryClient:
        return cls(ref.api_host, credentials=credentials, limits=limits, insecure=insecure)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def request(
        self,
        method: str,
        url: str,
        *,
        scope: str,
        what: str,
        deadline: Deadline | None = None,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        params: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> requests.Response:
        """An authenticated request; answers one 401 challenge, then gives up (AuthError).

        Public for :mod:`supplychain.oci.referrers` and ``store``; callers own the response.
        ``url`` must be on this registry's origin (checked): credentials never leave it.
        """
        if origin(url) != origin(self.base_url):
            raise NetworkError(
                f"refusing to follow {redact_url(url)}: not on {self.base_url}", subject=what
            )
        deadline = deadline or self.http.deadline()
        sent = dict(headers or {})
        cached = self.auth.cached_header(scope)
        if cached:
            sent["Authorization"] = cached
        response = self.http.request(
            method,
            url,
            what=what,
            deadline=deadline,
            headers=sent,
            data=data,
            params=params,
            retry=retry,
        )
        if response.status_code != 401:
            return self._check_denied(response, what)
        challenge = response.headers.get("WWW-Authenticate")
        response.close()
        if cached:
            self.auth.forget(cached)
        sent["Authorization"] = self.auth.answer(challenge, scope, deadline)
        response = self.http.request(
            method,
            url,
            what=what,
            deadline=deadline,
            headers=sent,
            data=data,
            params=params,
            retry=retry,
        )
        if response.status_code == 401:
            response.close()
            raise AuthError(
                "registry refused our credentials"
                if self.auth.credentials
                else "registry requires a login",
                subject=what,
                hint=None
                if self.auth.credentials
                else "docker login, or a credential helper in the Docker config",
            )
        return self._check_denied(response, what)

    def _check_denied(self, response: requests.Response, what: str) -> requests.Response:
        if response.status_code == 403:
            response.close()
            raise AuthError("registry denied access", subject=what)
        return response

    def _unexpected(self, response: requests.Response, what: str) -> Error:
        status = response.status_code
        code = _error_code(response, self.http.deadline(5.0), what)
        response.close()
        detail = f" ({code})" if code else ""
        if status == 404:
            return NotFoundError(f"not found{detail}", subject=what)
        return NetworkError(f"registry answered HTTP {status}{detail}", subject=what)

    @staticmethod
    def _scope(repo: str, push: bool = False) -> str:
        return f"repository:{repo}:{'pull,push' if push else 'pull'}"

    def _what(self, repo: str, reference: str | Digest | None = None) -> str:
        name = f"{self.host}/{repo}"
        if reference is None:
            return name
        sep = "@" if isinstance(reference, Digest) or ":" in str(reference) else ":"
        return f"{name}{sep}{reference}"

    # --- ping -------------------------------------------------------------------------------

    def ping(self) -> None:
        """``GET /v2/``: 200, or 401 that our credentials can answer, else an error."""
        what = f"{self.host}/v2/"
        response = self.request("GET", self.url("/v2/"), scope="", what=what)
        status = response.status_code
        response.close()
        if status != 200:
            raise NetworkError(
                f"registry answered HTTP {status} to /v2/",
                subject=self.host,
                hint="is this an OCI distribution registry?",
            )

    # --- manifests --------------------------------------------------------------------------

    def _manifest_url(self, repo: str, reference: str | Digest) -> str:
        _check_repo(repo)
        return self.url(f"/v2/{repo}/manifests/{quote(str(reference), safe=':')}")

    def head_manifest(self, repo: str, reference: str | Digest) -> Descriptor | None:
        """HEAD a manifest: its descriptor from the headers, or None if the registry did not
        send a usable ``Docker-Content-Digest`` (then GET). 404 raises NotFoundError."""
        what = self._what(repo, reference)
        response = self.request(
            "HEAD",
            self._manifest_url(repo, reference),
            scope=self._scope(repo),
            what=what,
            headers={"Accept": mt.MANIFEST_ACCEPT},
        )
        try:
            if response.status_code == 404:
                raise NotFoundError("manifest not found", subject=what)
            if response.status_code != 200:
                raise self._unexpected(response, what)
            dcd = response.headers.get("Docker-Content-Digest")
            length = response.headers.get("Content-Length", "")
            media_type = mt.base_type(response.headers.get("Content-Type"))
            if not dcd or not length.strip().isdigit() or not media_type:
                return None
            try:
                digest = Digest.parse(dcd.strip())
            except InvalidInputError as exc:
                raise IntegrityError(
                    "malformed Docker-Content-Digest header", subject=what
                ) from exc
            if isinstance(reference, Digest) and digest != reference:
                raise IntegrityError(
                    f"registry says {digest} for a HEAD of {reference}", subject=what
                )
            return Descriptor(media_type=media_type, digest=digest, size=int(length))
        finally:
            response.close()

    def resolve(self, repo: str, reference: str | Digest) -> Descriptor:
        """Turn a tag (or digest) into a descriptor: HEAD first, GET and hash when HEAD has no
        digest. The digest is a candidate: fetch by it with :meth:`get_manifest`, which
        verifies the bytes."""
        try:
            found = self.head_manifest(repo, reference)
        except NetworkError:
            found = None  # some registries refuse HEAD; the GET below is authoritative
        if found is not None:
            if found.size > self.limits.manifest_read:
                raise LimitExceededError(
                    f"manifest is {found.size} bytes, over the {self.limits.manifest_read}-byte"
                    " limit",
                    subject=self._what(repo, reference),
                )
            return found
        return self.get_manifest(repo, reference).descriptor

    def get_manifest(
        self,
        repo: str,
        reference: str | Digest,
        *,
        expected: Descriptor | None = None,
        accept: str = mt.MANIFEST_ACCEPT,
        deadline: Deadline | None = None,
    ) -> FetchedManifest:
        """GET and verify a manifest or index (see the module docstring for every check).

        ``reference`` is a tag or a digest; ``expected`` (a descriptor from an index or from
        :meth:`resolve`) adds its size and digest to the checks.
        """
        what = self._what(repo, reference)
        if expected is not None and isinstance(reference, str) and ":" not in reference:
            reference = expected.digest
        want = (
            reference
            if isinstance(reference, Digest)
            else (expected.digest if expected is not None else None)
        )
        cap = self.limits.manifest_read
        if expected is not None:
            if expected.size > cap:
                raise LimitExceededError(
                    f"manifest is declared {expected.size} bytes, over the {cap}-byte limit",
                    subject=what,
                )
            cap = expected.size
        deadline = deadline or self.http.deadline()
        response = self.request(
            "GET",
            self._manifest_url(repo, reference),
            scope=self._scope(repo),
            what=what,
            deadline=deadline,
            headers={"Accept": accept},
        )
        if response.status_code == 404:
            response.close()
            raise NotFoundError("manifest not found", subject=what)
        if response.status_code != 200:
            raise self._unexpected(response, what)
        content_type = response.headers.get("Content-Type")
        dcd = response.headers.get("Docker-Content-Digest")
        etag = response.headers.get("ETag")
        try:
            raw = read_body(
                response,
                cap=cap,
                deadline=deadline,
                what=what,
                read_timeout=self.limits.read_timeout,
            )
        except LimitExceededError as exc:
            if expected is not None and expected.size < self.limits.manifest_read:
                raise IntegrityError(
                    f"registry sent more than the {expected.size} bytes the descriptor declares",
                    subject=what,
                ) from exc
            raise
        digest = Digest.of(raw, want.algorithm if want is not None else "sha256")
        if want is not None and digest != want:
            raise IntegrityError(f"manifest content does not match {want}", subject=what)
        if expected is not None and len(raw) != expected.size:
            raise IntegrityError(
                f"manifest is {len(raw)} bytes, descriptor says {expected.size}", subject=what
            )
        if dcd:
            _check_dcd(dcd, raw, what)
        manifest = parse_manifest(
            raw, digest=digest, content_type=content_type, what=what, limits=self.limits
        )
        if (
            expected is not None
            and expected.media_type in mt.MANIFEST_TYPES | mt.INDEX_TYPES
            and expected.media_type != manifest.media_type
        ):
            # Same bytes, two readings: a parser differential waiting to happen (class I).
            raise InvalidInputError(
                f"descriptor says {expected.media_type} but the manifest is {manifest.media_type}",
                subject=what,
            )
        return FetchedManifest(
            raw=raw, digest=digest, media_type=manifest.media_type, manifest=manifest, etag=etag
        )

    def put_manifest(
        self,
        repo: str,
        raw: bytes,
        media_type: str,
        *,
        tag: str | None = None,
        if_match: str | None = None,
        deadline: Deadline | None = None,
    ) -> PushedManifest:
        """PUT exact manifest bytes by digest, or to ``tag``; the registry's digest must match.

        ``if_match`` (an ETag from :meth:`get_manifest`) makes the PUT conditional; a registry
        that honours it answers 412 when someone else wrote first: :class:`PreconditionFailed`.
        """
        digest = Digest.of(raw)
        reference: str | Digest = tag if tag is not None else digest
        what = self._what(repo, reference)
        if len(raw) > self.limits.manifest_write:
            raise LimitExceededError(
                f"manifest is {len(raw)} bytes, over the {self.limits.manifest_write}-byte"
                " write limit",
                subject=what,
            )
        if tag is not None:
            ImageRef.parse(f"{self.host}/{repo}:{tag}")  # validates the tag (UsageError)
        response = self.request(
            "PUT",
            self._manifest_url(repo, reference),
            scope=self._scope(repo, push=True),
            what=what,
            deadline=deadline,
            headers={"Content-Type": media_type, **({"If-Match": if_match} if if_match else {})},
            data=raw,
        )
        try:
            if response.status_code == 412:
                raise PreconditionFailed("the tag changed since it was read", subject=what)
            if response.status_code not in (200, 201, 202):
                raise self._unexpected(response, what)
            dcd = response.headers.get("Docker-Content-Digest")
            if dcd and dcd.strip() != str(digest):
                raise IntegrityError(
                    f"registry stored the manifest as {dcd.strip()[:80]}, expected {digest}",
                    subject=what,
                )
            return PushedManifest(
                descriptor=Descriptor(media_type=media_type, digest=digest, size=len(raw)),
                subject_header=response.headers.get("OCI-Subject"),
                location=response.headers.get("Location"),
            )
        finally:
            response.close()

    def delete_manifest(self, repo: str, digest: Digest) -> None:
        what = self._what(repo, digest)
        response = self.request(
            "DELETE",
            self._manifest_url(repo, digest),
            scope=self._scope(repo, push=True),
            what=what,
        )
        if response.status_code not in (200, 202):
            raise self._unexpected(response, what)
        response.close()

    # --- blobs ------------------------------------------------------------------------------

    def _blob_url(self, repo: str, digest: Digest) -> str:
        _check_repo(repo)
        return self.url(f"/v2/{repo}/blobs/{digest}")

    def blob_exists(self, repo: str, digest: Digest) -> int | None:
        """The blob's size if the registry has it in ``repo``, else None."""
        what = self._what(repo, digest)
        response = self.request(
            "HEAD", self._blob_url(repo, digest), scope=self._scope(repo), what=what
        )
        try:
            if response.status_code == 404:
                return None
            if response.status_code != 200:
                raise self._unexpected(response, what)
            length = response.headers.get("Content-Length", "")
            return int(length) if length.strip().isdigit() else 0
        finally:
            response.close()

    def open_blob(
        self,
        repo: str,
        descriptor: Descriptor,
        *,
        cap: int | None = None,
        deadline: Deadline | None = None,
    ) -> VerifiedStream:
        """Open a blob as a verified stream (:class:`~supplychain.oci.verified.VerifiedStream`).

        ``cap`` (default ``Limits.layer_blob``) bounds the declared size: a descriptor over it
        fails before any request. The default deadline scales with the size (1 MiB/s floor).
        """
        what = self._what(repo, descriptor.digest)
        limit = self.limits.layer_blob if cap is None else cap
        if descriptor.size > limit:
            raise LimitExceededError(
                f"blob is declared {descriptor.size} bytes, over the {limit}-byte limit",
                subject=what,
            )
        if deadline is None:
            deadline = self.http.deadline(
                self.limits.request_deadline + descriptor.size / (1024 * 1024)
            )
        response = self.request(
            "GET",
            self._blob_url(repo, descriptor.digest),
            scope=self._scope(repo),
            what=what,
            deadline=deadline,
        )
        if response.status_code == 404:
            response.close()
            raise NotFoundError("blob not found", subject=what)
        if response.status_code != 200:
            raise self._unexpected(response, what)
        declared = response.headers.get("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) != descriptor.size:
            response.close()
            raise IntegrityError(
                f"Content-Length {int(declared)} does not match the descriptor size "
                f"{descriptor.size}",
                subject=what,
            )
        chunks = iter_body(
            response,
            cap=descriptor.size,
            deadline=deadline,
            what=what,
            read_timeout=self.limits.read_timeout,
        )
        return VerifiedStream.over_chunks(
            _oversize_is_integrity(chunks, descriptor.size, what),
            digest=descriptor.digest,
            size=descriptor.size,
            what=what,
            release=response.close,
        )

    def read_blob(self, repo: str, descriptor: Descriptor, *, cap: int) -> bytes:
        """A small verified blob (config, signature payload) as bytes, at most ``cap``."""
        with self.open_blob(repo, descriptor, cap=cap) as stream:
            return stream.readall()

    def _start_upload(
        self, repo: str, what: str, deadline: Deadline, params: Mapping[str, str] | None = None
    ) -> requests.Response:
        _check_repo(repo)
        return self.request(
            "POST",
            self.url(f"/v2/{repo}/blobs/uploads/"),
            scope=self._scope(repo, push=True),
            what=what,
            deadline=deadline,
            params=params,
            headers={"Content-Length": "0"},
            data=b"",
        )

    def _location(self, response: requests.Response, what: str) -> str:
        location = response.headers.get("Location")
        response.close()
        if not location:
            raise NetworkError("upload answer has no Location", subject=what)
        url = urljoin(response.url, location)
        if origin(url) != origin(self.base_url):
            raise NetworkError(
                f"upload location {redact_url(url)} is not on {self.base_url}; refused",
                subject=what,
            )
        return url

    def push_blob(self, repo: str, data: bytes, *, digest: Digest | None = None) -> Descriptor:
        """Upload ``data`` in one request (POST, then PUT ``?digest=``); skips if present."""
        digest = digest or Digest.of(data)
        if not digest.matches(data):
            raise IntegrityError("data does not match the digest given", subject=str(digest))
        what = self._what(repo, digest)
        descriptor = Descriptor(
            media_type="application/octet-stream", digest=digest, size=len(data)
        )
        if self.blob_exists(repo, digest) is not None:
            return descriptor
        deadline = self.http.deadline(self.limits.request_deadline + len(data) / (1024 * 1024))
        started = self._start_upload(repo, what, deadline)
        if started.status_code != 202:
            raise self._unexpected(started, what)
        url = self._location(started, what)
        self._finish_upload(repo, url, digest, data, what, deadline)
        return descriptor

    def _finish_upload(
        self, repo: str, url: str, digest: Digest, data: bytes, what: str, deadline: Deadline
    ) -> None:
        headers = {"Content-Type": "application/octet-stream", "Content-Length": str(len(data))}
        response = self.request(
            "PUT",
            url,
            scope=self._scope(repo, push=True),
            what=what,
            deadline=deadline,
            params={"digest": str(digest)},
            headers=headers,
            data=data,
            retry=False,
        )
        try:
            if response.status_code not in (201, 204):
                raise self._unexpected(response, what)
            dcd = response.headers.get("Docker-Content-Digest")
            if dcd and dcd.strip() != str(digest):
                raise IntegrityError(
                    f"registry stored the blob as {dcd.strip()[:80]}", subject=what
                )
        finally:
            response.close()

    def push_blob_chunks(
        self,
        repo: str,
        chunks: Iterable[bytes],
        digest: Digest,
        size: int,
        *,
        chunk_size: int = UPLOAD_CHUNK,
    ) -> Descriptor:
        """Chunked upload: PATCH each piece with ``Content-Range``, then PUT ``?digest=``.

        ``chunks`` is consumed lazily and re-cut into ``chunk_size`` pieces, so memory stays
        at one piece. The bytes are hashed as they go: a mismatch with ``digest``/``size``
        stops before the final PUT (the registry would refuse it too).
        """
        what = self._what(repo, digest)
        descriptor = Descriptor(media_type="application/octet-stream", digest=digest, size=size)
        if self.blob_exists(repo, digest) is not None:
            return descriptor
        deadline = self.http.deadline(self.limits.request_deadline + size / (1024 * 1024))
        started = self._start_upload(repo, what, deadline)
        if started.status_code != 202:
            raise self._unexpected(started, what)
        url = self._location(started, what)
        hasher = digest.hasher()
        offset = 0
        for piece in _recut(chunks, chunk_size):
            hasher.update(piece)
            end = offset + len(piece) - 1
            response = self.request(
                "PATCH",
                url,
                scope=self._scope(repo, push=True),
                what=what,
                deadline=deadline,
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Range": f"{offset}-{end}",
                    "Content-Length": str(len(piece)),
                },
                data=piece,
                retry=False,
            )
            if response.status_code != 202:
                raise self._unexpected(response, what)
            url = self._location(response, what)
            offset += len(piece)
        if offset != size or hasher.hexdigest() != digest.hex:
            raise IntegrityError(
                f"uploaded bytes ({offset}) do not match {digest} / size {size}", subject=what
            )
        self._finish_upload(repo, url, digest, b"", what, deadline)
        return descriptor

    def mount_blob(self, repo: str, digest: Digest, from_repo: str) -> bool:
        """Cross-repository mount; True if the registry mounted it, False if it only opened an
        upload (202), which we cancel so the caller can upload normally."""
        what = self._what(repo, digest)
        _check_repo(from_repo)
        deadline = self.http.deadline()
        scope = f"{self._scope(repo, push=True)} repository:{from_repo}:pull"
        response = self.request(
            "POST",
            self.url(f"/v2/{repo}/blobs/uploads/"),
            scope=scope,
            what=what,
            deadline=deadline,
            params={"mount": str(digest), "from": from_repo},
            headers={"Content-Length": "0"},
            data=b"",
        )
        if response.status_code == 201:
            dcd = response.headers.get("Docker-Content-Digest")
            response.close()
            if dcd and dcd.strip() != str(digest):
                raise IntegrityError("registry mounted a different blob", subject=what)
            return True
        if response.status_code == 202:
            url = self._location(response, what)
            cancel = self.request(
                "DELETE",
                url,
                scope=self._scope(repo, push=True),
                what=what,
                deadline=deadline,
                retry=False,
            )
            cancel.close()
            return False
        raise self._unexpected(response, what)

    # --- listings ---------------------------------------------------------------------------

    def list_tags(self, repo: str, *, page_size: int | None = None) -> list[str]:
        """All tags of ``repo`` (``Link`` pagination, same origin, ≤ ``Limits.link_pages``)."""
        _check_repo(repo)
        return self._paginate(
            f"/v2/{repo}/tags/list", "tags", self._scope(repo), self._what(repo), page_size
        )

    def catalog(self, *, page_size: int | None = None) -> list[str]:
        """All repositories the registry lists in ``/v2/_catalog``."""
        return self._paginate(
            "/v2/_catalog",
            "repositories",
            "registry:catalog:*",
            f"{self.host}/v2/_catalog",
            page_size,
        )

    def _paginate(
        self, path: str, key: str, scope: str, what: str, page_size: int | None
    ) -> list[str]:
        url = self.url(path)
        params: dict[str, str] | None = {"n": str(page_size)} if page_size else None
        seen: set[str] = set()
        out: list[str] = []
        for _page in range(self.limits.link_pages):
            deadline = self.http.deadline()
            response = self.request(
                "GET", url, scope=scope, what=what, deadline=deadline, params=params
            )
            if response.status_code == 404:
                response.close()
                raise NotFoundError("repository not found", subject=what)
            if response.status_code != 200:
                raise self._unexpected(response, what)
            link = response.headers.get("Link")
            page_url = response.url
            seen.add(page_url)
            body = read_body(
                response,
                cap=self.limits.manifest_read,
                deadline=deadline,
                what=what,
                read_timeout=self.limits.read_timeout,
            )
            out.extend(_string_list(body, key, what))
            following = next_link(link, page_url)
            if following is None:
                return out
            if origin(following) != origin(self.base_url):
                raise IntegrityError(
                    f"pagination Link points to another origin ({redact_url(following)})",
                    subject=what,
                )
            if following in seen:
                raise IntegrityError(
                    "pagination Link loops back to a page already read", subject=what
                )
            url, params = following, None
        raise LimitExceededError(
            f"more than {self.limits.link_pages} pages of results", subject=what
        )


# --- helpers -----------------------------------------------------------------------------------


def _oversize_is_integrity(chunks: Iterator[bytes], size: int, what: str) -> Iterator[bytes]:
    """The body reader stops one byte past ``size`` with a limit error; for a blob whose size
    the descriptor fixed, that is the registry lying about the content (exit 1 either way,
    but the message should say what happened)."""
    try:
        yield from chunks
    except LimitExceededError as exc:
        raise IntegrityError(
            f"registry sent more than the {size} bytes the descriptor declares", subject=what
        ) from exc


def _check_repo(repo: str) -> None:
    """Repository paths go into URLs: validate with the reference grammar first."""
    if not repo or repo.startswith("/") or ".." in repo.split("/"):
        raise UsageError("invalid repository name", subject=f"repository {repo[:80]!r}")
    ImageRef.parse(f"localhost/{repo}")


def _check_dcd(header: str, raw: bytes, what: str) -> None:
    try:
        claimed = Digest.parse(header.strip())
    except InvalidInputError as exc:
        raise IntegrityError("malformed Docker-Content-Digest header", subject=what) from exc
    if not claimed.matches(raw):
        raise IntegrityError(
            f"Docker-Content-Digest {claimed} does not match the body", subject=what
        )


def _error_code(response: requests.Response, deadline: Deadline, what: str) -> str:
    """The first ``errors[].code`` of a registry error body, for the message (bounded)."""
    try:
        body = read_body(response, cap=64 * 1024, deadline=deadline, what=what)
        doc = json.loads(body)
        code = doc["errors"][0]["code"]
        if isinstance(code, str) and code.replace("_", "").isalnum():
            return code[:64]
    except (Error, ValueError, KeyError, IndexError, TypeError):
        pass
    return ""


def _string_list(body: bytes, key: str, what: str) -> list[str]:
    doc = strictjson.loads_object(body, what=what)
    values = doc.get(key)
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInputError(f"'{key}' must be a list of strings", subject=what)
    return values


def next_link(header: str | None, base: str) -> str | None:
    """The ``rel="next"`` target of a ``Link`` header, resolved against ``base``."""
    if not header:
        return None
    for part in header.split(","):
        if "<" not in part or ">" not in part:
            continue
        target = part[part.index("<") + 1 : part.index(">")]
        params = part[part.index(">") + 1 :].replace(" ", "").lower()
        if 'rel="next"' in params or "rel=next" in params:
            resolved = urljoin(base, target)
            if urlsplit(resolved).scheme not in ("http", "https"):
                return None
            return resolved
    return None


def _recut(chunks: Iterable[bytes], size: int) -> Iterator[bytes]:
    """Re-cut arbitrary chunks into pieces of exactly ``size`` (the last may be shorter)."""
    pending = bytearray()
    for chunk in chunks:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    if pending:
        yield bytes(pending)
