"""Push an image from any source to a registry, byte for byte, through the registry client.

What is copied: every manifest the top-level object reaches (for an index: every child,
including nested indexes, attestation manifests and artifacts it lists), their configs and
layers, then the top-level object itself, tagged if asked. Manifests are pushed as the exact
bytes that were verified at the source, so an OCI layout copied to a registry keeps its digest
(what signatures and SBOMs are bound to). A legacy docker-archive has no manifest; its
synthesised one (uncompressed layers) is pushed, and that defines the digest.

Order matters for registries that check references: blobs before the manifest that lists them,
children before the index. Blobs already present are skipped (HEAD); blobs of another
repository of the same registry are mounted when the source is that registry. Layers stream
from the source's verified stream straight into a chunked upload, so memory stays at one
chunk; a source byte that does not match its digest aborts the upload before the final PUT.

Selecting platforms (``platforms=``) copies just those platform manifests; with exactly one,
that manifest becomes the tagged top (a single-platform image), which is what the signing tests
use to put a plain manifest in the registry.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from supplychain.errors import InvalidInputError, UsageError
from supplychain.events import NULL_SINK, ProgressEvent, ProgressSink
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.layout import REF_NAME, DirStorage, LayoutWriter, read_layout_index
from supplychain.oci.limits import DEFAULT_LIMITS
from supplychain.oci.manifest import ImageIndex, ImageManifest, Manifest, parse_manifest
from supplychain.oci.platform import PlatformSelection, SelectionMode
from supplychain.oci.reference import ImageRef
from supplychain.oci.registry import RegistryClient
from supplychain.oci.remote import RemoteSource
from supplychain.oci.source import ImageSource
from supplychain.oci.verified import VerifiedStream

SMALL_BLOB = 4 * 1024 * 1024
CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class CopyResult:
    """What landed at the destination: the top descriptor plus counts for the summary.

    ``repository`` is the registry repository, or the layout directory for ``oci:`` targets.
    """

    descriptor: Descriptor
    repository: str
    tag: str | None
    manifests: int
    blobs_uploaded: int
    blobs_skipped: int
    blobs_mounted: int

    @property
    def digest(self) -> Digest:
        return self.descriptor.digest


class Destination(Protocol):
    """Where a copy writes: a registry repository or an OCI layout directory."""

    name: str
    location: str  # the repository, or the layout directory

    def has_blob(self, digest: Digest) -> bool: ...

    def mount_blob(self, digest: Digest) -> bool:
        """Link the blob from elsewhere without sending bytes; False when not possible."""

    def put_small_blob(self, data: bytes, digest: Digest) -> None: ...

    def put_blob_stream(self, stream: VerifiedStream, descriptor: Descriptor) -> None: ...

    def put_manifest(self, manifest: Manifest, tag: str | None) -> None: ...

    def finish(self) -> None: ...


class RegistryDestination:
    """A repository on a registry, through the verified client."""

    def __init__(self, client: RegistryClient, repository: str, source: ImageSource) -> None:
        self.client = client
        self.repository = repository
        self.name = f"{client.host}/{repository}"
        self.location = repository
        self.mount_from: str | None = None
        # Same registry, other repository: blobs can be mounted instead of sent.
        if (
            isinstance(source, RemoteSource)
            and source.client.host == client.host
            and source.repository != repository
        ):
            self.mount_from = source.repository

    def has_blob(self, digest: Digest) -> bool:
        return self.client.blob_exists(self.repository, digest) is not None

    def mount_blob(self, digest: Digest) -> bool:
        if self.mount_from is None:
            return False
        return self.client.mount_blob(self.repository, digest, self.mount_from)

    def put_small_blob(self, data: bytes, digest: Digest) -> None:
        self.client.push_blob(self.repository, data, digest=digest)

    def put_blob_stream(self, stream: VerifiedStream, descriptor: Descriptor) -> None:
        self.client.push_blob_chunks(
            self.repository, _chunks(stream), descriptor.digest, descriptor.size
        )

    def put_manifest(self, manifest: Manifest, tag: str | None) -> None:
        pushed = self.client.put_manifest(self.repository, manifest.raw, manifest.media_type)
        if pushed.descriptor.digest != manifest.digest:  # pragma: no cover - client checks
            raise InvalidInputError("pushed digest differs", subject=str(manifest.digest))
        if tag is not None:
            self.client.put_manifest(self.repository, manifest.raw, manifest.media_type, tag=tag)

    def finish(self) -> None:
        return None


class LayoutDestination:
    """An OCI layout directory (created if missing); ``index.json`` is rewritten at the end.

    Existing entries are kept, except one carrying the same tag, which the new image replaces.
    """

    def __init__(self, root: str) -> None:
        self.root = root
        self.name = f"oci:{root}"
        self.location = root
        if os.path.exists(root) and os.listdir(root):
            storage = DirStorage(root)
            self.entries = list(read_layout_index(storage, DEFAULT_LIMITS).manifests)
        else:
            self.entries = []
        self.writer = LayoutWriter(root)
        self.storage = DirStorage(root)

    def has_blob(self, digest: Digest) -> bool:
        return self.storage.blob_size(digest) is not None

    def mount_blob(self, digest: Digest) -> bool:
        return False

    def put_small_blob(self, data: bytes, digest: Digest) -> None:
        self.writer.add_blob(data, "application/octet-stream")

    def put_blob_stream(self, stream: VerifiedStream, descriptor: Descriptor) -> None:
        self.writer.add_blob_stream(stream, descriptor)

    def put_manifest(self, manifest: Manifest, tag: str | None) -> None:
        self.writer.add_blob(manifest.raw, manifest.media_type)
        if tag is None:
            return
        entry = Descriptor(
            media_type=manifest.media_type,
            digest=manifest.digest,
            size=len(manifest.raw),
            annotations={REF_NAME: tag},
        )
        self.entries = [e for e in self.entries if e.annotations.get(REF_NAME) != tag]
        self.entries.append(entry)

    def finish(self) -> None:
        self.writer.write_index(self.entries)


class _Copier:
    def __init__(self, source: ImageSource, destination: Destination, sink: ProgressSink) -> None:
        self.source = source
        self.destination = destination
        self.sink = sink
        self.done_blobs: set[Digest] = set()
        self.done_manifests: set[Digest] = set()
        self.uploaded = self.skipped = self.mounted = 0

    # blobs --------------------------------------------------------------------------------

    def blob(self, descriptor: Descriptor) -> None:
        digest = descriptor.digest
        if digest in self.done_blobs:
            return
        self.done_blobs.add(digest)
        if self.destination.has_blob(digest):
            self.skipped += 1
            return
        if self.destination.mount_blob(digest):
            self.mounted += 1
            return
        self.sink.emit(
            ProgressEvent("copy", f"blob {digest.short}", descriptor.size, None, "bytes")
        )
        if descriptor.size <= SMALL_BLOB:
            data = self.source.read_blob(descriptor, SMALL_BLOB)
            self.destination.put_small_blob(data, digest)
        else:
            with self.source.open_blob(descriptor) as stream:
                self.destination.put_blob_stream(stream, descriptor)
        self.uploaded += 1

    # manifests ----------------------------------------------------------------------------

    def manifest(self, manifest: Manifest, *, tag: str | None = None) -> Descriptor:
        """Write ``manifest`` (after everything it references) and return its descriptor."""
        descriptor = Descriptor(manifest.media_type, manifest.digest, len(manifest.raw))
        if manifest.digest in self.done_manifests and tag is None:
            return descriptor
        if manifest.digest not in self.done_manifests:
            if isinstance(manifest, ImageIndex):
                for child in manifest.manifests:
                    if child.media_type in mt.INDEX_TYPES or child.media_type in mt.MANIFEST_TYPES:
                        self.manifest(self.source.fetch_manifest(child))
                    else:
                        raise InvalidInputError(
                            f"index lists {child.media_type!r}, not a manifest or index",
                            subject=f"{self.source.display} index {manifest.digest}",
                        )
            else:
                self.blob(manifest.config)
                for layer in manifest.layers:
                    self.blob(layer)
        self.destination.put_manifest(manifest, tag)
        self.done_manifests.add(manifest.digest)
        return descriptor


def _chunks(stream: VerifiedStream) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk
    stream.finish()


def copy_image(
    source: ImageSource,
    client: RegistryClient,
    repository: str,
    *,
    tag: str | None = None,
    platforms: PlatformSelection | None = None,
    sink: ProgressSink = NULL_SINK,
) -> CopyResult:
    """Copy ``source`` into ``repository`` on ``client``'s registry; see the module docstring.

    ``platforms`` None or ALL copies the top-level object as is. A listed selection copies only
    the matching platform manifests; with one platform that manifest is the result (tagged),
    with several a new OCI index over them is pushed.
    """
    destination = RegistryDestination(client, repository, source)
    return copy_to(source, destination, tag=tag, platforms=platforms, sink=sink)


def copy_to(
    source: ImageSource,
    destination: Destination,
    *,
    tag: str | None = None,
    platforms: PlatformSelection | None = None,
    sink: ProgressSink = NULL_SINK,
) -> CopyResult:
    """Copy ``source`` to any :class:`Destination` (see :func:`copy_image`)."""
    copier = _Copier(source, destination, sink)
    top = source.top
    if platforms is None or platforms.mode is SelectionMode.ALL or isinstance(top, ImageManifest):
        if platforms is not None and isinstance(top, ImageManifest):
            source.images(platforms)  # a conflicting explicit platform is a usage error
        descriptor = copier.manifest(top, tag=tag)
    else:
        chosen = platforms.select(source.platform_entries(), what=source.display)
        if len(chosen) == 1:
            descriptor = copier.manifest(source.fetch_manifest(chosen[0][1]), tag=tag)
        else:
            descriptor = _push_subset_index(copier, [d for _, d in chosen], tag)
    destination.finish()
    return CopyResult(
        descriptor=descriptor,
        repository=destination.location,
        tag=tag,
        manifests=len(copier.done_manifests),
        blobs_uploaded=copier.uploaded,
        blobs_skipped=copier.skipped,
        blobs_mounted=copier.mounted,
    )


def _push_subset_index(copier: _Copier, entries: list[Descriptor], tag: str | None) -> Descriptor:
    for entry in entries:
        copier.manifest(copier.source.fetch_manifest(entry))
    document = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [e.to_json() for e in entries],
    }
    raw = (json.dumps(document, indent=2) + "\n").encode()
    index = parse_manifest(raw, content_type=mt.OCI_INDEX, what="platform subset index")
    return copier.manifest(index, tag=tag)


def copy_to_reference(
    source: ImageSource,
    destination: str,
    *,
    platforms: PlatformSelection | None = None,
    insecure: bool = False,
    sink: ProgressSink = NULL_SINK,
) -> CopyResult:
    """Copy ``source`` to ``destination``: ``host/repo[:tag]`` or ``oci:DIR[:TAG]``.

    A digest in the destination is refused (the digest is what the copy produces).
    """
    if destination.startswith("oci:"):
        layout, tag = _layout_target(destination)
        return copy_to(source, layout, tag=tag, platforms=platforms, sink=sink)
    ref = ImageRef.parse(destination)
    if ref.digest is not None:
        raise UsageError(
            "a copy destination names a tag, not a digest", subject=f"reference {destination!r}"
        )
    with RegistryClient.for_ref(ref, insecure=insecure) as client:
        return copy_image(
            source, client, ref.repository, tag=ref.tag, platforms=platforms, sink=sink
        )


def _layout_target(text: str) -> tuple[LayoutDestination, str | None]:
    """``oci:DIR[:TAG]`` → the layout destination and its tag (default ``latest``)."""
    rest = text[len("oci:") :]
    if not rest or "@" in rest:
        raise UsageError(
            "expected oci:DIR[:TAG] (a digest is what the copy produces)",
            subject=f"destination {text!r}",
        )
    directory, sep, tag = rest.rpartition(":")
    if not sep or "/" in tag or not tag:
        directory, tag = rest, "latest"
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise UsageError("is not a directory", subject=f"destination {text!r}")
    return LayoutDestination(directory), tag
