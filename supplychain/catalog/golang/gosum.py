"""go.sum: the ``h1:`` hashes of module zips and go.mod files the build has seen.

go.sum is a superset of the build list (old versions linger after upgrades), so it never adds a
package (aquasecurity/trivy#1973); we use it only to attach the ``h1:`` of a selected module as a
labelled property. Lines are ``path version hash`` or ``path version/go.mod hash``.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.catalog.golang import semver
from supplychain.catalog.golang.modlex import decode, problem


@dataclass(frozen=True)
class GoSum:
    modules: dict[tuple[str, str], str]  # (path, version) → h1 of the module zip
    gomods: dict[tuple[str, str], str]  # (path, version) → h1 of its go.mod

    def h1(self, path: str, version: str) -> str | None:
        return self.modules.get((path, version))


def parse_gosum(data: bytes | str, *, filename: str = "go.sum") -> GoSum:
    """Parse go.sum. Raises ``InvalidInputError`` with ``file:line`` on a malformed line."""
    text = decode(data, filename)
    modules: dict[tuple[str, str], str] = {}
    gomods: dict[tuple[str, str], str] = {}
    for lineno, raw in enumerate(text.split("\n"), 1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 3:
            raise problem(filename, lineno, "malformed go.sum line", raw)
        path, version, digest = fields
        target = modules
        if version.endswith("/go.mod"):
            version = version[: -len("/go.mod")]
            target = gomods
        if not semver.is_valid(version):
            raise problem(filename, lineno, "invalid version in go.sum", raw)
        algo, sep, value = digest.partition(":")
        if not sep or not algo or not value:
            raise problem(filename, lineno, "malformed hash in go.sum", raw)
        if algo == "h1":
            target[(path, version)] = digest
    return GoSum(modules, gomods)
