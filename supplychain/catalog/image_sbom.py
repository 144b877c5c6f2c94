"""The image pipeline: source → per platform: layers → squashed view → catalogers → one SBOM.

Per platform image, each layer is taken from the layer cache when this exact blob was already
verified to decompress to its diff_id, and otherwise streamed once (verified blob → bounded
decompressor → tar headers → :class:`~supplychain.catalog.layers.index.LayerIndex`) and then
cached. The indexes are folded into a :class:`~supplychain.catalog.layers.squash.SquashedView`,
and the catalogers run over that view exactly as they do over a ``dir:`` rootfs.

Document shape (SBOM.md §A.3): a single image is the root package, carrying its manifest
digest; an index with several selected platforms becomes one document whose root is the index
and in which every platform image is a package (``index CONTAINS`` and ``DEPENDS_ON`` it) with
its own packages, refs scoped by the platform manifest digest so the same purl may recur.
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from supplychain.catalog.base import Cataloger, Finding
from supplychain.catalog.catalog import Catalog, add_to_sbom, catalog_view, cataloger_versions
from supplychain.catalog.catalog import default_catalogers as _default_catalogers
from supplychain.catalog.layers.attribution import refine_os_layers
from supplychain.catalog.layers.cache import LayerCache, cache_key
from supplychain.catalog.layers.index import LayerIndex
from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.catalog.layers.scan import CaptureSet, scan_layer
from supplychain.catalog.layers.spool import Spool
from supplychain.catalog.layers.squash import SquashedView
from supplychain.catalog.layers.view_cache import CachedCatalog, ViewCache, view_key
from supplychain.catalog.licenses import normalize
from supplychain.catalog.os_release import OS_RELEASE_PATHS
from supplychain.catalog.purl import canonical
from supplychain.errors import LimitExceededError, UsageError
from supplychain.events import NULL_SINK, ProgressEvent, ProgressSink
from supplychain.model import Digest, Platform
from supplychain.model.sbom import (
    Checksum,
    ExtractedLicense,
    Package,
    Purpose,
    RelType,
    Sbom,
    SbomBuilder,
)
from supplychain.model.sbom import package_ref as make_ref
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.source import ImageSource, Layer, PlatformImage, SourceKind

PLATFORM = "supplychain:platform"
CONFIG_DIGEST = "supplychain:image:config-digest"
INDEX_DIGEST = "supplychain:image:index-digest"
TAG = "supplychain:image:tag"
LAYER_COUNT = "supplychain:image:layers"
VENDOR_LABEL = "org.opencontainers.image.vendor"
LICENSES_LABEL = "org.opencontainers.image.licenses"
ARTIFACTHUB_LICENSE_LABEL = "io.artifacthub.package.license"
SOURCE_LABEL = "org.opencontainers.image.source"
REVISION_LABEL = "org.opencontainers.image.revision"
CREATED_LABEL = "org.opencontainers.image.created"


# Byte strings that a member captured by magic must contain to be kept, per cataloger name.
# Go build info starts with "\xff Go buildinf:"; "UPX!" keeps packed binaries so the Go
# cataloger can report them. A cataloger may declare its own ``content_markers``.
_MARKERS = {"gobinary": (b"\xff Go buildinf:", b"UPX!")}


def content_markers(catalogers: Sequence[Cataloger]) -> tuple[bytes, ...]:
    """The markers of every cataloger with magics; () (keep all) if one of them has none."""
    markers: set[bytes] = set()
    for cataloger in catalogers:
        if not cataloger.magics:
            continue
        own = getattr(cataloger, "content_markers", None) or _MARKERS.get(cataloger.name)
        if not own:
            return ()
        markers.update(own)
    return tuple(sorted(markers))


@dataclass
class ImageScan:
    """What :func:`sbom_from_image` produced besides the document."""

    sbom: Sbom
    findings: list[Finding] = field(default_factory=list)
    layers_read: int = 0
    layers_cached: int = 0


@dataclass(frozen=True)
class ImageIdentity:
    """How the image is named in the SBOM: ``name`` (repository), purl name and repo URL."""

    name: str
    purl_name: str
    repository_url: str | None
    tag: str | None


def identify(source: ImageSource) -> ImageIdentity:
    """Registry images are named by repository; layouts and archives by their file name."""
    tag = source.tag
    if source.kind is SourceKind.REGISTRY:
        from supplychain.oci.reference import ImageRef  # pulls in requests: only when needed

        ref = ImageRef.parse(source.display.split("@", 1)[0])
        repository = f"{ref.registry}/{ref.repository}"
        return ImageIdentity(
            repository, ref.repository.rsplit("/", 1)[-1].lower(), repository, tag or ref.tag
        )
    text = source.display.split(":", 1)[1] if ":" in source.display else source.display
    location = text.split("@", 1)[0]
    if tag and location.endswith(f":{tag}"):
        location = location[: -len(tag) - 1]
    base = os.path.basename(os.path.normpath(location)) or "image"
    for suffix in (".tar", ".tgz", ".tar.gz"):
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
    return ImageIdentity(base, base.lower(), None, tag)


def _oci_purl(identity: ImageIdentity, digest: Digest | None, arch: str | None) -> str | None:
    if digest is None:
        return None
    return canonical(
        "oci",
        identity.purl_name,
        str(digest),
        qualifiers={"arch": arch, "repository_url": identity.repository_url, "tag": identity.tag},
    )


def _platform_slug(platform: Platform) -> str:
    parts = [platform.os, platform.architecture] + ([platform.variant] if platform.variant else [])
    return "-".join(parts)


def image_package(
    identity: ImageIdentity, image: PlatformImage, *, index_digest: Digest | None = None
) -> Package:
    """The package of one platform image: its manifest digest is its checksum (§F.3)."""
    digest = None if image.manifest_synthesized else image.digest
    props = {
        (PLATFORM, str(image.platform)),
        (CONFIG_DIGEST, str(image.config.digest)),
        (LAYER_COUNT, str(len(image.layers))),
    }
    if identity.tag:
        props.add((TAG, identity.tag))
    if index_digest is not None:
        props.add((INDEX_DIGEST, str(index_digest)))
    key = f"image|{digest or image.config.digest}"
    labels = image_labels(image)
    for label in (SOURCE_LABEL, REVISION_LABEL, CREATED_LABEL):
        if labels.get(label):
            props.add((f"supplychain:label:{label}", labels[label]))
    vendor = labels.get(VENDOR_LABEL, "").strip()
    declared = normalize(labels.get(LICENSES_LABEL) or labels.get(ARTIFACTHUB_LICENSE_LABEL))
    return Package(
        supplier=f"Organization: {' '.join(vendor.split())}" if vendor else None,
        license_declared=declared.expression if declared else None,
        ref=make_ref("Image", _platform_slug(image.platform), key),
        name=identity.name,
        version=identity.tag or (str(digest) if digest else None),
        purl=_oci_purl(identity, digest, image.platform.architecture),
        kind="oci",
        purpose=Purpose.CONTAINER,
        checksums=(Checksum("SHA256", digest.hex),)
        if digest and digest.algorithm == "sha256"
        else (),
        properties=tuple(sorted(props)),
    )


def image_labels(image: PlatformImage) -> dict[str, str]:
    """The config's ``Labels`` (Dockerfile ``LABEL``) with manifest annotations over them."""
    config = image.config.document.get("config")
    raw = config.get("Labels") if isinstance(config, dict) else None
    labels = {k: v for k, v in (raw or {}).items() if isinstance(k, str) and isinstance(v, str)}
    labels.update(image.manifest.annotations)
    return labels


