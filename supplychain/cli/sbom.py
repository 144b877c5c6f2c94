"""``supplychain sbom SOURCE``: an SBOM for an image, a rootfs directory or Go code.

SOURCE is anything ``inspect`` takes (``REF``, ``oci:DIR``, ``oci-archive:FILE``,
``docker-archive:FILE``) plus ``dir:PATH`` (a rootfs), ``gomod:PATH`` (a Go module tree) and
``gobin:FILE`` (a Go binary). For an index every platform is covered unless ``--platform``
picks some (SBOM.md §A.2: never a silent pick). Progress goes to stderr; the document goes to
stdout or, atomically, to ``--output``. Problems that did not stop the scan (an unsafe path in
a layer, an unreadable metadata file) are printed as one-line warnings on stderr.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
import sys
from datetime import datetime, timezone
from importlib import import_module
from typing import Any

import click

from supplychain._internal.fileio import atomic_write_bytes
from supplychain.catalog.base import Finding
from supplychain.cli.context import SETTINGS, StderrProgress
from supplychain.cli.main import cli
from supplychain.errors import ToolMissingError, UsageError
from supplychain.events import NULL_SINK, ProgressSink
from supplychain.model.sbom import Sbom
from supplychain.oci.platform import PlatformSelection

_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)(i?b?)\s*$", re.IGNORECASE)
_WARNINGS_SHOWN = 20


class SbomFormat(str, enum.Enum):
    SPDX = "spdx-json"
    CYCLONEDX = "cyclonedx-json"


def parse_size(text: str, option: str = "--cache-max-size") -> int:
    """``5GiB``, ``500M``, ``1048576`` → bytes (K/M/G/T are powers of 1024)."""
    match = _SIZE.match(text)
    if not match:
        raise UsageError("not a size (e.g. 5GiB, 500M, 1048576)", subject=f"{option} {text}")
    number, unit = int(match.group(1)), match.group(2).lower()
    return int(number * 1024 ** ("kmgt".index(unit) + 1 if unit else 0))


def party(text: str, option: str) -> str:
    """An SPDX actor, ``Organization: NAME (EMAIL)`` or ``Person: …``; a bare name is an
    organisation. One line, no control characters."""
    if any(ord(ch) < 0x20 for ch in text) or not text.strip():
        raise UsageError("must be one non-empty line", subject=option)
    value = " ".join(text.split())
    kind, sep, rest = value.partition(":")
    if sep and kind in ("Organization", "Person") and rest.strip():
        return f"{kind}: {rest.strip()}"
    if sep and kind in ("Organization", "Person", "Tool"):
        raise UsageError("needs a name after the colon", subject=f"{option} {text!r}")
    return f"Organization: {value}"


def created_time() -> datetime:
    """``SOURCE_DATE_EPOCH`` when set (reproducible documents), else now; whole seconds, UTC."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None:
        if not epoch.strip().isdigit():
            raise UsageError("must be a whole number of seconds", subject="SOURCE_DATE_EPOCH")
        return datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    return datetime.now(tz=timezone.utc).replace(microsecond=0)


def _golang(function: str) -> Any:
    """``sbom_from_gomod``/``sbom_from_gobin`` from the Go module, imported only when asked."""
    try:
        module = import_module("supplychain.catalog.golang.sbom")
        return getattr(module, function)
    except (ImportError, AttributeError) as exc:
        raise ToolMissingError(
            f"this build has no {function} (Go SBOM support is not installed)",
            subject="supplychain.catalog.golang.sbom",
        ) from exc


def build_sbom(
    source_text: str,
    *,
    platforms: tuple[str, ...],
    created: datetime,
    use_cache: bool,
    cache_dir: str | None,
    cache_max_size: int,
    cache_readonly: bool = False,
    max_file_size: int | None = None,
    name: str | None,
    version: str | None,
    insecure: tuple[str, ...],
    progress: ProgressSink,
) -> tuple[Sbom, list[Finding]]:
    """Dispatch on the source kind; returns the document and the warnings to show."""
    if source_text.startswith("gomod:") or source_text.startswith("gobin:"):
        kind, _, path = source_text.partition(":")
        if not path:
            raise UsageError(f"{kind}: needs a path", subject=f"source {source_text!r}")
        if platforms:
            raise UsageError("--platform applies to images only", subject="--platform")
        function = _golang("sbom_from_gomod" if kind == "gomod" else "sbom_from_gobin")
        result = function(path, created=created, version=version)
        if isinstance(result, tuple):  # (sbom, findings) if the Go side reports warnings
            return result[0], list(result[1])
        return result, []
    from supplychain.oci.source import RootfsSource, open_source

    selection = PlatformSelection.parse(platforms) if platforms else PlatformSelection.all()
    source = open_source(source_text, insecure_registries=insecure)
    if isinstance(source, RootfsSource):
        if platforms:
            raise UsageError("--platform applies to images only", subject="--platform")
        from supplychain.catalog.catalog import sbom_for_directory

        return sbom_for_directory(source.path, created=created, name=name, version=version), []
    from supplychain.catalog.image_sbom import sbom_from_image
    from supplychain.catalog.layers.cache import LayerCache
    from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS

    limits = DEFAULT_LAYER_LIMITS
    if max_file_size is not None:
        limits = dataclasses.replace(limits, spool=max_file_size)
    cache = (
        LayerCache(cache_dir, max_size=cache_max_size, readonly=cache_readonly, limits=limits)
        if use_cache
        else None
    )
    with source:
        scan = sbom_from_image(
            source,
            created=created,
            selection=selection,
            cache=cache,
            progress=progress,
            limits=limits,
        )
    return scan.sbom, scan.findings


