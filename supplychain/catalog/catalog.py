"""Run every cataloger over one view and turn the findings into (part of) an SBOM.

Two steps, kept apart because multi-platform images need the second one several times:

* :func:`catalog_view` — OS detection, every cataloger, the OS package, and the cross-ecosystem
  join: a language package whose files an OS package installed is linked ``OS package CONTAINS
  it`` rather than reported as an unrelated second component (SBOM.md §C).
* :func:`add_to_sbom` — put one view's packages under a parent (the image, or the rootfs root)
  in an :class:`SbomBuilder`: ``parent CONTAINS`` every package, ``parent DEPENDS_ON`` the
  packages nothing else depends on (a rooted graph, §F.4). ``scope`` (a platform's manifest
  digest) keeps refs of different platforms apart when one document covers an index (§A.3).

:func:`sbom_for_directory` is the whole ``dir:PATH`` pipeline on top of them.
"""

from __future__ import annotations

import dataclasses
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from supplychain.catalog import purl
from supplychain.catalog.apk import ApkCataloger
from supplychain.catalog.base import Cataloger, CatalogResult
from supplychain.catalog.dpkg import DpkgCataloger
from supplychain.catalog.fileview import DirView, FileView
from supplychain.catalog.java import JavaCataloger
from supplychain.catalog.npm import NpmCataloger
from supplychain.catalog.os_release import Distro, detect
from supplychain.catalog.python import PythonCataloger
from supplychain.catalog.rpm import RpmCataloger
from supplychain.errors import Error
from supplychain.model.sbom import (
    NOASSERTION,
    NONE,
    Package,
    Purpose,
    Relationship,
    RelType,
    Sbom,
    SbomBuilder,
    package_ref,
)

_OS_KINDS = ("deb", "apk", "rpm")


def default_catalogers() -> tuple[Cataloger, ...]:
    """Every cataloger, in a fixed order (their output is merged and sorted anyway)."""
    catalogers: list[Cataloger] = [
        ApkCataloger(),
        DpkgCataloger(),
        RpmCataloger(),
        PythonCataloger(),
        NpmCataloger(),
        JavaCataloger(),
    ]
    try:
        from supplychain.catalog.gobinary import (  # type: ignore[import-not-found,unused-ignore]
            GoBinaryCataloger,
        )
    except ImportError:  # the Go build-info reader is not there yet
        pass
    else:
        catalogers.append(GoBinaryCataloger())
    return tuple(catalogers)


def cataloger_versions(catalogers: Sequence[Cataloger] | None = None) -> dict[str, str]:
    """``{name: version}``: part of the layer-cache key (SBOM.md §B.4)."""
    return {c.name: c.version for c in catalogers or default_catalogers()}


def wanted(path: str, catalogers: Sequence[Cataloger]) -> bool:
    """Whether any cataloger may read ``path`` (what the layer streamer must capture)."""
    return any(c.wants(path) for c in catalogers)


@dataclass
class Catalog:
    """Everything found in one view."""

    result: CatalogResult
    distro: Distro | None
    os_ref: str | None


def catalog_view(view: FileView, catalogers: Sequence[Cataloger] | None = None) -> Catalog:
    distro = detect(view)
    merged = CatalogResult()
    os_ref = None
    if distro is not None:
        os_pkg = Package(
            ref=package_ref("OS", distro.id, purl.generic(distro.id, distro.version_id)),
            name=distro.id,
            version=distro.version_id,
            purl=purl.generic(distro.id, distro.version_id),
            kind="os",
            purpose=Purpose.OPERATING_SYSTEM,
            supplier=distro.supplier,
            summary=distro.pretty_name,
            properties=tuple(
                sorted(
                    {("supplychain:location", distro.location)}
                    | (
                        {("supplychain:layer", layer.property_value())}
                        if (layer := view.layer_of(distro.location))
                        else set()
                    )
                    | ({("supplychain:os:codename", distro.codename)} if distro.codename else set())
                )
            ),
        )
        os_ref = merged.add(os_pkg)
    for cataloger in catalogers or default_catalogers():
        try:
            merged.extend(cataloger.catalog(view, distro))
        except (Error, OSError, ValueError, LookupError, RecursionError, struct.error) as exc:
            # A cataloger tripping over hostile metadata must not sink the other ecosystems;
            # the document says it is incomplete instead of silently missing packages.
            merged.warn("sbom.cataloger-failed", cataloger.name, f"{type(exc).__name__}: {exc}")
            merged.properties.add(("supplychain:composition", "incomplete"))
    _link_owned(merged)
    return Catalog(merged, distro, os_ref)


