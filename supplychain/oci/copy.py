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
from collections.abc import Iterator
from dataclasses import dataclass

from supplychain.errors import InvalidInputError, UsageError
from supplychain.events import NULL_SINK, ProgressEvent, ProgressSink
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.manifest import ImageIndex, ImageManifest, Manifest, parse_manifest
from supplychain.oci.platform import PlatformSelection, SelectionMode
from supplychain.oci.reference import ImageRef
from supplychain.oci.registry import RegistryClient
from supplychain.oci.remote import RemoteSource
from supplychain.oci.source import ImageSource, VerifiedStream

SMALL_BLOB = 4 * 1024 * 1024
CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class CopyResult:
    """What landed in the registry: the top descriptor plus counts for the summary."""

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


class _Copier:
    def __init__(
        self,
        source: ImageSource,
        client: RegistryClient,
        repository: str,
        sink: ProgressSink,
    ) -> None:
        self.source = source
        self.client = client
        self.repository = repository
        self.sink = sink
        self.done_blobs: set[Digest] = set()
        self.done_manifests: set[Digest] = set()
        self.uploaded = self.skipped = self.mounted = 0
        self.mount_from = self._mount_repository()

    def _mount_repository(self) -> str | None:
        """The source repository when it lives on the destination registry (mount possible)."""
        source = self.source
        if not isinstance(source, RemoteSource) or source.client.host != self.client.host:
            return None
        return source.repository if source.repository != self.repository else None

    # blobs --------------------------------------------------------------------------------

    def blob(self, descriptor: Descriptor) -> None:
        digest = descriptor.digest
        if digest in self.done_blobs:
            return
        self.done_blobs.add(digest)
        if self.client.blob_exists(self.repository, digest) is not None:
            self.skipped += 1
            return
        if self.mount_from and self.client.mount_blob(self.repository, digest, self.mount_from):
            self.mounted += 1
            return
        self.sink.emit(
            ProgressEvent("copy", f"blob {digest.short}", descriptor.size, None, "bytes")
        )
        if descriptor.size <= SMALL_BLOB:
            data = self.source.read_blob(descriptor, SMALL_BLOB)
            self.client.push_blob(self.repository, data, digest=digest)
        else:
            with self.source.open_blob(descriptor) as stream:
                self.client.push_blob_chunks(
                    self.repository, _chunks(stream), digest, descriptor.size
                )
        self.uploaded += 1

    # manifests ----------------------------------------------------------------------------

    def manifest(self, manifest: Manifest, *, tag: str | None = None) -> Descriptor:
        """Push ``manifest`` (after everything it references) and return its descriptor."""
        if manifest.digest in self.done_manifests and tag is None:
            return Descriptor(manifest.media_type, manifest.digest, len(manifest.raw))
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
        pushed = self.client.put_manifest(
            self.repository, manifest.raw, manifest.media_type, tag=None
        )
        if pushed.descriptor.digest != manifest.digest:  # pragma: no cover - client checks
            raise InvalidInputError("pushed digest differs", subject=str(manifest.digest))
        self.done_manifests.add(manifest.digest)
        if tag is not None:
            self.client.put_manifest(self.repository, manifest.raw, manifest.media_type, tag=tag)
        return pushed.descriptor


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
    copier = _Copier(source, client, repository, sink)
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
    return CopyResult(
        descriptor=descriptor,
        repository=repository,
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
    """Copy ``source`` to ``destination`` (``host/repo[:tag]``; a digest there is refused)."""
    ref = ImageRef.parse(destination)
    if ref.digest is not None:
        raise UsageError(
            "a copy destination names a tag, not a digest", subject=f"reference {destination!r}"
        )
    with RegistryClient.for_ref(ref, insecure=insecure) as client:
        return copy_image(
            source, client, ref.repository, tag=ref.tag, platforms=platforms, sink=sink
        )
