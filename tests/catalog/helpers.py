"""Small lookups over a CatalogResult used by the cataloger tests."""

from __future__ import annotations

from supplychain.catalog.base import CatalogResult
from supplychain.model.sbom import Package


def by_name(result: CatalogResult, name: str) -> Package:
    matches = [p for p in result.packages if p.name == name]
    assert matches, f"{name} not found in {sorted(p.name for p in result.packages)}"
    return matches[0]


def edges(result: CatalogResult, rel: str = "DEPENDS_ON") -> set[tuple[str, str]]:
    names = {p.ref: p.name for p in result.packages}
    return {
        (names[r.source], names.get(r.target, r.target))
        for r in result.relationships
        if r.type.value == rel
    }
