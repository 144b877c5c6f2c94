"""Image sources: one interface over a registry, an OCI layout, an OCI archive and a docker-archive.

Every stage above this one (SBOM, inspect, copy, signing subjects) asks the same questions of an
image, wherever it lives: which digest is it (tags resolved once, only the digest reported from
then on), what kind of object is at the top (manifest or index), which platforms does it hold,
and per platform: the config and the layers, each layer as a stream whose bytes are checked
against the digest and size the manifest promised. Nothing here holds a whole image in memory;
blobs are streamed and only manifests and configs (capped, oci/limits.py) are read whole.

How to use it::

    from supplychain.oci.source import open_image_source
    from supplychain.oci.platform import PlatformSelection

    with open_image_source("oci:testdata/images/sample-oci") as src:
        print(src.digest, src.media_type, src.platforms())
        for image in src.images(PlatformSelection.all()):
            for layer in image.layers:
                with src.open_layer(layer) as stream:   # compressed bytes, verified
                    ...  # decompress by layer.media_type, check layer.diff_id yourself
                # leaving the ``with`` block drains and checks the rest: IntegrityError on mismatch

Source text grammar (:func:`parse_source_text`):

* ``oci:DIR``, ``oci:DIR:TAG``, ``oci:DIR@sha256:HEX`` — an OCI image layout directory.
* ``oci-archive:FILE[:TAG|@DIGEST]`` — the same, packed in a tar (read in place, never extracted).
* ``docker-archive:FILE[:REPO:TAG]`` — ``docker save`` output; Docker >= 25 archives carry an OCI
  layout inside and are read as such.
* ``dir:PATH`` — a plain root filesystem (no manifest; only ``supplychain sbom`` takes it).
* anything else — a registry reference (``host/repo:tag``, ``@sha256:``), see oci/reference.py.

Verification rules (docs/sources.md, FORMATS.md §1.4): manifests and configs are hashed over
their exact bytes before they are parsed; a blob stream counts and hashes every byte, refuses
to read past the declared size, and raises :class:`IntegrityError` when the stream ends short
or the digest differs. For a legacy docker-archive, which has no manifest, the layer tar member
itself is checked against the config's ``diff_id``.
"""

from __future__ import annotations

import enum
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, BinaryIO

from supplychain._internal import strictjson
from supplychain.errors import (
    InvalidInputError,
    LimitExceededError,
    UnsupportedError,
    UsageError,
)
from supplychain.model import Descriptor, Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci.limits import DEFAULT_LIMITS, Limits
from supplychain.oci.manifest import ImageIndex, ImageManifest, Manifest, parse_manifest
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.verified import VerifiedStream as VerifiedStream  # re-exported
from supplychain.oci.verified import read_verified


class SourceKind(str, enum.Enum):
    REGISTRY = "registry"
    OCI_LAYOUT = "oci-layout"
    OCI_ARCHIVE = "oci-archive"
    DOCKER_ARCHIVE = "docker-archive"
    DIR = "dir"


# --- what a source returns ------------------------------------------------------------------


@dataclass(frozen=True)
class ImageConfig:
    """An image config blob, verified and parsed; ``raw`` keeps the exact bytes."""

    raw: bytes
    digest: Digest
    media_type: str
    platform: Platform
    diff_ids: tuple[Digest, ...]
    created: str | None
    document: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @classmethod
    def parse(cls, raw: bytes, *, digest: Digest, media_type: str, what: str) -> ImageConfig:
        doc = strictjson.loads_object(raw, what=what, max_bytes=max(len(raw), 1))
        os_name = doc.get("os")
        arch = doc.get("architecture")
        if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
            raise InvalidInputError("config needs os and architecture strings", subject=what)
        variant = doc.get("variant", "")
        if not isinstance(variant, str):
            raise InvalidInputError("config variant must be a string", subject=what)
        rootfs = doc.get("rootfs")
        if not isinstance(rootfs, dict) or rootfs.get("type") != "layers":
            raise InvalidInputError('config rootfs.type must be "layers"', subject=what)
        ids = rootfs.get("diff_ids")
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InvalidInputError(
                "config rootfs.diff_ids must be a list of digests", subject=what
            )
        created = doc.get("created")
        if created is not None and not isinstance(created, str):
            raise InvalidInputError("config created must be a string", subject=what)
        return cls(
            raw=raw,
            digest=digest,
            media_type=media_type,
            platform=Platform(os_name, arch, variant),
            diff_ids=tuple(Digest.parse(i) for i in ids),
            created=created,
            document=doc,
        )


