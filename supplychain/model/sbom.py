"""The format-neutral SBOM: packages, relationships and document facts.

Catalogers and the Go graph produce it; the SPDX and CycloneDX writers render it. IDs are
derived from content (``package_ref``), so the same package found twice is one package and the
same input always gives the same document.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

NONE = "NONE"
NOASSERTION = "NOASSERTION"

_UNSAFE = re.compile(r"[^A-Za-z0-9.-]+")


class Purpose(str, enum.Enum):
    CONTAINER = "CONTAINER"
    OPERATING_SYSTEM = "OPERATING_SYSTEM"
    APPLICATION = "APPLICATION"
    LIBRARY = "LIBRARY"
    FRAMEWORK = "FRAMEWORK"
    FILE = "FILE"
    SOURCE = "SOURCE"  # a source tree or a directory on disk: no artifact digest exists


class RelType(str, enum.Enum):
    CONTAINS = "CONTAINS"
    DEPENDS_ON = "DEPENDS_ON"


@dataclass(frozen=True, order=True)
class Checksum:
    algorithm: str  # SPDX spelling: SHA1, SHA256, SHA512
    value: str  # lower-case hex


@dataclass(frozen=True)
class Package:
    """One component. ``ref`` is the SPDXID without ``SPDXRef-`` and the CycloneDX bom-ref."""

    ref: str
    name: str
    version: str | None = None
    purl: str | None = None
    kind: str = "generic"  # deb, apk, rpm, pypi, npm, maven, golang, oci, os, generic
    purpose: Purpose | None = None
    supplier: str | None = None  # "Organization: X" / "Person: Y (mail)"; None = NOASSERTION
    license_declared: str | None = None  # SPDX expression; None = NOASSERTION
    copyright_text: str | None = None
    download_location: str | None = None
    homepage: str | None = None
    summary: str | None = None
    checksums: tuple[Checksum, ...] = ()
    cpes: tuple[str, ...] = ()
    # supplychain:* facts (layer, location, golang:h1 …), sorted key/value pairs.
    properties: tuple[tuple[str, str], ...] = ()

    def with_properties(self, extra: Iterable[tuple[str, str]]) -> Package:
        merged = tuple(sorted(set(self.properties) | set(extra)))
        return _replace(self, properties=merged)


@dataclass(frozen=True, order=True)
class Relationship:
    """``source TYPE target``; target may be NONE or NOASSERTION (unknown edges)."""

    source: str
    type: RelType
    target: str


@dataclass(frozen=True)
class ExtractedLicense:
    license_id: str  # LicenseRef-…
    text: str
    name: str = ""


@dataclass(frozen=True)
class Sbom:
    name: str
    root: str
    packages: tuple[Package, ...]
    relationships: tuple[Relationship, ...]
    created: datetime
    creators: tuple[str, ...] = ()
    extracted_licenses: tuple[ExtractedLicense, ...] = ()
    # Document-level facts (source reference, warnings), sorted key/value pairs.
    properties: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def package(self, ref: str) -> Package:
        for pkg in self.packages:
            if pkg.ref == ref:
                return pkg
        raise KeyError(ref)


def _replace(pkg: Package, **changes: object) -> Package:
    return dataclasses.replace(pkg, **changes)  # type: ignore[arg-type]


def slug(text: str, limit: int = 40) -> str:
    """``text`` reduced to SPDXID-safe characters, runs collapsed, at most ``limit`` long."""
    return _UNSAFE.sub("-", text).strip("-")[:limit].strip("-") or "x"


def package_ref(prefix: str, name: str, key: str, *, width: int = 16) -> str:
    """A stable ref like ``Package-deb-libc6-<16 hex>``; ``key`` is what makes it unique
    (canonical purl, platform digest, or ``cataloger:path``)."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:width]
    return f"{prefix}-{slug(name)}-{digest}"


class SbomBuilder:
    """Collects packages and edges, merging duplicates by ref, then freezes them sorted."""

    def __init__(self, name: str, created: datetime) -> None:
        self.name = name
        self.created = created
        self.root: str | None = None
        self._packages: dict[str, Package] = {}
        self._relationships: set[Relationship] = set()
        self._licenses: dict[str, ExtractedLicense] = {}
        self.creators: list[str] = []
        self.properties: set[tuple[str, str]] = set()

    def add_package(self, pkg: Package) -> str:
        existing = self._packages.get(pkg.ref)
        if existing is None:
            self._packages[pkg.ref] = pkg
        else:
            self._packages[pkg.ref] = existing.with_properties(pkg.properties)
        return pkg.ref

    def has(self, ref: str) -> bool:
        return ref in self._packages

    def relate(self, source: str, rel: RelType, target: str) -> None:
        if source == target:
            return
        self._relationships.add(Relationship(source, rel, target))

    def add_license(self, lic: ExtractedLicense) -> None:
        self._licenses.setdefault(lic.license_id, lic)

    def build(self) -> Sbom:
        if self.root is None or self.root not in self._packages:
            raise ValueError("SBOM has no root package")
        for rel in self._relationships:
            for end in (rel.source, rel.target):
                if end not in self._packages and end not in (NONE, NOASSERTION):
                    raise ValueError(f"relationship end {end!r} is not a package")
        return Sbom(
            name=self.name,
            root=self.root,
            packages=tuple(sorted(self._packages.values(), key=lambda p: p.ref)),
            relationships=tuple(sorted(self._relationships)),
            created=self.created,
            creators=tuple(self.creators),
            extracted_licenses=tuple(sorted(self._licenses.values(), key=lambda x: x.license_id)),
            properties=tuple(sorted(self.properties)),
        )