@cli.command("sbom")
@click.argument("source_text", metavar="SOURCE")
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in SbomFormat]),
    default=SbomFormat.SPDX.value,
    show_default=True,
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically).")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    metavar="OS/ARCH[/VARIANT]|all",
    help="Platform(s) of an index (repeatable); default: all of them, in one document.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the layer cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    help="Layer cache directory (default $SUPPLYCHAIN_CACHE_DIR or $XDG_CACHE_HOME/supplychain).",
)
@click.option(
    "--cache-max-size",
    default="5GiB",
    show_default=True,
    help="Evict least-recently-used layers beyond this size.",
)
@click.option("--cache-readonly", is_flag=True, help="Use cached layers but never write any.")
@click.option(
    "--max-file-size",
    default="512MiB",
    show_default=True,
    help="Largest wanted member (Go binary, jar) analysed; bigger ones are reported, not read.",
)
@click.option(
    "--supplier",
    metavar="'Organization: NAME (EMAIL)'|'Person: …'",
    help="Supplier of the root (and every image) package; overrides the vendor label.",
)
@click.option(
    "--author",
    "authors",
    multiple=True,
    metavar="'Organization: …'|'Person: …'",
    help="Who made this SBOM (SPDX creator, repeatable); the tool is always listed too.",
)
@click.option(
    "--license",
    "license_expression",
    metavar="SPDX-EXPRESSION",
    help="Declared licence of the root (and every image) package; overrides the labels.",
)
@click.option("--name", help="Root package name for dir: sources (default: the basename).")
@click.option(
    "--version",
    "root_version",
    help="Root package version for dir:, gomod: and gobin: sources (overrides what is found).",
)
@click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Allow plain HTTP to this registry (loopback registries are always allowed).",
)
def sbom_command(
    source_text: str,
    output_format: str,
    output: str | None,
    platforms: tuple[str, ...],
    no_cache: bool,
    cache_dir: str | None,
    cache_max_size: str,
    cache_readonly: bool,
    max_file_size: str,
    supplier: str | None,
    authors: tuple[str, ...],
    license_expression: str | None,
    name: str | None,
    root_version: str | None,
    insecure: tuple[str, ...],
) -> int:
    """Write an SBOM (SPDX 2.3 or CycloneDX 1.6 JSON) of SOURCE.

    SOURCE: REF | oci:DIR[:TAG|@DIGEST] | oci-archive:FILE | docker-archive:FILE | dir:PATH |
    gomod:PATH | gobin:FILE.
    """
    sbom, findings = build_sbom(
        source_text,
        platforms=platforms,
        created=created_time(),
        use_cache=not no_cache,
        cache_dir=cache_dir,
        cache_max_size=parse_size(cache_max_size, "--cache-max-size"),
        cache_readonly=cache_readonly,
        max_file_size=parse_size(max_file_size, "--max-file-size"),
        name=name,
        version=root_version,
        insecure=insecure,
        progress=NULL_SINK if SETTINGS.quiet else StderrProgress(),
    )
    if supplier or authors or license_expression:
        from supplychain.catalog.image_sbom import with_identity

        sbom = with_identity(
            sbom,
            supplier=party(supplier, "--supplier") if supplier else None,
            authors=[party(a, "--author") for a in authors],
            license_expression=license_expression,
        )
    data = _render(sbom, output_format)
    _warn(findings)
    if output:
        atomic_write_bytes(output, data)
    else:
        stdout = click.get_binary_stream("stdout")
        stdout.write(data)
        stdout.flush()
    return 0


def _render(sbom: Sbom, output_format: str) -> bytes:
    """Import only the writer asked for: the CycloneDX module pulls in its schema validator,
    which costs over a second of start-up that an SPDX run should not pay."""
    if output_format == SbomFormat.SPDX.value:
        from supplychain.formats.spdx import write_spdx

        return write_spdx(sbom)
    from supplychain.formats.cyclonedx import write_cyclonedx

    return write_cyclonedx(sbom)


def _warn(findings: list[Finding]) -> None:
    """One line per problem (the first few), then a count: a hostile image can make thousands."""
    if SETTINGS.quiet or not findings:
        return
    shown = findings if SETTINGS.verbosity else findings[:_WARNINGS_SHOWN]
    for finding in shown:
        click.echo(
            f"supplychain: warning: {finding.subject}: {finding.message} [{finding.code}]", err=True
        )
    if len(findings) > len(shown):
        click.echo(
            f"supplychain: warning: {len(findings) - len(shown)} more (use -v to see all)",
            err=True,
        )
    sys.stderr.flush()
