"""Images packed in tar files, read in place: ``docker save`` archives and OCI archives.

Nothing is extracted. The shared tar header reader (supplychain/_internal/tarstream.py, the
one the layer scanner uses) indexes the archive (member name → offset and size) without reading
any member's content, with the caps of SECURITY.md §4.2 checked before a header record is read
(a stock ``tarfile`` reads PAX and GNU long-name records whole, whatever they claim). A member
is then read as a byte range of the archive file.

Two layouts exist inside such a tar:

* OCI (``oci-layout`` + ``index.json``, also written by Docker >= 25 beside ``manifest.json``):
  served by the layout reader (oci/layout.py) over the tar members.
* Legacy ``docker save`` (``manifest.json`` = ``[{Config, RepoTags, Layers}]``): no manifest is
  stored, so there is no registry digest. The config is hashed (its sha256 is Docker's image ID)
  and each plain-tar layer member must hash to the config's ``diff_id`` of the same position
  (gzip/zstd members, which ``docker load`` accepts, are hashed on open and checked against
  ``diff_id`` once decompressed). A Docker v2 manifest is synthesised so that copy and
  inspect work the same way, but
  the source's :attr:`digest` is None and ``manifest_synthesized`` says so.
"""

from __future__ import annotations

import hashlib
import io
import os
import posixpath
import sys
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from supplychain._internal import strictjson
from supplychain._internal.tarstream import Kind, TarEntry, TarLimits, iter_entries
from supplychain.errors import (
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    UsageError,
)
from supplychain.model import Descriptor, Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci.layout import LayoutSource, blob_path, encode_json
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.manifest import ImageManifest, parse_manifest
from supplychain.oci.source import (
    ImageConfig,
    ImageSource,
    PlatformImage,
    SourceKind,
    SourceSpec,
)

MAX_MEMBERS = 1_000_000
MAX_NAME = 4096
MAX_EXTENDED_HEADER = 1024 * 1024
MAX_LINK_HOPS = 8
_GZIP_MAGIC = b"\x1f\x8b"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


@dataclass(frozen=True)
class Member:
    name: str
    offset: int
    size: int
    kind: str  # "file", "link" (symlink or hardlink), "other"
    target: str = ""


def _normalise(name: str) -> str:
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    return posixpath.normpath(name) if name else ""


class _SeekingSource:
    """The archive file as a tar reader's source: headers are read, member data is seeked over
    (never read), and a skip past the end of the file reports the shortfall."""

    def __init__(self, handle: BinaryIO, file_size: int) -> None:
        self._handle = handle
        self._file_size = file_size

    def read(self, size: int) -> bytes:
        return self._handle.read(size)

    def skip(self, size: int) -> int:
        here = self._handle.tell()
        passed = max(0, min(size, self._file_size - here))
        self._handle.seek(here + passed)
        return passed


def index_tar(path: str, *, what: str) -> dict[str, Member]:
    """Member name → Member for every entry of the tar at ``path``; content is never read.

    Headers go through the shared reader (supplychain/_internal/tarstream.py), so archives get
    the same bounds as layers: extended records capped before they are read, checksums,
    base-256 sizes, an entry cap. On top, an archive member must lie inside the file, and its
    name must be usable as a lookup key (no NUL, at most ``MAX_NAME`` bytes).
    """
    members: dict[str, Member] = {}
    with open(path, "rb") as handle:
        file_size = os.fstat(handle.fileno()).st_size
        limits = TarLimits(
            entries=MAX_MEMBERS,
            extended_header=MAX_EXTENDED_HEADER,
            path_bytes=MAX_NAME,
            # The file itself bounds a member; _add_member says "past the end" when it does not.
            member_bytes=sys.maxsize,
        )
        source = _SeekingSource(handle, file_size)
        for entry, _data in iter_entries(source, what=what, limits=limits):
            _add_member(members, entry, file_size, what)
    return members