def image_licenses(image: PlatformImage) -> tuple[ExtractedLicense, ...]:
    """The ``LicenseRef-`` definitions the image's licence label needs."""
    labels = image_labels(image)
    declared = normalize(labels.get(LICENSES_LABEL) or labels.get(ARTIFACTHUB_LICENSE_LABEL))
    return declared.extracted if declared else ()


def index_package(
    identity: ImageIdentity,
    digest: Digest,
    annotations: Mapping[str, str],
    images: Sequence[Package],
) -> Package:
    """The index root. Supplier and licence come from the index's own annotations (where
    Artifact Hub reads them), else from its platform images when they all agree."""
    props = {(TAG, identity.tag)} if identity.tag else set()
    vendor = annotations.get(VENDOR_LABEL, "").strip()
    supplier = (
        f"Organization: {' '.join(vendor.split())}" if vendor else _agreed(images, "supplier")
    )
    declared = normalize(
        annotations.get(LICENSES_LABEL) or annotations.get(ARTIFACTHUB_LICENSE_LABEL)
    )
    return Package(
        ref=make_ref("Index", identity.name, f"index|{digest}"),
        name=identity.name,
        version=identity.tag or str(digest),
        purl=_oci_purl(identity, digest, None),
        kind="oci",
        purpose=Purpose.CONTAINER,
        supplier=supplier,
        license_declared=declared.expression if declared else _agreed(images, "license_declared"),
        checksums=(Checksum("SHA256", digest.hex),) if digest.algorithm == "sha256" else (),
        properties=tuple(sorted(props)),
    )


