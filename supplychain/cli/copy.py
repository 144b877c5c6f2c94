"""``supplychain copy SOURCE DEST``: put an image into a registry, digest unchanged.

Thin wrapper over :func:`supplychain.oci.copy.copy_to_reference`: any source ``inspect`` takes
(registry, ``oci:``, ``oci-archive:``, ``docker-archive:``) to a registry tag or an OCI layout
(``oci:DIR[:TAG]``, e.g. to scan offline later). Prints the pinned reference of what landed
(``host/repo@sha256:…`` or ``oci:DIR@sha256:…``) on stdout, a summary on stderr.
"""

from __future__ import annotations

import click

from supplychain._internal import strictjson
from supplychain.cli.context import SETTINGS, StderrProgress
from supplychain.cli.inspect import insecure_registry_option, platform_option
from supplychain.cli.main import cli
from supplychain.oci.copy import copy_to_reference
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.reference import ImageRef
from supplychain.oci.source import open_image_source


@cli.command("copy")
@click.argument("source_text", metavar="SOURCE")
@click.argument("destination", metavar="DEST")
@platform_option(
    "Copy only these platforms of an index (repeatable); default: all, index unchanged."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
@insecure_registry_option
def copy_command(
    source_text: str,
    destination: str,
    platforms: tuple[str, ...],
    output_format: str,
    insecure: tuple[str, ...],
) -> None:
    """Copy an image from SOURCE to DEST: a registry tag (host/repo:tag) or oci:DIR[:TAG].

    Manifests are pushed as the exact bytes read (and verified) at the source, so the digest
    does not change; blobs the registry already has are skipped.
    """
    selection = PlatformSelection.parse(platforms) if platforms else None
    to_layout = destination.startswith("oci:")
    dest_insecure = False
    if not to_layout:
        registry = ImageRef.parse(destination).registry
        dest_insecure = registry.lower() in {h.lower() for h in insecure}
    with open_image_source(source_text, insecure_registries=insecure) as source:
        result = copy_to_reference(
            source,
            destination,
            platforms=selection,
            insecure=dest_insecure,
            sink=StderrProgress(SETTINGS),
        )
    if to_layout:
        pinned = f"oci:{result.repository}@{result.digest}"
    else:
        pinned = f"{ImageRef.parse(destination).name}@{result.digest}"
    if output_format == "json":
        document = {
            "destination": destination,
            "digest": str(result.digest),
            "mediaType": result.descriptor.media_type,
            "pinned": pinned,
            "manifests": result.manifests,
            "blobsUploaded": result.blobs_uploaded,
            "blobsSkipped": result.blobs_skipped,
            "blobsMounted": result.blobs_mounted,
        }
        click.echo(strictjson.dumps_pretty(document).decode("utf-8"), nl=False)
        return
    click.echo(pinned)
    if not SETTINGS.quiet:
        click.echo(
            f"copied {result.manifests} manifest(s): {result.blobs_uploaded} blob(s) uploaded, "
            f"{result.blobs_skipped} already present, {result.blobs_mounted} mounted",
            err=True,
        )
