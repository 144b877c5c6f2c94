"""Alpine/Wolfi packages: ``lib/apk/db/installed``.

The database is blank-line separated records of ``X:value`` lines (format after
anchore/syft:syft/pkg/cataloger/alpine/parse_apk_db.go and apk-tools' ``apk_db_index_read``).
``D:`` dependencies name packages, ``so:``/``cmd:``/``pc:`` provides, or files; they resolve to an
installed package through ``P:`` names, ``p:`` provides and ``F:``/``R:`` file ownership, which
is what apk itself does. ``C:`` is the SHA-1 of the control segment, not of any artifact we
describe, so it is an annotation, never a checksum.
"""

from __future__ import annotations

import re

from supplychain.catalog import licenses, purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.fileview import FileView, read_text
from supplychain.catalog.os_release import Distro
from supplychain.errors import Error
from supplychain.model.sbom import NONE, RelType

INSTALLED = "lib/apk/db/installed"
_VERSION_OP = re.compile(r"[<>=~].*$")


class ApkCataloger:
    name = "apk"
    version = "1"
    magics: tuple[bytes, ...] = ()

    def wants(self, path: str) -> bool:
        return path == INSTALLED

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        if not view.is_file(INSTALLED):
            return result
        try:
            text = read_text(view, INSTALLED)
        except Error as exc:
            result.warn("sbom.bad-metadata", INSTALLED, exc.message)
            return result
        records = [r for r in _records(text) if r[0].get("P", [""])[0].strip()]
        by_name: dict[str, str] = {}
        provides: dict[str, str] = {}
        parsed = []
        for record, file_lines in sorted(
            records, key=lambda r: (r[0]["P"][0], r[0].get("V", [""])[0])
        ):
            name = record["P"][0]
            version = record.get("V", [""])[0]
            arch = record.get("A", [None])[0]
            props = []
            if record.get("o"):
                props.append(("supplychain:source-package", record["o"][0]))
            if record.get("C"):
                props.append(("supplychain:apk:control-checksum", record["C"][0]))
            maintainer = record.get("m", [""])[0]
            if maintainer:
                props.append(("supplychain:maintainer", maintainer))
            pkg = make_package(
                "apk",
                name,
                version or None,
                purl=purl.apk(name, version, arch, distro),
                location=INSTALLED,
                view=view,
                purpose=None,
                supplier=distro.supplier if distro else None,
                declared=result.declared(licenses.normalize(record.get("L", [""])[0])),
                homepage=record.get("U", [""])[0] or None,
                summary=record.get("T", [""])[0] or None,
                properties=props,
            )
            ref = result.add(pkg)
            by_name.setdefault(name, ref)
            for provide in " ".join(record.get("p", [])).split():
                provides.setdefault(_VERSION_OP.sub("", provide), ref)
            directory = ""
            for key, value in file_lines:
                if key == "F":
                    directory = value.strip("/")
                    if directory:
                        result.owned.setdefault(directory, ref)
                elif key == "R":
                    path = f"{directory}/{value}" if directory else value
                    result.owned.setdefault(path, ref)
            parsed.append((ref, " ".join(record.get("D", [])).split()))
        for ref, depends in parsed:
            if not depends:
                result.relate(ref, RelType.DEPENDS_ON, NONE)
                continue
            for dep in depends:
                if dep.startswith("!"):
                    continue  # a conflict, not a dependency
                bare = _VERSION_OP.sub("", dep)
                target = by_name.get(bare) or provides.get(bare)
                if target is None and bare.startswith("/"):
                    target = result.owned.get(bare.lstrip("/"))
                if target is not None and target != ref:
                    result.relate(ref, RelType.DEPENDS_ON, target)
        return result


_Record = tuple[dict[str, list[str]], list[tuple[str, str]]]


def _records(text: str) -> list[_Record]:
    """Each record's fields as lists (F/R repeat), plus its F/R lines in order (an R: belongs
    to the F: above it)."""
    records: list[_Record] = []
    current: dict[str, list[str]] = {}
    order: list[tuple[str, str]] = []
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current:
                records.append((current, order))
            current, order = {}, []
            continue
        if len(line) < 2 or line[1] != ":":
            continue
        key, value = line[0], line[2:]
        current.setdefault(key, []).append(value)
        if key in "FR":
            order.append((key, value))
    return records
