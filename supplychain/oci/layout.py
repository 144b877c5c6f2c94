"""OCI image layouts (``oci:DIR``): read them as image sources, and write them.

A layout is ``oci-layout`` + ``index.json`` + ``blobs/<alg>/<hex>`` (image-spec
``image-layout.md``). ``index.json`` is not content-addressed, so it only *names* entry points;
everything it points to is read by digest and verified like registry bytes. Blob files are
opened without following symlinks and must be regular files: a layout is a directory someone
handed us, and a FIFO or a link to ``/dev/zero`` must end in an error, not a hang.

The storage is pluggable (:class:`LayoutStorage`) so the same reader serves a directory and an
OCI archive read in place (oci/archive.py).

The writer (:class:`LayoutWriter`) exists for the deterministic sample images in testdata/ and
for tests; it writes every file atomically.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from supplychain._internal import strictjson
from supplychain._internal.fileio import atomic_write_bytes
from supplychain.errors import IntegrityError, InvalidInputError, LimitExceededError, UsageError
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.manifest import ImageIndex, parse_manifest
from supplychain.oci.source import ImageSource, SourceKind, SourceSpec

REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"
LAYOUT_VERSION = "1.0.0"
LAYOUT_FILE_MAX = 64 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class LayoutStorage(Protocol):
    """Where a layout's files live: a directory or the members of a tar archive."""

    display: str

    def read_file(self, name: str, limit: int) -> bytes | None:
        """A top-level file (``oci-layout``, ``index.json``) or None when absent."""

    def open_blob(self, digest: Digest, size: int) -> BinaryIO:
        """The raw bytes of a blob; InvalidInputError when the layout does not hold it."""

    def blob_size(self, digest: Digest) -> int | None:
        """The stored size of a blob, or None when the layout does not hold it."""

    def close(self) -> None: ...


def blob_path(digest: Digest) -> str:
    return f"blobs/{digest.algorithm}/{digest.hex}"


class DirStorage:
    """A layout directory on disk."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.display = root

    def _open_regular(self, relative: str) -> BinaryIO | None:
        path = os.path.join(self.root, relative)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InvalidInputError(
                    "is a symbolic link; layout files must be regular files",
                    subject=f"{self.display}/{relative}",
                ) from exc
            raise InvalidInputError(
                f"cannot open: {exc.strerror}", subject=f"{self.display}/{relative}"
            ) from exc
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise InvalidInputError("is not a regular file", subject=f"{self.display}/{relative}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")

    def read_file(self, name: str, limit: int) -> bytes | None:
        handle = self._open_regular(name)
        if handle is None:
            return None
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise LimitExceededError(
                    f"{size} bytes is over the {limit}-byte limit", subject=f"{self.display}/{name}"
                )
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise LimitExceededError(f"more than {limit} bytes", subject=f"{self.display}/{name}")
        return data

    def open_blob(self, digest: Digest, size: int) -> BinaryIO:
        handle = self._open_regular(blob_path(digest))
        if handle is None:
            raise InvalidInputError(
                f"blob {digest} is missing from the layout", subject=self.display
            )
        return handle

    def blob_size(self, digest: Digest) -> int | None:
        try:
            info = os.lstat(os.path.join(self.root, blob_path(digest)))
        except FileNotFoundError:
            return None
        return info.st_size if stat.S_ISREG(info.st_mode) else None

    def close(self) -> None:
        return None


class LayoutSource(ImageSource):
    """An image chosen from an OCI layout's ``index.json`` (by tag, digest, or as sole entry)."""

    kind = SourceKind.OCI_LAYOUT

    def __init__(
        self,
        storage: LayoutStorage,
        spec: SourceSpec,
        *,
        limits: Limits = DEFAULT_LIMITS,
        kind: SourceKind = SourceKind.OCI_LAYOUT,
    ) -> None:
        self.kind = kind
        self._storage = storage
        display = spec.display
        self.display = display
        self.limits = limits
        index = read_layout_index(storage, limits)
        self.entries = index.manifests
        entry = _choose_entry(index, spec, storage, display, limits)
        top = self.fetch_manifest(entry)
        tag = spec.tag or entry.annotations.get(REF_NAME)
        super().__init__(display=display, top=top, tag=tag, limits=limits)

    def _open_blob_raw(self, descriptor: Descriptor) -> BinaryIO:
        return self._storage.open_blob(descriptor.digest, descriptor.size)

    def holds(self, descriptor: Descriptor) -> bool:
        return self._storage.blob_size(descriptor.digest) is not None

    def tags(self) -> list[str]:
        """The ``ref.name`` annotations of ``index.json``, in file order."""
        return [e.annotations[REF_NAME] for e in self.entries if REF_NAME in e.annotations]

    def close(self) -> None:
        self._storage.close()


