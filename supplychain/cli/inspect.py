"""``supplychain inspect SOURCE``: what an image is, by digest, without pulling its layers.

Prints the resolved digest (a tag is resolved once and never shown as the identity), the media
type, the platforms an index offers, and per selected platform the manifest, config and layers
with sizes and media types; for registry sources also the referrers (signatures, SBOMs,
attestations) with their artifact types. ``--verify`` additionally streams every selected layer
and checks it against its digest and size and, decompressed, against the config's diff_id.

The JSON form (``--format json``) has stable keys, documented in docs/sources.md.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import zlib
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO, TypeVar, cast

import click
import zstandard

from supplychain._internal import strictjson
from supplychain.cli.context import SETTINGS, StderrProgress
from supplychain.cli.main import cli
from supplychain.errors import IntegrityError, InvalidInputError, LimitExceededError
from supplychain.events import ProgressEvent
from supplychain.model import Descriptor
from supplychain.oci import mediatypes as mt
from supplychain.oci.manifest import ImageManifest
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.source import (
    ImageSource,
    Layer,
    PlatformImage,
    VerifiedStream,
    open_image_source,
)

SCHEMA_VERSION = 1
_ZstdError: type[Exception] = zstandard.ZstdError
_PIECE = 1024 * 1024
F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(str, enum.Enum):
    TEXT = "text"
    JSON = "json"


def _descriptor_json(desc: Descriptor) -> dict[str, Any]:
    out: dict[str, Any] = {
        "digest": str(desc.digest),
        "mediaType": desc.media_type,
        "size": desc.size,
    }
    if desc.artifact_type:
        out["artifactType"] = desc.artifact_type
    if desc.annotations:
        out["annotations"] = dict(sorted(desc.annotations.items()))
    return out


def _layer_json(layer: Layer) -> dict[str, Any]:
    return {
        "index": layer.index,
        "digest": str(layer.digest),
        "mediaType": layer.media_type,
        "size": layer.size,
        "diffId": str(layer.diff_id),
    }


def _image_json(image: PlatformImage) -> dict[str, Any]:
    return {
        "platform": str(image.platform),
        "digest": None if image.manifest_synthesized else str(image.digest),
        "mediaType": image.manifest.media_type,
        "config": {
            "digest": str(image.config.digest),
            "mediaType": image.config.media_type,
            "size": len(image.config.raw),
        },
        "created": image.config.created,
        "layers": [_layer_json(layer) for layer in image.layers],
        "totalSize": sum(layer.size for layer in image.layers),
    }


def _artifact_json(manifest: ImageManifest) -> dict[str, Any]:
    return {
        "artifactType": manifest.effective_artifact_type,
        "config": _descriptor_json(manifest.config),
        "layers": [_descriptor_json(d) for d in manifest.layers],
    }


class _GzipStream:
    """Streaming gzip that accepts concatenated members and bounds each output step."""

    def __init__(self) -> None:
        self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            yield self._decoder.decompress(data, _PIECE)
            data = self._decoder.unconsumed_tail
            if self._decoder.eof and self._decoder.unused_data:
                rest = self._decoder.unused_data
                self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = rest + data

    @property
    def finished(self) -> bool:
        return bool(self._decoder.eof)


def _uncompressed_pieces(stream: VerifiedStream, compression: str) -> Iterator[bytes]:
    """The layer's tar bytes in pieces of at most 1 MiB, whatever the compression ratio."""
    if compression == "gzip":
        gzip_stream = _GzipStream()
        while chunk := stream.read(_PIECE):
            yield from gzip_stream.feed(chunk)
        if not gzip_stream.finished:
            raise zlib.error("gzip stream is truncated")
    elif compression == "zstd":
        # stream_reader bounds each read's output (decompressobj would not); window capped at
        # 128 MiB (SECURITY.md §4.2); every frame is read, not just the first.
        dctx = zstandard.ZstdDecompressor(max_window_size=2**27)
        with dctx.stream_reader(
            cast(BinaryIO, stream), read_size=_PIECE, read_across_frames=True, closefd=False
        ) as reader:
            while piece := reader.read(_PIECE):
                yield piece
    else:
        while chunk := stream.read(_PIECE):
            yield chunk


def decompressed_digest_check(source: ImageSource, layer: Layer) -> None:
    """Stream ``layer``: blob digest/size checked by the source, the tar checked vs diff_id.

    Decompression output is counted against the per-layer cap so a bomb ends in a
    LimitExceededError instead of an endless hash, and no step holds more than 1 MiB.
    """
    compression = layer.compression
    cap = source.limits.layer_blob
    hasher = hashlib.new(layer.diff_id.algorithm)
    produced = 0
    what = f"{source.display} layer {layer.index} {layer.digest}"
    with source.open_layer(layer) as stream:
        try:
            for piece in _uncompressed_pieces(stream, compression):
                produced += len(piece)
                if produced > cap:
                    raise LimitExceededError(f"decompresses to more than {cap} bytes", subject=what)
                hasher.update(piece)
        except (zlib.error, _ZstdError) as exc:
            # Blame the bytes first: a tampered blob is a digest mismatch, not a codec error.
            stream.finish()
            raise InvalidInputError(
                f"layer is not valid {compression}: {exc}", subject=what
            ) from exc
    if not hmac.compare_digest(hasher.hexdigest(), layer.diff_id.hex):
        raise IntegrityError(
            f"uncompressed content is {layer.diff_id.algorithm}:{hasher.hexdigest()}, "
            f"config diff_id is {layer.diff_id}",
            subject=what,
        )