def _agreed(images: Sequence[Package], attribute: str) -> str | None:
    values = {getattr(image, attribute) for image in images}
    if len(values) == 1:
        value = values.pop()
        return value if isinstance(value, str) else None
    return None


class LayerIndexer:
    """Turns a platform image's layers into indexes, through the cache when there is one."""

    def __init__(
        self,
        source: ImageSource,
        catalogers: Sequence[Cataloger],
        spool: Spool,
        cache: LayerCache | None,
        limits: LayerLimits,
        progress: ProgressSink,
    ) -> None:
        self.source = source
        self.spool = spool
        self.cache = cache
        self.limits = limits
        self.progress = progress
        self.versions = cataloger_versions(catalogers)
        self.capture = CaptureSet(
            wants=lambda path: path in OS_RELEASE_PATHS or any(c.wants(path) for c in catalogers),
            magics=tuple(sorted({m for c in catalogers for m in c.magics})),
            markers=content_markers(catalogers),
        )
        self.read = 0
        self.cached = 0
        self._lock = threading.Lock()

    def index(self, layer: Layer, *, budget: int, total: int) -> LayerIndex:
        label = f"{self.source.display} layer {layer.index} {layer.digest}"
        key = cache_key(layer.digest, layer.diff_id, self.versions, self.limits)
        if self.cache is not None:
            hit = self.cache.get(key, self.spool)
            if hit is not None:
                with self._lock:
                    self.cached += 1
                self._emit(layer, total, "cached")
                return hit
        self._emit(layer, total, f"reading {layer.size} bytes")
        with self.source.open_layer(layer) as stream:
            index = scan_layer(
                stream,
                compression=layer.compression,
                diff_id=layer.diff_id,
                label=label,
                capture=self.capture,
                spool=self.spool,
                limits=self.limits,
                output_budget=budget,
            )
        with self._lock:
            self.read += 1
        if self.cache is not None:
            self.cache.put(key, layer.digest, layer.diff_id, index)
        return index

    def _emit(self, layer: Layer, total: int, message: str) -> None:
        self.progress.emit(
            ProgressEvent(
                "layers", f"{layer.digest.hex[:12]} {message}", layer.index + 1, total, "layers"
            )
        )


