"""What every cataloger is and returns.

One module per ecosystem implements :class:`Cataloger`. The layer streamer needs to know, before
it sees a file's bytes, whether anyone will read them: ``wants(path)`` answers from the path alone
and ``magics`` lists content prefixes (Go binaries hide under any name) that make a file wanted
too. ``catalog(view, distro)`` then runs over the squashed :class:`FileView` and returns a
:class:`CatalogResult` of neutral packages and edges, never printing or raising for one bad
metadata file (that becomes a :class:`Finding`; a hostile or broken file must not hide the rest).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from supplychain.catalog.fileview import FileView
from supplychain.catalog.licenses import DeclaredLicense
from supplychain.catalog.os_release import Distro
from supplychain.model.sbom import (
    Checksum,
    ExtractedLicense,
    Package,
    Purpose,
    Relationship,
    RelType,
    package_ref,
)

LOCATION = "supplychain:location"
LAYER = "supplychain:layer"
LICENSE_RAW = "supplychain:license:declared-raw"


@dataclass(frozen=True, order=True)
class Finding:
    """A problem that did not stop the scan (``code`` like ``sbom.bad-metadata``)."""

    code: str
    subject: str
    message: str


@dataclass
class CatalogResult:
    """Packages and edges one cataloger (or all of them, merged) found.

    ``owned`` maps image paths to the ref of the OS package that installed them, so a Python or
    npm package installed by dpkg/apk/rpm is linked ``OS package CONTAINS it`` instead of being
    reported twice (SBOM.md §C).
    """

    packages: list[Package] = field(default_factory=list)
    relationships: list[Relationship] = field(default_factory=list)
    owned: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    licenses: list[ExtractedLicense] = field(default_factory=list)
    # Document facts such as ("supplychain:composition", "incomplete").
    properties: set[tuple[str, str]] = field(default_factory=set)

    def add(self, pkg: Package) -> str:
        self.packages.append(pkg)
        return pkg.ref

    def relate(self, source: str, rel: RelType, target: str) -> None:
        if source != target:
            self.relationships.append(Relationship(source, rel, target))

    def warn(self, code: str, subject: str, message: str) -> None:
        self.findings.append(Finding(code, subject, message))

    def extend(self, other: CatalogResult) -> None:
        self.packages.extend(other.packages)
        self.relationships.extend(other.relationships)
        for path, owner in other.owned.items():
            self.owned.setdefault(path, owner)
        self.findings.extend(other.findings)
        self.licenses.extend(other.licenses)
        self.properties |= other.properties

    def declared(self, declared: DeclaredLicense | None) -> DeclaredLicense | None:
        """Record the ``LicenseRef-`` texts a declared licence needs; pass it on."""
        if declared is not None:
            self.licenses.extend(declared.extracted)
        return declared


@runtime_checkable
class Cataloger(Protocol):
    """One ecosystem's package finder; see the module docstring."""

    name: str
    # Bumped whenever output for the same input changes (part of the layer cache key).
    version: str
    # File content prefixes that make a file wanted whatever its path (Go binaries); usually ().
    magics: tuple[bytes, ...]

    def wants(self, path: str) -> bool:
        """Whether this cataloger may read ``path`` (an image path, see fileview)."""
        ...

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        """Everything this ecosystem installed in ``view``."""
        ...


def make_package(
    kind: str,
    name: str,
    version: str | None,
    *,
    purl: str | None,
    location: str,
    view: FileView,
    purpose: Purpose | None = Purpose.LIBRARY,
    supplier: str | None = None,
    license_declared: str | None = None,
    declared: DeclaredLicense | None = None,
    copyright_text: str | None = None,
    download_location: str | None = None,
    homepage: str | None = None,
    summary: str | None = None,
    checksums: Iterable[Checksum] = (),
    cpes: Iterable[str] = (),
    properties: Iterable[tuple[str, str]] = (),
) -> Package:
    """A package with a content-derived ref (SBOM.md §F.2) and its location/layer properties.

    The ref key is the canonical purl, else ``<kind>:<location>``: the same package found in two
    places is one package with both locations merged (SBOM.md §F.2; duplicates: anchore/syft#1162).
    """
    key = purl or f"{kind}:{location}"
    props = {(LOCATION, location)}
    layer = view.layer_of(location)
    if layer is not None:
        props.add((LAYER, layer.property_value()))
    props.update(properties)
    if declared is not None:
        license_declared = license_declared or declared.expression
        raw = " ".join(declared.raw.split())
        if raw != declared.expression:
            # What the metadata said, when normalisation changed it (SBOM.md §F.3).
            props.add((LICENSE_RAW, raw[:1000]))
    return Package(
        ref=package_ref(f"Package-{kind}", name, key),
        name=name,
        version=version or None,
        purl=purl,
        kind=kind,
        purpose=purpose,
        supplier=supplier,
        license_declared=license_declared,
        copyright_text=copyright_text,
        download_location=download_location,
        homepage=homepage,
        summary=summary,
        checksums=tuple(sorted(set(checksums))),
        cpes=tuple(sorted(set(cpes))),
        properties=tuple(sorted(props)),
    )