def build_report(
    source: ImageSource, selection: PlatformSelection, *, verify: bool = False
) -> dict[str, Any]:
    """The inspect report as a JSON-ready dict (keys documented in docs/sources.md)."""
    top = source.top
    report: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "source": source.display,
        "kind": source.kind.value,
        "tag": source.tag,
        "digest": str(source.digest) if source.digest else None,
        "mediaType": source.media_type,
        "size": len(top.raw),
        "platforms": [],
        "selection": None,
        "selectionMode": None,
        "images": [],
        "artifact": None,
        "referrers": None,
        "verified": None,
    }
    images: list[PlatformImage] = []
    if isinstance(top, ImageManifest) and top.config.media_type not in mt.CONFIG_TYPES:
        # not a container image (a signature, SBOM, attestation...): show it as an artifact
        report["artifact"] = _artifact_json(top)
    else:
        images = source.images(selection)
        report["platforms"] = [str(p) for p in source.platforms()]
        report["selection"] = selection.describe() if source.is_index else str(images[0].platform)
        report["selectionMode"] = selection.mode.value if source.is_index else "single"
    report["images"] = [_image_json(i) for i in images]
    if verify:
        sink = StderrProgress(SETTINGS)
        layers = [(i, layer) for i in images for layer in i.layers]
        seen = set()
        for n, (image, layer) in enumerate(layers, 1):
            if layer.digest in seen:
                continue
            seen.add(layer.digest)
            sink.emit(
                ProgressEvent("verify", f"{image.platform} layer {layer.index}", n, len(layers))
            )
            decompressed_digest_check(source, layer)
        report["verified"] = True
    referrers = source.referrers()
    if referrers is not None:
        report["referrers"] = [_descriptor_json(d) for d in referrers]
    return report


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


def render_text(report: dict[str, Any]) -> str:
    lines = [f"source:      {report['source']} ({report['kind']})"]
    if report["digest"]:
        lines.append(f"digest:      {report['digest']}")
    else:
        lines.append("digest:      none (a legacy docker-archive stores no manifest)")
    if report["tag"]:
        note = " (resolved once; the digest is the identity)" if report["digest"] else ""
        lines.append(f"tag:         {report['tag']}{note}")
    lines.append(f"media type:  {report['mediaType']}")
    if report["platforms"]:
        lines.append(f"platforms:   {', '.join(report['platforms'])}")
        note = {"host": " (this host's; --platform all for every one)"}.get(
            report["selectionMode"], ""
        )
        lines.append(f"selected:    {report['selection']}{note}")
    artifact = report["artifact"]
    if artifact:
        lines.append(f"artifact:    {artifact['artifactType']}")
        for n, layer in enumerate(artifact["layers"]):
            lines.append(
                f"  layer {n}  {layer['digest']}  {_size(layer['size'])}  {layer['mediaType']}"
            )
    for image in report["images"]:
        lines.append("")
        digest = image["digest"] or "(synthesised manifest, no registry digest)"
        lines.append(f"{image['platform']}  {digest}")
        lines.append(f"  manifest  {image['mediaType']}")
        config = image["config"]
        lines.append(f"  config    {config['digest']}  {_size(config['size'])}")
        if image["created"]:
            lines.append(f"  created   {image['created']}")
        total = _size(image["totalSize"])
        lines.append(f"  layers    {len(image['layers'])}, {total}")
        for layer in image["layers"]:
            lines.append(
                f"    {layer['index']}  {layer['digest']}  {_size(layer['size']):>10}  "
                f"{layer['mediaType']}"
            )
    if report["verified"]:
        lines.append("")
        lines.append("verified:    every selected layer matches its digest, size and diff_id")
    lines.append("")
    referrers = report["referrers"]
    if referrers is None:
        lines.append("referrers:   n/a (only registry sources have referrers)")
    elif not referrers:
        lines.append("referrers:   none")
    else:
        lines.append(f"referrers:   {len(referrers)}")
        for ref in referrers:
            kind = ref.get("artifactType") or ref["mediaType"]
            lines.append(f"  {ref['digest']}  {kind}")
    return "\n".join(lines) + "\n"


def platform_option(help_text: str) -> Callable[[F], F]:
    """``--platform`` (repeatable), shared by the commands that take an image source."""
    return click.option(
        "--platform",
        "platforms",
        multiple=True,
        metavar="OS/ARCH[/VARIANT]|all",
        help=help_text,
    )


insecure_registry_option = click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Allow plain HTTP to this registry (loopback registries are always allowed).",
)


@cli.command("inspect")
@click.argument("source_text", metavar="SOURCE")
@platform_option(
    "Platform(s) of an index to show (repeatable); default: the host's; 'all' for every one."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.TEXT.value,
    show_default=True,
)
@click.option(
    "--verify", is_flag=True, help="Also stream every selected layer and check digest and diff_id."
)
@insecure_registry_option
def inspect_command(
    source_text: str,
    platforms: tuple[str, ...],
    output_format: str,
    verify: bool,
    insecure: tuple[str, ...],
) -> None:
    """Show an image's digest, media type, platforms, layers and referrers.

    SOURCE is a registry reference (host/repo:tag, @sha256:...), oci:DIR[:TAG|@DIGEST],
    oci-archive:FILE[:TAG|@DIGEST] or docker-archive:FILE[:REPO:TAG].
    """
    selection = PlatformSelection.parse(platforms)
    with open_image_source(source_text, insecure_registries=insecure) as source:
        report = build_report(source, selection, verify=verify)
    fmt = OutputFormat(output_format)
    if fmt is OutputFormat.JSON:
        click.echo(strictjson.dumps_pretty(report).decode("utf-8"), nl=False)
    elif fmt is OutputFormat.TEXT:
        click.echo(render_text(report), nl=False)