def _view(
    image: PlatformImage, reader: LayerIndexer, limits: LayerLimits, workers: int
) -> tuple[SquashedView, list[tuple[str, LayerIndex]], list[Finding]]:
    """The squashed view of one platform image, its layers, and the problems they had.

    Layers are read by ``workers`` threads: zlib, zstd and hashlib release the GIL, so
    decompressing one layer overlaps parsing another. Results are used in layer order, so
    the output does not depend on the number of workers (tested).
    """
    subject = f"{reader.source.display} {image.platform}"
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [
            pool.submit(reader.index, layer, budget=limits.image_output, total=len(image.layers))
            for layer in image.layers
        ]
        try:
            indexes = [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    if sum(index.tar_size for index in indexes) > limits.image_output:
        raise LimitExceededError(
            f"image decompresses to more than {limits.image_output} bytes", subject=subject
        )
    findings = [finding for index in indexes for finding in index.findings]
    layers = [
        (str(layer.diff_id), index) for layer, index in zip(image.layers, indexes, strict=True)
    ]
    view = SquashedView(layers)
    return view, layers, findings + view.findings


def sbom_from_image(
    source: ImageSource,
    *,
    created: datetime,
    selection: PlatformSelection | None = None,
    cache: LayerCache | None = None,
    catalogers: Sequence[Cataloger] | None = None,
    limits: LayerLimits = DEFAULT_LAYER_LIMITS,
    progress: ProgressSink = NULL_SINK,
    workers: int = 2,
) -> ImageScan:
    """The SBOM of the selected platform images of ``source`` (default: every platform)."""
    chosen = selection or PlatformSelection.all()
    images = source.images(chosen)
    if not images:
        raise UsageError("the index lists no container images", subject=source.display)
    found_catalogers = tuple(catalogers) if catalogers is not None else _default_catalogers()
    identity = identify(source)
    findings: list[Finding] = []
    multi = source.is_index and len(images) > 1
    index_digest = source.digest if source.is_index else None
    with Spool() as spool:
        reader = LayerIndexer(source, found_catalogers, spool, cache, limits, progress)
        top_name = identity.name + (f":{identity.tag}" if identity.tag else "")
        if not identity.tag and source.digest is not None:
            top_name = f"{identity.name}@{source.digest}"
        builder = SbomBuilder(top_name, created)
        index_ref = None
        if multi and index_digest is not None:
            image_pkgs = [image_package(identity, image) for image in images]
            index_ref = builder.add_package(
                index_package(identity, index_digest, source.top.annotations, image_pkgs)
            )
            builder.root = index_ref
        for number, image in enumerate(images, start=1):
            progress.emit(ProgressEvent("platforms", str(image.platform), number, len(images)))
            image_pkg = image_package(identity, image, index_digest=None if multi else index_digest)
            image_ref = builder.add_package(image_pkg)
            for lic in image_licenses(image):
                builder.add_license(lic)
            if index_ref is None:
                builder.root = image_ref
            else:
                builder.relate(index_ref, RelType.CONTAINS, image_ref)
                builder.relate(index_ref, RelType.DEPENDS_ON, image_ref)
            if image.manifest_synthesized:
                findings.append(
                    Finding(
                        "sbom.no-manifest-digest",
                        f"{source.display} {image.platform}",
                        "legacy docker-archive has no manifest: the image has no digest",
                    )
                )
            scope = str(image.digest) if multi else ""
            views = ViewCache(cache.root, readonly=cache.readonly) if cache is not None else None
            key = view_key(
                [(layer.digest, layer.diff_id) for layer in image.layers], reader.versions, limits
            )
            memo = views.get(key) if views is not None else None
            if memo is not None:  # the whole catalogue of these exact layers is cached
                reader.cached += len(image.layers)
                add_to_sbom(
                    builder, Catalog(memo.result, None, memo.os_ref), image_ref, scope=scope
                )
                findings.extend(memo.findings)
                continue
            view, layers, layer_findings = _view(image, reader, limits, workers)
            result = catalog_view(view, found_catalogers)
            refine_os_layers(result.result, layers, found_catalogers, result.distro)
            add_to_sbom(builder, result, image_ref, scope=scope)
            # A probe of a file no cataloger captured (the Go cataloger opens every file to
            # look for executables; those without Go build info were already left out while
            # streaming) is not a problem with the image.
            image_findings = layer_findings + [
                f for f in result.result.findings if f.subject not in view.not_captured
            ]
            findings.extend(image_findings)
            if views is not None:
                views.put(key, CachedCatalog(result.result, result.os_ref, image_findings))
        sbom = builder.build()
    unique = sorted(set(findings))
    return ImageScan(sbom, unique, reader.read, reader.cached)


def with_identity(
    sbom: Sbom,
    *,
    supplier: str | None = None,
    authors: Sequence[str] = (),
    license_expression: str | None = None,
) -> Sbom:
    """``sbom`` with what only the user knows: who supplies the image, who wrote the SBOM.

    ``supplier`` and ``license_expression`` go to the root and every image/index package
    (overriding labels); ``authors`` become SPDX creators beside the tool.
    """
    declared = normalize(license_expression) if license_expression else None
    if license_expression and declared is None:
        raise UsageError("not a licence expression", subject=f"--license {license_expression!r}")
    targets = {sbom.root} | {
        p.ref for p in sbom.packages if p.kind == "oci" and p.purpose is Purpose.CONTAINER
    }
    packages = []
    for pkg in sbom.packages:
        if pkg.ref in targets:
            if supplier:
                pkg = dataclasses.replace(pkg, supplier=supplier)
            if declared is not None:
                pkg = dataclasses.replace(pkg, license_declared=declared.expression)
        packages.append(pkg)
    licenses = {lic.license_id: lic for lic in sbom.extracted_licenses}
    for lic in declared.extracted if declared else ():
        licenses.setdefault(lic.license_id, lic)
    return dataclasses.replace(
        sbom,
        packages=tuple(packages),
        creators=tuple(sorted(set(sbom.creators) | set(authors))),
        extracted_licenses=tuple(licenses[k] for k in sorted(licenses)),
    )