@dataclass(frozen=True)
class Layer:
    """One layer of one platform image: the blob to fetch and the diff_id its tar must hash to.

    ``descriptor`` is what the manifest says about the (usually compressed) blob; ``diff_id`` is
    the config's digest of the uncompressed tar. Consumers decompress by :attr:`media_type` and
    check ``diff_id`` themselves; the source checks the blob digest and size.
    """

    index: int
    descriptor: Descriptor
    diff_id: Digest

    @property
    def media_type(self) -> str:
        return self.descriptor.media_type

    @property
    def digest(self) -> Digest:
        return self.descriptor.digest

    @property
    def size(self) -> int:
        return self.descriptor.size

    @property
    def compression(self) -> str:
        """``gzip``, ``zstd`` or ``none``; UnsupportedError for a non-layer media type."""
        try:
            return mt.layer_compression(self.media_type)
        except ValueError as exc:
            raise UnsupportedError(
                f"unsupported layer media type {self.media_type!r}", subject=str(self.digest)
            ) from exc


@dataclass(frozen=True)
class PlatformImage:
    """One runnable image: its manifest, parsed config and layers (base layer first).

    ``manifest_synthesized`` is True for a legacy docker-archive, which stores no manifest: the
    manifest here is built from the archive (uncompressed layers, Docker media types) so that
    the image can be copied to a registry, but its digest is not one a registry ever served.
    """

    platform: Platform
    manifest: ImageManifest
    config: ImageConfig
    layers: tuple[Layer, ...]
    manifest_synthesized: bool = False

    @property
    def digest(self) -> Digest:
        return self.manifest.digest


# --- the interface --------------------------------------------------------------------------