def _add_member(members: dict[str, Member], entry: TarEntry, file_size: int, what: str) -> None:
    if entry.offset + entry.size > file_size:
        raise InvalidInputError(
            f"tar entry at offset {entry.offset} runs past the end of the file", subject=what
        )
    name = entry.name
    if len(name.encode("utf-8", errors="replace")) > MAX_NAME or "\0" in name:
        raise InvalidInputError("tar entry name too long or malformed", subject=what)
    key = _normalise(name)
    if entry.kind is Kind.FILE:
        members[key] = Member(key, entry.offset, entry.size, "file")
    elif entry.kind is Kind.SYMLINK:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(key), entry.linkname))
        members[key] = Member(key, entry.offset, 0, "link", target.lstrip("/"))
    elif entry.kind is Kind.HARDLINK:
        members[key] = Member(key, entry.offset, 0, "link", _normalise(entry.linkname))
    else:
        members[key] = Member(key, entry.offset, entry.size, "other")


class _RangeReader(io.RawIOBase):
    """Bytes ``offset .. offset+size`` of a file, as a stream of its own."""

    def __init__(self, path: str, offset: int, size: int) -> None:
        super().__init__()
        self._handle = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._handle.seek(offset)
        self._left = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._left <= 0:
            return 0
        view = memoryview(buffer).cast("B")
        data = self._handle.read(min(len(view), self._left))
        self._left -= len(data)
        view[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()


class TarArchive:
    """A tar file's member index plus bounded, verified-by-caller member reads."""

    def __init__(self, path: str, display: str) -> None:
        self.path = path
        self.display = display
        self.members = index_tar(path, what=display)

    def resolve(self, name: str) -> Member | None:
        member = self.members.get(_normalise(name))
        hops = 0
        while member is not None and member.kind == "link":
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise InvalidInputError(f"link loop at {name!r}", subject=self.display)
            member = self.members.get(member.target)
        if member is not None and member.kind != "file":
            return None
        return member

    def open_member(self, name: str) -> BinaryIO:
        member = self.resolve(name)
        if member is None:
            raise InvalidInputError(f"archive has no file {name!r}", subject=self.display)
        return io.BufferedReader(_RangeReader(self.path, member.offset, member.size))

    def read_member(self, name: str, limit: int) -> bytes | None:
        member = self.resolve(name)
        if member is None:
            return None
        if member.size > limit:
            raise LimitExceededError(
                f"{name} is {member.size} bytes, over the {limit}-byte limit",
                subject=self.display,
            )
        with self.open_member(name) as handle:
            return handle.read(limit + 1)


class TarStorage:
    """Layout storage over the members of a tar (oci/layout.py ``LayoutStorage``)."""

    def __init__(self, archive: TarArchive) -> None:
        self.archive = archive
        self.display = archive.display

    def read_file(self, name: str, limit: int) -> bytes | None:
        return self.archive.read_member(name, limit)

    def open_blob(self, digest: Digest, size: int) -> BinaryIO:
        member = self.archive.resolve(blob_path(digest))
        if member is None:
            raise InvalidInputError(
                f"blob {digest} is missing from the archive", subject=self.display
            )
        return self.archive.open_member(blob_path(digest))

    def blob_size(self, digest: Digest) -> int | None:
        member = self.archive.resolve(blob_path(digest))
        return None if member is None else member.size

    def close(self) -> None:
        return None


def _open_archive(spec: SourceSpec) -> TarArchive:
    where = f"source {spec.text or spec.location!r}"
    if not os.path.exists(spec.location):
        raise UsageError("no such file", subject=where)
    if not os.path.isfile(spec.location):
        raise UsageError("is not a regular file", subject=where)
    return TarArchive(spec.location, spec.display)


def open_oci_archive(spec: SourceSpec, *, limits: Limits = DEFAULT_LIMITS) -> LayoutSource:
    """``oci-archive:FILE[:TAG|@DIGEST]``: an OCI layout packed in a tar."""
    archive = _open_archive(spec)
    return LayoutSource(TarStorage(archive), spec, limits=limits, kind=SourceKind.OCI_ARCHIVE)


def open_docker_archive(spec: SourceSpec, *, limits: Limits = DEFAULT_LIMITS) -> ImageSource:
    """``docker-archive:FILE[:REPO:TAG]``: OCI inside when present, else legacy manifest.json."""
    archive = _open_archive(spec)
    if archive.resolve("oci-layout") is not None and archive.resolve("index.json") is not None:
        return LayoutSource(
            TarStorage(archive), spec, limits=limits, kind=SourceKind.DOCKER_ARCHIVE
        )
    return DockerArchiveSource(archive, spec, limits=limits)


@dataclass(frozen=True)
class _LegacyEntry:
    config: str
    repo_tags: tuple[str, ...]
    layers: tuple[str, ...]


def _legacy_entries(archive: TarArchive, limits: Limits) -> list[_LegacyEntry]:
    what = f"{archive.display} manifest.json"
    raw = archive.read_member("manifest.json", limits.manifest_read)
    if raw is None:
        raise InvalidInputError(
            "not a docker-archive (no manifest.json and no OCI index.json)",
            subject=archive.display,
        )
    doc = strictjson.loads(raw, what=what, max_bytes=limits.manifest_read)
    if not isinstance(doc, list) or not doc:
        raise InvalidInputError("manifest.json must be a non-empty list", subject=what)
    out = []
    for item in doc:
        if not isinstance(item, dict):
            raise InvalidInputError("manifest.json entries must be objects", subject=what)
        config = item.get("Config")
        tags = item.get("RepoTags") or []
        layers = item.get("Layers")
        if (
            not isinstance(config, str)
            or not isinstance(tags, list)
            or not all(isinstance(t, str) for t in tags)
            or not isinstance(layers, list)
            or not all(isinstance(x, str) for x in layers)
        ):
            raise InvalidInputError(
                "manifest.json entry needs Config, Layers (strings) and RepoTags", subject=what
            )
        if len(layers) > limits.manifest_layers:
            raise LimitExceededError(
                f"{len(layers)} layers, over the limit of {limits.manifest_layers}", subject=what
            )
        out.append(_LegacyEntry(config, tuple(tags), tuple(layers)))
    return out


def _tag_forms(tag: str) -> set[str]:
    forms = {tag}
    for prefix in ("docker.io/library/", "docker.io/"):
        if tag.startswith(prefix):
            forms.add(tag[len(prefix) :])
    return forms


class DockerArchiveSource(ImageSource):
    """A legacy ``docker save`` archive: one image chosen by ``REPO:TAG`` or as the sole entry."""

    kind = SourceKind.DOCKER_ARCHIVE

    def __init__(self, archive: TarArchive, spec: SourceSpec, *, limits: Limits) -> None:
        self._archive = archive
        self.display = archive.display
        self.limits = limits
        entries = _legacy_entries(archive, limits)
        entry = self._choose(entries, spec)
        self._entry = entry
        config_raw = archive.read_member(entry.config, limits.config_blob)
        if config_raw is None:
            raise InvalidInputError(
                f"config {entry.config!r} is missing from the archive", subject=self.display
            )
        config_digest = Digest.of(config_raw)
        self._check_named_digest(entry.config, config_digest)
        self._config = ImageConfig.parse(
            config_raw,
            digest=config_digest,
            media_type=mt.DOCKER_CONFIG,
            what=f"{self.display} config {entry.config}",
        )
        if len(self._config.diff_ids) != len(entry.layers):
            raise InvalidInputError(
                f"manifest.json lists {len(entry.layers)} layers but the config has "
                f"{len(self._config.diff_ids)} diff_ids",
                subject=self.display,
            )
        self._blobs: dict[Digest, str] = {config_digest: entry.config}
        layer_descs = []
        for name, diff_id in zip(entry.layers, self._config.diff_ids, strict=True):
            member = archive.resolve(name)
            if member is None:
                raise InvalidInputError(
                    f"layer {name!r} is missing from the archive", subject=self.display
                )
            media_type, blob_digest = self._layer_blob(name, diff_id)
            self._blobs[blob_digest] = name
            layer_descs.append(
                {"mediaType": media_type, "size": member.size, "digest": str(blob_digest)}
            )
        synthesized = {
            "schemaVersion": 2,
            "mediaType": mt.DOCKER_MANIFEST,
            "config": {
                "mediaType": mt.DOCKER_CONFIG,
                "size": len(config_raw),
                "digest": str(config_digest),
            },
            "layers": layer_descs,
        }
        top = parse_manifest(
            encode_json(synthesized),
            content_type=mt.DOCKER_MANIFEST,
            what=f"{self.display} (synthesised manifest)",
            limits=limits,
        )
        tag = spec.tag or (entry.repo_tags[0] if entry.repo_tags else None)
        super().__init__(display=self.display, top=top, tag=tag, limits=limits)

    def _choose(self, entries: list[_LegacyEntry], spec: SourceSpec) -> _LegacyEntry:
        if spec.digest is not None:
            raise UsageError(
                "a legacy docker-archive stores no manifest digest to select by",
                subject=self.display,
                hint="select by REPO:TAG",
            )
        if spec.tag is not None:
            wanted = _tag_forms(spec.tag)
            for entry in entries:
                if any(_tag_forms(t) & wanted for t in entry.repo_tags):
                    return entry
            tags = sorted({t for e in entries for t in e.repo_tags}) or ["none"]
            raise UsageError(
                f"no image tagged {spec.tag!r} (tags: {', '.join(tags)})", subject=self.display
            )
        if len(entries) > 1:
            tags = sorted({t for e in entries for t in e.repo_tags}) or ["none"]
            raise UsageError(
                f"archive holds {len(entries)} images; name one (tags: {', '.join(tags)})",
                subject=self.display,
                hint="append :REPO:TAG",
            )
        return entries[0]

    def _check_named_digest(self, name: str, digest: Digest) -> None:
        """Docker names configs ``<hex>.json`` or ``blobs/sha256/<hex>``: the name must agree."""
        base = posixpath.basename(name)
        stem = base[: -len(".json")] if base.endswith(".json") else base
        if len(stem) == 64 and all(c in "0123456789abcdef" for c in stem) and stem != digest.hex:
            raise IntegrityError(f"config {name} hashes to {digest}", subject=self.display)

    def _layer_blob(self, name: str, diff_id: Digest) -> tuple[str, Digest]:
        """Media type and blob digest of a layer member.

        ``docker save`` writes plain tars: the blob digest *is* the diff_id, so reading the
        layer checks it against the config. ``docker load`` also accepts gzip or zstd members;
        those have no digest anywhere in the archive, so their sha256 is taken here, once (a
        later read must match it), and the binding to the config is the diff_id that every
        consumer checks after decompressing (``inspect --verify``, ``sbom``).
        """
        with self._archive.open_member(name) as handle:
            head = handle.read(4)
        if head.startswith(_GZIP_MAGIC):
            media_type = mt.DOCKER_LAYER_GZIP
        elif head.startswith(_ZSTD_MAGIC):
            media_type = mt.OCI_LAYER_ZSTD
        else:
            return mt.DOCKER_LAYER_TAR, diff_id
        hasher = hashlib.sha256()
        with self._archive.open_member(name) as handle:
            while chunk := handle.read(1024 * 1024):
                hasher.update(chunk)
        return media_type, Digest("sha256", hasher.hexdigest())

    @property
    def digest(self) -> Digest | None:
        """None: a legacy docker-archive has no manifest, hence no registry digest."""
        return None

    def _open_blob_raw(self, descriptor: Descriptor) -> BinaryIO:
        name = self._blobs.get(descriptor.digest)
        if name is None:
            raise InvalidInputError(
                f"archive holds no blob {descriptor.digest}", subject=self.display
            )
        return self._archive.open_member(name)

    def _build_image(self, manifest: ImageManifest, hint: Platform | None) -> PlatformImage:
        image = super()._build_image(manifest, hint)
        return replace(image, manifest_synthesized=True)

    def pinned(self) -> str:
        return self.display


__all__ = [
    "DockerArchiveSource",
    "TarArchive",
    "TarStorage",
    "index_tar",
    "open_docker_archive",
    "open_oci_archive",
]
