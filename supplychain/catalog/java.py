"""Java archives: ``.jar .war .ear .jpi .hpi .par``, nested archives up to depth 3.

Maven coordinates come only from ``META-INF/maven/<g>/<a>/pom.properties`` (SBOM.md §D: guessing a
groupId from a manifest gives purls that match the wrong advisories); without one the archive is
``pkg:generic`` named from ``MANIFEST.MF`` or the file name. A shaded jar carries several
``pom.properties``: the one matching the file name is the archive itself, the others are packages
it CONTAINS. Archives are hostile input: entry counts, member sizes and nesting are capped, and
a member is read with a byte limit whatever its header claims.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

from supplychain.catalog import licenses, purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.fileview import FileView, basename
from supplychain.catalog.os_release import Distro
from supplychain.errors import Error
from supplychain.model.sbom import Checksum, Purpose, RelType

EXTENSIONS = (".jar", ".war", ".ear", ".jpi", ".hpi", ".par")
MAX_DEPTH = 3
MAX_ENTRIES = 100_000
MAX_ARCHIVE = 512 * 1024 * 1024
MAX_NESTED = 64 * 1024 * 1024
MAX_METADATA = 1024 * 1024
_FILENAME = re.compile(r"^(?P<name>.+?)-(?P<version>\d[\w.\-+]*)$")


@dataclass(frozen=True)
class _Pom:
    group: str
    artifact: str
    version: str


class JavaCataloger:
    name = "java"
    version = "1"
    magics: tuple[bytes, ...] = ()

    def wants(self, path: str) -> bool:
        return path.lower().endswith(EXTENSIONS)

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        for path in sorted(p for p in view.paths() if self.wants(p) and view.is_file(p)):
            try:
                if view.size(path) > MAX_ARCHIVE:
                    result.warn("sbom.not-analysed", path, "archive over the size limit")
                    continue
                with view.open(path) as handle:
                    data = _read_all(handle, MAX_ARCHIVE)
            except (Error, OSError) as exc:
                result.warn("sbom.bad-metadata", path, str(exc))
                continue
            self._archive(view, result, data, path, path, depth=1, outer=None)
        return result

    def _archive(
        self,
        view: FileView,
        result: CatalogResult,
        data: bytes,
        location: str,
        layer_path: str,
        *,
        depth: int,
        outer: str | None,
    ) -> None:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
            result.warn("sbom.bad-metadata", location, f"not a readable zip: {exc}")
            return
        if len(infos) > MAX_ENTRIES:
            result.warn("sbom.not-analysed", location, "too many zip entries")
            return
        if _overlapping(infos):
            result.warn("sbom.bad-metadata", location, "overlapping zip entries")
            return
        manifest = _manifest(_member(archive, "META-INF/MANIFEST.MF", result, location))
        poms = []
        for info in infos:
            if info.filename.startswith("META-INF/maven/") and info.filename.endswith(
                "/pom.properties"
            ):
                pom = _pom(_member(archive, info.filename, result, location))
                if pom is not None:
                    poms.append(pom)
        poms.sort(key=lambda p: (p.group, p.artifact, p.version))
        stem = basename(location.rsplit("!/", 1)[-1]).rsplit(".", 1)[0]
        main = _main_pom(poms, stem)
        checksums = [
            Checksum("SHA1", hashlib.sha1(data, usedforsecurity=False).hexdigest()),
            Checksum("SHA256", hashlib.sha256(data).hexdigest()),
        ]
        vendor = manifest.get("Implementation-Vendor") or manifest.get("Bundle-Vendor")
        common = {
            "location": location,
            "view": view,
            "supplier": f"Organization: {_clean(vendor)}" if vendor and _clean(vendor) else None,
            "declared": result.declared(_bundle_license(manifest.get("Bundle-License"))),
            "checksums": checksums,
            "properties": [("supplychain:layer-path", layer_path)]
            if location != layer_path
            else [],
        }
        if main is not None:
            pkg = make_package(
                "maven",
                main.artifact,
                main.version,
                purl=purl.maven(main.group, main.artifact, main.version),
                purpose=Purpose.LIBRARY,
                **common,  # type: ignore[arg-type]
            )
        else:
            name, version = _generic_identity(manifest, stem)
            pkg = make_package(
                "java",
                name,
                version,
                purl=purl.generic(name, version),
                purpose=Purpose.LIBRARY,
                **common,  # type: ignore[arg-type]
            )
        ref = result.add(pkg)
        if outer is not None:
            result.relate(outer, RelType.CONTAINS, ref)
        for pom in poms:
            if pom is main:
                continue
            shaded = make_package(
                "maven",
                pom.artifact,
                pom.version,
                purl=purl.maven(pom.group, pom.artifact, pom.version),
                location=location,
                view=view,
                purpose=Purpose.LIBRARY,
                properties=[("supplychain:shaded-in", location)],
            )
            result.relate(ref, RelType.CONTAINS, result.add(shaded))
        if depth >= MAX_DEPTH:
            return
        for info in infos:
            if info.is_dir() or not info.filename.lower().endswith(EXTENSIONS):
                continue
            if info.file_size > MAX_NESTED:
                result.warn("sbom.not-analysed", f"{location}!/{info.filename}", "too large")
                continue
            inner = _member(archive, info.filename, result, location, limit=MAX_NESTED)
            if inner:
                self._archive(
                    view,
                    result,
                    inner,
                    f"{location}!/{info.filename}",
                    layer_path,
                    depth=depth + 1,
                    outer=ref,
                )


def _main_pom(poms: list[_Pom], stem: str) -> _Pom | None:
    """The pom describing the archive itself: its file name is ``<artifact>[-<version>]``
    (longest artifact wins, so ``guava-shaded-1.0`` is not taken for ``guava``); a lone pom
    is the archive's even when the file was renamed."""
    matches = [
        p
        for p in poms
        if stem in (p.artifact, f"{p.artifact}-{p.version}") or stem.startswith(f"{p.artifact}-")
    ]
    if matches:
        return max(matches, key=lambda p: (stem == f"{p.artifact}-{p.version}", len(p.artifact)))
    return poms[0] if len(poms) == 1 else None


