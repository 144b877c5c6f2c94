"""Images packed in tar files, read in place: ``docker save`` archives and OCI archives.

Nothing is extracted. A small header scanner of our own indexes the archive (member name →
offset and size) without reading any member's content, with the caps of SECURITY.md §4.2
checked before a header record is read (a stock ``tarfile`` reads PAX and GNU long-name records
whole, whatever they claim). A member is then read as a byte range of the archive file.

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
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from supplychain._internal import strictjson
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
    Layer,
    PlatformImage,
    SourceKind,
    SourceSpec,
)

BLOCK = 512
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


def _octal(field: bytes, what: str) -> int:
    if field and field[0] & 0x80:  # GNU base-256 for big numbers
        value = int.from_bytes(field[1:], "big")
        return value
    text = field.replace(b"\0", b" ").strip()
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise InvalidInputError("malformed tar header number", subject=what) from exc


def _cstr(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", errors="surrogateescape")


def _normalise(name: str) -> str:
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    return posixpath.normpath(name) if name else ""


def _parse_pax(data: bytes, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise InvalidInputError("malformed PAX header", subject=what) from exc
        if length <= 0 or pos + length > len(data):
            raise InvalidInputError("malformed PAX header record length", subject=what)
        record = data[space + 1 : pos + length - 1]
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "surrogateescape")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return out


def index_tar(path: str, *, what: str) -> dict[str, Member]:
    """Member name → Member for every entry of the tar at ``path``; content is never read."""
    members: dict[str, Member] = {}
    with open(path, "rb") as handle:
        file_size = os.fstat(handle.fileno()).st_size
        offset = 0
        pending: dict[str, str] = {}
        count = 0
        while True:
            handle.seek(offset)
            header = handle.read(BLOCK)
            if len(header) < BLOCK or header == b"\0" * BLOCK:
                break
            count += 1
            if count > MAX_MEMBERS:
                raise LimitExceededError(f"more than {MAX_MEMBERS} tar entries", subject=what)
            stored = _octal(header[148:156], what)
            computed = sum(header[:148]) + 8 * 32 + sum(header[156:])
            if stored != computed:
                raise InvalidInputError(f"bad tar header checksum at offset {offset}", subject=what)
            size = _octal(header[124:136], what)
            typeflag = header[156:157]
            data_offset = offset + BLOCK
            if size < 0 or data_offset + size > file_size:
                raise InvalidInputError(
                    f"tar entry at offset {offset} runs past the end of the file", subject=what
                )
            next_offset = data_offset + (size + BLOCK - 1) // BLOCK * BLOCK
            if typeflag in (b"x", b"g", b"L", b"K"):
                if size > MAX_EXTENDED_HEADER:
                    raise LimitExceededError(
                        f"extended tar header of {size} bytes, over {MAX_EXTENDED_HEADER}",
                        subject=what,
                    )
                data = handle.read(size)
                if typeflag == b"x":
                    pending.update(_parse_pax(data, what))
                elif typeflag == b"L":
                    pending["path"] = _cstr(data)
                elif typeflag == b"K":
                    pending["linkpath"] = _cstr(data)
                offset = next_offset
                continue
            name = _cstr(header[0:100])
            prefix = _cstr(header[345:500]) if header[257:262] == b"ustar" else ""
            if prefix:
                name = f"{prefix}/{name}"
            name = pending.get("path", name)
            link = pending.get("linkpath", _cstr(header[157:257]))
            if "size" in pending:
                try:
                    size = int(pending["size"])
                except ValueError as exc:
                    raise InvalidInputError("malformed PAX size", subject=what) from exc
                if data_offset + size > file_size:
                    raise InvalidInputError("tar entry runs past the end", subject=what)
                next_offset = data_offset + (size + BLOCK - 1) // BLOCK * BLOCK
            pending = {}
            if len(name) > MAX_NAME or "\0" in name:
                raise InvalidInputError("tar entry name too long or malformed", subject=what)
            key = _normalise(name)
            if typeflag in (b"0", b"\0", b"7"):
                members[key] = Member(key, data_offset, size, "file")
            elif typeflag == b"2":
                target = posixpath.normpath(posixpath.join(posixpath.dirname(key), link))
                members[key] = Member(key, data_offset, 0, "link", target.lstrip("/"))
            elif typeflag == b"1":
                members[key] = Member(key, data_offset, 0, "link", _normalise(link))
            else:
                members[key] = Member(key, data_offset, size, "other")
            offset = next_offset
    return members


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

    @property
    def image_id(self) -> Digest:
        """Docker's image ID: the config digest."""
        return self._config.digest

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

    def layer_member(self, layer: Layer) -> str:
        """The archive member holding ``layer`` (for messages)."""
        return self._blobs[layer.diff_id]


__all__ = [
    "DockerArchiveSource",
    "TarArchive",
    "TarStorage",
    "index_tar",
    "open_docker_archive",
    "open_oci_archive",
]