class ImageSource(ABC):
    """An image wherever it lives; see the module docstring for the contract.

    Subclasses provide :meth:`_open_blob_raw` (an unverified stream of a blob's bytes) and set
    the top-level object in their constructor; everything that walks manifests, picks platforms
    and verifies is shared here, so every kind of source checks bytes the same way.
    """

    kind: SourceKind

    def __init__(self, *, display: str, top: Manifest, tag: str | None, limits: Limits) -> None:
        self.display = display
        self._top = top
        self._entries: list[tuple[Platform, Descriptor]] | None = None
        self.tag = tag
        self.limits = limits

    # identity -----------------------------------------------------------------------------

    @property
    def top(self) -> Manifest:
        """The top-level manifest or index, parsed from verified raw bytes (``top.raw``)."""
        return self._top

    @property
    def digest(self) -> Digest | None:
        """The resolved digest of the top-level object; None when the source has no manifest."""
        return self._top.digest

    @property
    def media_type(self) -> str:
        return self._top.media_type

    @property
    def is_index(self) -> bool:
        return isinstance(self._top, ImageIndex)

    def pinned(self) -> str:
        """How to name exactly this image again (``oci:DIR@sha256:…``, ``repo@sha256:…``)."""
        return f"{self.display}@{self.digest}" if self.digest else self.display

    # blobs --------------------------------------------------------------------------------

    @abstractmethod
    def _open_blob_raw(self, descriptor: Descriptor) -> BinaryIO:
        """The blob's bytes, unverified; NotFoundError / InvalidInputError when missing."""

    def open_blob(self, descriptor: Descriptor) -> VerifiedStream:
        """A verified stream of any blob named by ``descriptor`` (digest and size checked)."""
        raw = self._open_blob_raw(descriptor)
        return VerifiedStream(
            raw,
            digest=descriptor.digest,
            size=descriptor.size,
            what=f"{self.display} blob {descriptor.digest}",
        )

    def read_blob(self, descriptor: Descriptor, limit: int) -> bytes:
        """A whole small blob, verified; the declared size is checked against ``limit`` first."""
        if descriptor.size > limit:
            raise LimitExceededError(
                f"declared size {descriptor.size} is over the {limit}-byte limit",
                subject=f"{self.display} blob {descriptor.digest}",
            )
        return read_verified(self.open_blob(descriptor), limit)

    def open_layer(self, layer: Layer) -> VerifiedStream:
        """The layer blob as a verified stream (compressed bytes as stored)."""
        if layer.size > self.limits.layer_blob:
            raise LimitExceededError(
                f"layer declares {layer.size} bytes, over the {self.limits.layer_blob}-byte limit",
                subject=f"{self.display} layer {layer.index} {layer.digest}",
            )
        return self.open_blob(layer.descriptor)

    # manifests ----------------------------------------------------------------------------

    def fetch_manifest(self, descriptor: Descriptor) -> Manifest:
        """A child manifest or index by descriptor, verified, size-capped and parsed."""
        what = f"{self.display} manifest {descriptor.digest}"
        raw = self.read_blob(descriptor, self.limits.manifest_read)
        parsed = parse_manifest(
            raw,
            digest=descriptor.digest,
            content_type=descriptor.media_type,
            what=what,
            limits=self.limits,
        )
        return parsed

    def platform_entries(self) -> list[tuple[Platform, Descriptor]]:
        """Image manifests listed by the top-level index (nested indexes followed), in order.

        Attestation manifests, ``unknown/unknown`` entries and non-image media types are left
        out (SBOM.md §A.2). Entries without a ``platform`` take it from their config. Nesting
        deeper than ``limits.index_nesting`` indexes is refused (LimitExceededError).
        """
        if self._entries is not None:
            return list(self._entries)
        top = self._top
        out: list[tuple[Platform, Descriptor]] = []
        if isinstance(top, ImageManifest):
            out.append((self._single_platform(top), self._top_descriptor()))
        else:
            self._walk_index(top, 1, out, set(), [0])
        self._entries = out
        return list(out)

    def _walk_index(
        self,
        index: ImageIndex,
        depth: int,
        out: list[tuple[Platform, Descriptor]],
        seen: set[Digest],
        walked: list[int],
    ) -> None:
        # Nested indexes multiply: 1000 entries each of 1000 entries would be a million
        # fetches, so the entry cap counts every index visited, not just one.
        walked[0] += len(index.manifests)
        if walked[0] > self.limits.index_descriptors:
            raise LimitExceededError(
                f"indexes list more than {self.limits.index_descriptors} entries in all",
                subject=f"{self.display} index {index.digest}",
            )
        if depth > self.limits.index_nesting:
            raise LimitExceededError(
                f"indexes nested more than {self.limits.index_nesting} deep",
                subject=f"{self.display} index {index.digest}",
            )
        if index.digest in seen:
            raise InvalidInputError("index refers to itself", subject=str(index.digest))
        seen = seen | {index.digest}
        for desc in index.manifests:
            if desc.annotations.get("vnd.docker.reference.type") == "attestation-manifest":
                continue
            if desc.platform is not None and desc.platform.os == "unknown":
                continue
            if desc.media_type in mt.INDEX_TYPES:
                child = self.fetch_manifest(desc)
                if not isinstance(child, ImageIndex):
                    raise InvalidInputError(
                        "descriptor says index but the blob is a manifest",
                        subject=f"{self.display} manifest {desc.digest}",
                    )
                self._walk_index(child, depth + 1, out, seen, walked)
            elif desc.media_type in mt.MANIFEST_TYPES:
                platform = desc.platform
                if platform is None:
                    manifest = self._image_manifest(desc)
                    if manifest.config.media_type not in mt.CONFIG_TYPES:
                        continue  # an artifact (signature, SBOM) listed beside the images
                    platform = self._config_of(manifest).platform
                out.append((platform, desc))
            # other media types (artifacts, unknown) are not images: skipped

    def platforms(self) -> list[Platform]:
        """Every platform the image offers, in index order."""
        return [p for p, _ in self.platform_entries()]

    def images(self, selection: PlatformSelection) -> list[PlatformImage]:
        """The platform images ``selection`` picks (UsageError listing platforms if none)."""
        top = self._top
        if isinstance(top, ImageManifest):
            image = self._build_image(top, None)
            selection.check_single(image.platform, what=self.display)
            return [image]
        entries = self.platform_entries()
        chosen = selection.select(entries, what=self.display)
        absent = [str(p) for p, desc in chosen if not self.holds(desc)]
        if absent:
            held = [str(p) for p, desc in entries if self.holds(desc)]
            raise UsageError(
                f"the index lists {', '.join(absent)} but this {self.kind.value} does not hold "
                f"that image (it holds: {', '.join(held) or 'none'})",
                subject=self.display,
                hint="choose a held platform with --platform",
            )
        return [self.image_for(desc, platform) for platform, desc in chosen]

    def holds(self, descriptor: Descriptor) -> bool:
        """Whether the manifest ``descriptor`` names is stored here.

        Local stores are often partial on purpose: ``docker save`` (Docker >= 25) and
        containerd exports keep the whole index but only the platforms that were pulled. A
        platform listed but absent is then a choice to make (exit 2), not corruption; a
        missing config or layer below a held manifest still is (exit 1). Registries hold
        what they list (a 404 there is an error of its own).
        """
        return True

    def image_for(self, descriptor: Descriptor, platform: Platform | None = None) -> PlatformImage:
        """The platform image behind one manifest descriptor."""
        return self._build_image(self._image_manifest(descriptor), platform)

    def _top_descriptor(self) -> Descriptor:
        top = self._top
        return Descriptor(media_type=top.media_type, digest=top.digest, size=len(top.raw))

    def _image_manifest(self, descriptor: Descriptor) -> ImageManifest:
        if descriptor.digest == self._top.digest and isinstance(self._top, ImageManifest):
            return self._top
        manifest = self.fetch_manifest(descriptor)
        if not isinstance(manifest, ImageManifest):
            raise InvalidInputError(
                "descriptor says image manifest but the blob is an index",
                subject=f"{self.display} manifest {descriptor.digest}",
            )
        return manifest

    def _single_platform(self, manifest: ImageManifest) -> Platform:
        return self._config_of(manifest).platform

    def _config_of(self, manifest: ImageManifest) -> ImageConfig:
        what = f"{self.display} config {manifest.config.digest}"
        if manifest.config.media_type not in mt.CONFIG_TYPES:
            raise UnsupportedError(
                f"not a container image (config media type {manifest.config.media_type!r})",
                subject=f"{self.display} manifest {manifest.digest}",
            )
        raw = self.read_blob(manifest.config, self.limits.config_blob)
        return ImageConfig.parse(
            raw, digest=manifest.config.digest, media_type=manifest.config.media_type, what=what
        )

    def _build_image(self, manifest: ImageManifest, hint: Platform | None) -> PlatformImage:
        config = self._config_of(manifest)
        what = f"{self.display} manifest {manifest.digest}"
        if len(config.diff_ids) != len(manifest.layers):
            raise InvalidInputError(
                f"manifest has {len(manifest.layers)} layers but the config lists "
                f"{len(config.diff_ids)} diff_ids",
                subject=what,
            )
        if hint is not None and not (
            hint.os == config.platform.os and hint.architecture == config.platform.architecture
        ):
            raise InvalidInputError(
                f"index says {hint} but the config says {config.platform}", subject=what
            )
        layers = tuple(
            Layer(index=i, descriptor=d, diff_id=config.diff_ids[i])
            for i, d in enumerate(manifest.layers)
        )
        return PlatformImage(
            platform=hint if hint is not None else config.platform,
            manifest=manifest,
            config=config,
            layers=layers,
        )

    # referrers and lifetime ---------------------------------------------------------------

    def referrers(self, digest: Digest | None = None) -> list[Descriptor] | None:
        """Referrers of ``digest`` (default: the top) or None when the kind has no such notion."""
        return None

    def close(self) -> None:
        """Release files or sessions; safe to call twice."""
        return None

    def __enter__(self) -> ImageSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class RootfsSource:
    """``dir:PATH``: a root filesystem on disk; no manifest, no digest, one pseudo-layer."""

    path: str
    display: str
    kind: SourceKind = SourceKind.DIR