def _read_all(handle: BinaryIO, limit: int) -> bytes:
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise OSError("archive over the size limit")
    return data


def _overlapping(infos: list[zipfile.ZipInfo]) -> bool:
    """Entries whose local data overlap: a zip-bomb trick (SECURITY.md §4.2)."""
    spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size) for i in infos)
    return any(spans[k][0] < spans[k - 1][0] + 30 for k in range(1, len(spans)))


def _member(
    archive: zipfile.ZipFile,
    name: str,
    result: CatalogResult,
    location: str,
    *,
    limit: int = MAX_METADATA,
) -> bytes:
    """A member's bytes, at most ``limit`` read whatever the header says; b"" if absent."""
    try:
        with archive.open(name) as member:
            data = member.read(limit + 1)
    except KeyError:
        return b""
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError) as exc:
        result.warn("sbom.bad-metadata", f"{location}!/{name}", str(exc))
        return b""
    if len(data) > limit:
        result.warn("sbom.not-analysed", f"{location}!/{name}", "member over the size limit")
        return b""
    return data


def _manifest(data: bytes) -> dict[str, str]:
    """Main section of ``MANIFEST.MF`` (72-byte lines continued by a leading space)."""
    fields: dict[str, str] = {}
    last = None
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line:
            break  # end of the main section
        if line.startswith(" ") and last:
            fields[last] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if sep:
            last = key.strip()
            fields[last] = value.strip()
    return fields


def _pom(data: bytes) -> _Pom | None:
    values: dict[str, str] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        if line.startswith(("#", "!")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    group, artifact, version = (values.get(k, "") for k in ("groupId", "artifactId", "version"))
    if not (group and artifact and version):
        return None
    return _Pom(group, artifact, version)


def _generic_identity(manifest: dict[str, str], stem: str) -> tuple[str, str | None]:
    """Name from the file name (``commons-logging-1.2`` → ``commons-logging``: what people
    search for) unless it carries no version; version from the manifest, else the file name."""
    match = _FILENAME.match(stem)
    title = manifest.get("Implementation-Title") or manifest.get("Bundle-SymbolicName", "")
    title = title.split(";")[0].strip()
    name = match.group("name") if match else (title or stem)
    version = manifest.get("Implementation-Version") or manifest.get("Bundle-Version")
    if not version and match:
        version = match.group("version")
    return name, (version or None)


def _bundle_license(value: str | None) -> licenses.DeclaredLicense | None:
    """OSGi ``Bundle-License``: an SPDX expression or a list of URLs (URLs say nothing)."""
    if not value or "://" in value:
        return None
    return licenses.normalize(value.split(";")[0])


def _clean(text: str) -> str:
    return " ".join(text.replace("(", " ").replace(")", " ").split())