def _link_owned(result: CatalogResult) -> None:
    """OS package CONTAINS the language packages whose metadata it installed."""
    if not result.owned:
        return
    for pkg in result.packages:
        if pkg.kind in _OS_KINDS or pkg.kind == "os":
            continue
        location = dict(pkg.properties).get("supplychain:location", "")
        outer = location.split("!/", 1)[0]
        for candidate in (outer, outer.rsplit("/", 1)[0]):
            owner = result.owned.get(candidate)
            if owner is not None:
                result.relate(owner, RelType.CONTAINS, pkg.ref)
                break


def add_to_sbom(
    builder: SbomBuilder,
    found: Catalog,
    parent: str,
    *,
    scope: str = "",
) -> dict[str, str]:
    """Add one view's packages under ``parent``; returns old ref → ref used in the builder."""
    result = found.result
    mapping: dict[str, str] = {}
    for pkg in result.packages:
        new_ref = pkg.ref
        if scope:
            location = "" if pkg.purl else dict(pkg.properties).get("supplychain:location", "")
            key = f"{pkg.purl or ''}|{scope}|{location}"
            new_ref = package_ref(_prefix(pkg), pkg.name, key)
        mapping[pkg.ref] = new_ref
        builder.add_package(dataclasses.replace(pkg, ref=new_ref) if new_ref != pkg.ref else pkg)
    for lic in result.licenses:
        builder.add_license(lic)
    has_incoming: set[str] = set()
    edges: set[Relationship] = set()
    for rel in result.relationships:
        source = mapping.get(rel.source)
        target = mapping.get(rel.target, rel.target if rel.target in (NONE, NOASSERTION) else None)
        if source is None or target is None:
            continue
        edges.add(Relationship(source, rel.type, target))
        if rel.type == RelType.DEPENDS_ON:
            has_incoming.add(target)
    for rel in sorted(edges):
        builder.relate(rel.source, rel.type, rel.target)
    os_ref = mapping.get(found.os_ref) if found.os_ref else None
    top = sorted(r for r in set(mapping.values()) if r not in has_incoming and r != os_ref)
    for ref in sorted(set(mapping.values())):
        builder.relate(parent, RelType.CONTAINS, ref)
    for ref in top:
        builder.relate(parent, RelType.DEPENDS_ON, ref)
    if not top:
        builder.relate(parent, RelType.DEPENDS_ON, NONE)
    builder.properties |= result.properties
    return mapping


def _prefix(pkg: Package) -> str:
    """The ref prefix of a package (``Package-deb``, ``OS`` …), recovered from its kind."""
    return "OS" if pkg.kind == "os" else f"Package-{pkg.kind}"


def directory_root(path: str, *, name: str | None = None, version: str | None = None) -> Package:
    """The root package of a ``dir:PATH`` tree.

    A directory has no artifact digest, so it gets no checksum (§A.1) — never an invented one —
    and the purpose ``SOURCE`` (files on disk, not a published artifact), which is what exempts it
    from the profile's root-SHA256 requirement (AH-PKG-006). Its purl is
    ``pkg:generic/NAME@VERSION``: the only identity the user gave it.
    """
    label = name or os.path.basename(os.path.abspath(path)) or "rootfs"
    return Package(
        ref=package_ref("Rootfs", label, f"dir:{label}|{version or ''}"),
        name=label,
        version=version,
        purl=purl.generic(label, version),
        kind="generic",
        purpose=Purpose.SOURCE,
    )


def sbom_for_directory(
    path: str,
    *,
    created: datetime,
    name: str | None = None,
    version: str | None = None,
    catalogers: Sequence[Cataloger] | None = None,
) -> Sbom:
    """The SBOM of a rootfs directory (``supplychain sbom dir:PATH``)."""
    view = DirView(path)
    root = directory_root(path, name=name, version=version)
    builder = SbomBuilder(root.name if not version else f"{root.name}:{version}", created)
    builder.root = builder.add_package(root)
    add_to_sbom(builder, catalog_view(view, catalogers), builder.root)
    return builder.build()