# --- parsing the source text ----------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source text: the kind, the location and the tag or digest asked for."""

    kind: SourceKind
    location: str
    tag: str | None = None
    digest: Digest | None = None
    text: str = ""

    @property
    def display(self) -> str:
        """The source without tag or digest (``oci:DIR``): what messages and ``pinned`` use."""
        if self.kind is SourceKind.REGISTRY:
            return self.location
        return f"{_KIND_PREFIX[self.kind]}{self.location}"


_PREFIXES = {
    "oci:": SourceKind.OCI_LAYOUT,
    "oci-archive:": SourceKind.OCI_ARCHIVE,
    "docker-archive:": SourceKind.DOCKER_ARCHIVE,
    "dir:": SourceKind.DIR,
}


_KIND_PREFIX = {kind: prefix for prefix, kind in _PREFIXES.items()}


def _split_path_selector(rest: str, text: str) -> tuple[str, str | None, Digest | None]:
    """``PATH[:TAG|@DIGEST]`` → (path, tag, digest); the file system decides the split.

    Paths may contain ``:`` or ``@`` and layout tags (``org.opencontainers.image.ref.name``) or
    docker-archive ``REPO:TAG`` names may contain ``:``, so: a path that exists as written wins;
    then ``@ALG:HEX`` at the end is a digest; then the first ``:`` whose left side exists splits
    path from tag. When nothing exists the first ``:`` splits, so the error names the path.
    """
    if os.path.exists(rest):
        return rest, None, None
    at = rest.rfind("@")
    if at > 0 and ":" in rest[at:]:
        return rest[:at], None, _parse_digest(rest[at + 1 :], text)
    colons = [i for i, ch in enumerate(rest) if ch == ":" and i > 0]
    for i in colons:
        if os.path.exists(rest[:i]):
            return rest[:i], _check_tag(rest[i + 1 :], text), None
    if colons:
        i = colons[0]
        return rest[:i], _check_tag(rest[i + 1 :], text), None
    return rest, None, None


