"""Which layer installed an OS package (SBOM.md §B.3), not just which one last wrote the DB.

``apt-get install curl`` in an upper layer rewrites the whole ``var/lib/dpkg/status``; the
visible copy of the database is then in that layer, yet only curl came from it. Like Trivy's
applier, a DB package is attributed to the lowest layer from which the database holds the same
package (same purl: name, version, arch) without interruption up to the top. Only layers that
touch a package database are looked at: the squash is replayed up to each of them and the OS
cataloger re-run there. With one such layer there is nothing to refine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from supplychain.catalog.base import LAYER, Cataloger, CatalogResult
from supplychain.catalog.fileview import LayerRef
from supplychain.catalog.layers.index import LayerIndex
from supplychain.catalog.layers.squash import SquashedView
from supplychain.catalog.os_release import Distro

# The database files of each OS cataloger (prefixes: dpkg's status.d/ holds one file a package).
DATABASES = {
    "dpkg": ("var/lib/dpkg/status",),
    "apk": ("lib/apk/db/installed",),
    "rpm": ("var/lib/rpm/", "usr/lib/sysimage/rpm/"),
}
OS_KINDS = ("deb", "apk", "rpm")


def _touches(index: LayerIndex, prefixes: tuple[str, ...]) -> bool:
    for path in index.records:
        if path.startswith(prefixes):
            return True
    for removed in (*index.whiteouts, *index.opaque):
        if any(
            p.startswith(removed + "/") or removed.startswith(p) or removed == p.rstrip("/")
            for p in prefixes
        ):
            return True
    return False


def refine_os_layers(
    result: CatalogResult,
    layers: Sequence[tuple[str, LayerIndex]],
    catalogers: Sequence[Cataloger],
    distro: Distro | None,
) -> None:
    """Rewrite the ``supplychain:layer`` property of OS packages in ``result`` in place."""
    for cataloger in catalogers:
        prefixes = DATABASES.get(cataloger.name)
        if prefixes is None:
            continue
        changes = [n for n, (_, index) in enumerate(layers) if _touches(index, prefixes)]
        if len(changes) < 2:
            continue
        present: dict[int, set[str]] = {}
        for number in changes:
            view = SquashedView(layers[: number + 1])
            found = cataloger.catalog(view, distro)
            present[number] = {p.purl for p in found.packages if p.purl}
        _apply(result, changes, present, layers)


def _apply(
    result: CatalogResult,
    changes: list[int],
    present: dict[int, set[str]],
    layers: Sequence[tuple[str, LayerIndex]],
) -> None:
    for position, pkg in enumerate(result.packages):
        if pkg.kind not in OS_KINDS or not pkg.purl:
            continue
        lowest = None
        for number in reversed(changes):
            if pkg.purl not in present[number]:
                break
            lowest = number
        if lowest is None:
            continue
        value = LayerRef(lowest, layers[lowest][0]).property_value()
        props = tuple(sorted({(k, v) for k, v in pkg.properties if k != LAYER} | {(LAYER, value)}))
        result.packages[position] = dataclasses.replace(pkg, properties=props)