def read_layout_index(storage: LayoutStorage, limits: Limits) -> ImageIndex:
    """Check ``oci-layout`` and parse ``index.json`` strictly (capped like a manifest)."""
    marker = storage.read_file("oci-layout", LAYOUT_FILE_MAX)
    if marker is None:
        raise InvalidInputError(
            "not an OCI image layout (no oci-layout file)", subject=storage.display
        )
    doc = strictjson.loads_object(marker, what=f"{storage.display}/oci-layout")
    if doc.get("imageLayoutVersion") != LAYOUT_VERSION:
        raise InvalidInputError(
            f"unsupported imageLayoutVersion {doc.get('imageLayoutVersion')!r}",
            subject=f"{storage.display}/oci-layout",
        )
    raw = storage.read_file("index.json", limits.manifest_read)
    if raw is None:
        raise InvalidInputError("layout has no index.json", subject=storage.display)
    parsed = parse_manifest(
        raw, content_type=mt.OCI_INDEX, what=f"{storage.display}/index.json", limits=limits
    )
    if not isinstance(parsed, ImageIndex):  # pragma: no cover - content_type forces an index
        raise InvalidInputError("index.json is not an index", subject=storage.display)
    return parsed


def _entry_names(entry: Descriptor) -> set[str]:
    names = set()
    for key in (REF_NAME, CONTAINERD_NAME):
        value = entry.annotations.get(key)
        if value:
            names.add(value)
            if key == CONTAINERD_NAME:
                # docker save: "docker.io/library/sample:latest" is also "sample:latest"
                for prefix in ("docker.io/library/", "docker.io/"):
                    if value.startswith(prefix):
                        names.add(value[len(prefix) :])
    return names


def _choose_entry(
    index: ImageIndex, spec: SourceSpec, storage: LayoutStorage, display: str, limits: Limits
) -> Descriptor:
    entries = index.manifests
    if spec.digest is not None:
        for entry in entries:
            if entry.digest == spec.digest:
                return entry
        # Any manifest blob the layout holds may be named by digest (e.g. one platform image).
        size = storage.blob_size(spec.digest)
        if size is None:
            raise InvalidInputError(f"layout holds no blob {spec.digest}", subject=display)
        if size > limits.manifest_read:
            raise LimitExceededError(
                f"blob {spec.digest} is {size} bytes, over the manifest limit", subject=display
            )
        with storage.open_blob(spec.digest, size) as handle:
            raw = handle.read(limits.manifest_read + 1)
        if not spec.digest.matches(raw):
            raise InvalidInputError(
                f"blob {spec.digest} does not match its digest", subject=display
            )
        doc = strictjson.loads_object(raw, what=f"{display} blob {spec.digest}")
        media_type = doc.get("mediaType")
        if not isinstance(media_type, str) or not (
            mt.is_index(media_type) or mt.is_manifest(media_type)
        ):
            raise InvalidInputError(
                f"blob {spec.digest} is not a manifest or index", subject=display
            )
        return Descriptor(media_type=media_type, digest=spec.digest, size=len(raw))
    if spec.tag is not None:
        matches = [e for e in entries if spec.tag in _entry_names(e)]
        if not matches:
            raise UsageError(
                f"no image tagged {spec.tag!r} (tags: {_list_tags(entries)})", subject=display
            )
        if len({m.digest for m in matches}) > 1:
            raise InvalidInputError(
                f"tag {spec.tag!r} names {len(matches)} different images", subject=display
            )
        return matches[0]
    if not entries:
        raise InvalidInputError("index.json lists no images", subject=display)
    if len({e.digest for e in entries}) > 1:
        raise UsageError(
            f"layout holds {len(entries)} images; name one (tags: {_list_tags(entries)})",
            subject=display,
            hint="append :TAG or @sha256:DIGEST",
        )
    return entries[0]