def _parse_digest(value: str, text: str) -> Digest:
    try:
        return Digest.parse(value)
    except InvalidInputError as exc:
        raise UsageError(exc.message, subject=f"source {text!r}") from exc


def _check_tag(value: str, text: str) -> str:
    if not value or len(value) > 255 or any(ch.isspace() or ch in "\0" for ch in value):
        raise UsageError("malformed tag", subject=f"source {text!r}")
    return value


def parse_source_text(text: str) -> SourceSpec:
    """Split a source text into kind, location and tag/digest; no I/O beyond ``exists``.

    Malformed text is a UsageError (exit 2).
    """
    if not isinstance(text, str) or not text.strip():
        raise UsageError("empty source", subject="source")
    if len(text) > 4096:
        raise UsageError("source text is longer than 4096 characters", subject="source")
    for prefix, kind in _PREFIXES.items():
        if text.startswith(prefix):
            rest = text[len(prefix) :]
            if not rest:
                raise UsageError(f"{prefix} needs a path", subject=f"source {text!r}")
            if kind is SourceKind.DIR:
                return SourceSpec(kind, rest, text=text)
            location, tag, digest = _split_path_selector(rest, text)
            return SourceSpec(kind, location, tag, digest, text)
    return SourceSpec(SourceKind.REGISTRY, text, text=text)


def open_source(
    text: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    insecure_registries: tuple[str, ...] = (),
) -> ImageSource | RootfsSource:
    """Open whatever ``text`` names (see the module docstring for the grammar).

    Tags are resolved here, once; the returned source reports only the digest. Errors: a
    malformed text or a missing file → UsageError (2); a corrupt layout/archive or a digest
    mismatch → RejectedError subclasses (1); registry unreachable → CouldNotCheckError (3).
    """
    spec = parse_source_text(text)
    if spec.kind is SourceKind.DIR:
        if not os.path.isdir(spec.location):
            raise UsageError("no such directory", subject=f"source {text!r}")
        return RootfsSource(path=spec.location, display=text)
    if spec.kind is SourceKind.OCI_LAYOUT:
        from supplychain.oci.layout import open_layout

        return open_layout(spec, limits=limits)
    if spec.kind is SourceKind.OCI_ARCHIVE:
        from supplychain.oci.archive import open_oci_archive

        return open_oci_archive(spec, limits=limits)
    if spec.kind is SourceKind.DOCKER_ARCHIVE:
        from supplychain.oci.archive import open_docker_archive

        return open_docker_archive(spec, limits=limits)
    _refuse_local_path_as_reference(text)
    from supplychain.oci.remote import open_remote

    return open_remote(spec, limits=limits, insecure_registries=insecure_registries)


def _refuse_local_path_as_reference(text: str) -> None:
    """A bare path that exists locally is almost surely not meant as a Docker Hub repository.

    ``testdata/images/sample-oci`` is also a valid reference (``docker.io/testdata/...``), and
    sending it to Docker Hub would fail slowly and confusingly; name the prefix instead.
    """
    if os.path.isdir(text) and os.path.exists(os.path.join(text, "oci-layout")):
        hint = f"for an OCI layout write oci:{text}"
    elif os.path.isfile(text):
        hint = f"for an archive write docker-archive:{text} or oci-archive:{text}"
    elif text.startswith(("/", "./", "../", "~")):
        # Written as a path, and no reference starts like this: say what is really wrong.
        raise UsageError(
            "no such file or directory",
            subject=text,
            hint="local sources are oci:DIR, oci-archive:FILE, docker-archive:FILE or dir:PATH",
        )
    else:
        return
    raise UsageError("is a local path, not a registry reference", subject=text, hint=hint)


def open_image_source(
    text: str,
    *,
    limits: Limits = DEFAULT_LIMITS,
    insecure_registries: tuple[str, ...] = (),
) -> ImageSource:
    """Like :func:`open_source` but only images: ``dir:`` is a usage error."""
    source = open_source(text, limits=limits, insecure_registries=insecure_registries)
    if isinstance(source, RootfsSource):
        raise UsageError(
            "a dir: source is a plain filesystem with no manifest",
            subject=f"source {text!r}",
            hint="use an image source: REF, oci:DIR, oci-archive:FILE or docker-archive:FILE",
        )
    return source
