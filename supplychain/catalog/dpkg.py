"""Debian packages: ``var/lib/dpkg/status`` and distroless ``var/lib/dpkg/status.d/*``.

Besides name/version/arch this reads what makes the SBOM useful rather than a list: ``Depends``
and ``Pre-Depends`` become forward edges to the installed package that satisfies them (first
installed alternative, or a package that ``Provides`` the name), ``info/*.list`` and
``*.md5sums`` give file ownership (so a Python package installed by apt is not reported twice),
and the DEP-5 ``copyright`` file gives the declared licence.
"""

from __future__ import annotations

import re

from supplychain.catalog import licenses, purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.deb822 import paragraphs
from supplychain.catalog.fileview import FileView, basename, glob_match, read_text
from supplychain.catalog.os_release import Distro
from supplychain.errors import Error
from supplychain.model.sbom import NONE, RelType

STATUS = "var/lib/dpkg/status"
STATUS_D = "var/lib/dpkg/status.d"
INFO = "var/lib/dpkg/info"
_WANTED = (
    STATUS,
    f"{STATUS_D}/*",
    f"{INFO}/*.list",
    f"{INFO}/*.md5sums",
    "usr/share/doc/*/copyright",
)
# States whose files are on disk (dpkg(1) "Package states"); not-installed/config-files are not.
_ON_DISK = {
    "installed",
    "unpacked",
    "half-configured",
    "half-installed",
    "triggers-awaited",
    "triggers-pending",
}
_DEP_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9+.\-]*)")
_COPYRIGHT_LIMIT = 4 * 1024 * 1024


class DpkgCataloger:
    name = "dpkg"
    version = "1"
    magics: tuple[bytes, ...] = ()

    def wants(self, path: str) -> bool:
        return any(glob_match(p, path) for p in _WANTED)

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        stanzas = list(self._stanzas(view, result))
        if not stanzas:
            return result
        by_name: dict[str, str] = {}
        provided: dict[str, str] = {}
        entries = []
        for location, fields in sorted(stanzas, key=lambda s: (s[1]["Package"], s[0])):
            name = fields["Package"]
            version = fields.get("Version", "")
            arch = fields.get("Architecture") or None
            props = []
            source = fields.get("Source")
            if source:
                src_name, _, rest = source.partition(" ")
                src_version = rest.strip("() ") or version
                props.append(("supplychain:source-package", f"{src_name}@{src_version}"))
            pkg = make_package(
                "deb",
                name,
                version,
                purl=purl.deb(name, version, arch, distro),
                location=location,
                view=view,
                purpose=None,
                supplier=distro.supplier if distro else None,
                declared=result.declared(self._license(view, name, result)),
                homepage=fields.get("Homepage") or None,
                summary=(fields.get("Description") or "").split("\n")[0] or None,
                properties=props,
            )
            ref = result.add(pkg)
            by_name.setdefault(name, ref)
            for provide in _names(fields.get("Provides", "")):
                provided.setdefault(provide, ref)
            entries.append((ref, name, arch, location, fields))
        # One listing of the dpkg dirs instead of probing five names per package.
        present = {p for p in view.paths() if p.startswith((INFO + "/", STATUS_D + "/"))}
        for ref, name, arch, location, fields in entries:
            self._edges(result, ref, fields, by_name, provided)
            self._ownership(view, result, ref, name, arch, location, present)
        return result

    # stanzas

    def _stanzas(self, view: FileView, result: CatalogResult) -> list[tuple[str, dict[str, str]]]:
        sources = []
        if view.is_file(STATUS):
            sources.append(STATUS)
        sources.extend(
            sorted(
                p
                for p in view.glob(f"{STATUS_D}/*")
                if not p.endswith(".md5sums") and view.is_file(p)
            )
        )
        found = []
        for location in sources:
            try:
                text = read_text(view, location)
            except Error as exc:
                result.warn("sbom.bad-metadata", location, exc.message)
                continue
            for fields in paragraphs(text):
                if "Package" not in fields:
                    continue
                status = fields.get("Status", "install ok installed").split()
                if status and status[-1] not in _ON_DISK:
                    continue
                found.append((location, fields))
        return found

    def _license(
        self, view: FileView, name: str, result: CatalogResult
    ) -> licenses.DeclaredLicense | None:
        path = f"usr/share/doc/{name}/copyright"
        if not view.is_file(path):
            return None
        try:
            return licenses.from_dep5(read_text(view, path, _COPYRIGHT_LIMIT))
        except Error as exc:
            result.warn("sbom.bad-metadata", path, exc.message)
            return None

    # edges and ownership

    def _edges(
        self,
        result: CatalogResult,
        ref: str,
        fields: dict[str, str],
        by_name: dict[str, str],
        provided: dict[str, str],
    ) -> None:
        relations = ",".join(f for f in (fields.get("Pre-Depends"), fields.get("Depends")) if f)
        targets = set()
        for clause in relations.split(","):
            for alternative in clause.split("|"):
                match = _DEP_NAME.match(alternative)
                if not match:
                    continue
                dep = match.group(1)
                target = by_name.get(dep) or provided.get(dep)
                if target is not None:
                    targets.add(target)
                    break
        targets.discard(ref)
        if not relations.strip():
            # dpkg metadata is complete: no Depends means depends on nothing.
            result.relate(ref, RelType.DEPENDS_ON, NONE)
        for target in sorted(targets):
            result.relate(ref, RelType.DEPENDS_ON, target)

    def _ownership(
        self,
        view: FileView,
        result: CatalogResult,
        ref: str,
        name: str,
        arch: str | None,
        location: str,
        present: set[str],
    ) -> None:
        candidates = [f"{INFO}/{name}.list", f"{INFO}/{name}:{arch}.list"] if arch else []
        candidates += [f"{INFO}/{name}.list", f"{INFO}/{name}.md5sums"]
        if arch:
            candidates.append(f"{INFO}/{name}:{arch}.md5sums")
        if location.startswith(STATUS_D + "/"):
            candidates.append(f"{STATUS_D}/{basename(location)}.md5sums")
        for path in dict.fromkeys(candidates):
            if path not in present or not view.is_file(path):
                continue
            try:
                text = read_text(view, path)
            except Error as exc:
                result.warn("sbom.bad-metadata", path, exc.message)
                continue
            for line in text.splitlines():
                owned = (
                    line.split("  ", 1)[1] if path.endswith(".md5sums") and "  " in line else line
                )
                owned = owned.strip().lstrip("/")
                if owned and owned not in (".",):
                    result.owned.setdefault(owned, ref)


def _names(relation: str) -> list[str]:
    out = []
    for clause in relation.split(","):
        match = _DEP_NAME.match(clause)
        if match:
            out.append(match.group(1))
    return out