def _list_tags(entries: Iterable[Descriptor]) -> str:
    tags = sorted({n for e in entries for n in _entry_names(e)})
    return ", ".join(tags) if tags else "none"


def open_layout(spec: SourceSpec, *, limits: Limits = DEFAULT_LIMITS) -> LayoutSource:
    """Open ``oci:DIR[:TAG|@DIGEST]``; a missing directory is a usage error (exit 2)."""
    if not os.path.exists(spec.location):
        raise UsageError("no such directory", subject=f"source {spec.text or spec.location!r}")
    if not os.path.isdir(spec.location):
        raise UsageError(
            "is not a directory (an OCI archive? use oci-archive:FILE)",
            subject=f"source {spec.text or spec.location!r}",
        )
    return LayoutSource(DirStorage(spec.location), spec, limits=limits)


# --- writing --------------------------------------------------------------------------------


def encode_json(document: Any) -> bytes:
    """The byte form we write manifests and configs in: 2-space indent, key order as given.

    Stable for a given document, which is all determinism needs; never used to re-encode a
    manifest that came from elsewhere (digests are over the bytes as received).
    """
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class LayoutWriter:
    """Builds an OCI layout on disk: blobs first, then ``index.json`` and ``oci-layout``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)

    def add_blob(self, data: bytes, media_type: str, **fields: Any) -> Descriptor:
        """Store ``data`` under its sha256 and return its descriptor (extra fields allowed)."""
        digest = Digest.of(data)
        path = self.root / blob_path(digest)
        if not (path.is_file() and digest.matches(path.read_bytes())):
            atomic_write_bytes(path, data)
        return Descriptor(media_type=media_type, digest=digest, size=len(data), **fields)

    def add_blob_stream(self, stream: Readable, descriptor: Descriptor) -> None:
        """Copy a stream into the layout as ``descriptor``'s blob, checked before it lands.

        The bytes are hashed and counted while written to a private temp file in the blob
        directory; only an exact match with the descriptor is renamed into place, so a layout
        never holds a blob under a digest it does not have.
        """
        target = self.root / blob_path(descriptor.digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        hasher = descriptor.digest.hasher()
        written = 0
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(1024 * 1024):
                    written += len(chunk)
                    if written > descriptor.size:
                        break
                    hasher.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if written != descriptor.size or hasher.hexdigest() != descriptor.digest.hex:
                raise IntegrityError(
                    f"stream does not match {descriptor.digest} / size {descriptor.size}",
                    subject=f"{self.root} blob {descriptor.digest}",
                )
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def add_json(self, document: Any, media_type: str, **fields: Any) -> Descriptor:
        return self.add_blob(encode_json(document), media_type, **fields)

    def write_index(self, manifests: Iterable[Descriptor]) -> bytes:
        """Write ``index.json`` listing ``manifests`` and the ``oci-layout`` marker."""
        index = {
            "schemaVersion": 2,
            "mediaType": mt.OCI_INDEX,
            "manifests": [d.to_json() for d in manifests],
        }
        raw = encode_json(index)
        atomic_write_bytes(self.root / "oci-layout", encode_json({"imageLayoutVersion": "1.0.0"}))
        atomic_write_bytes(self.root / "index.json", raw)
        return raw
