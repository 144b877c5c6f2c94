"""dpkg cataloger on real Debian 12 status stanzas, DEP-5 copyright files and .list files."""

from __future__ import annotations

from pathlib import Path

from supplychain.catalog.dpkg import DpkgCataloger
from supplychain.catalog.fileview import DirView
from supplychain.catalog.os_release import detect
from tests.catalog.helpers import by_name, edges


def run(root: Path):  # type: ignore[no-untyped-def]
    view = DirView(root)
    return DpkgCataloger().catalog(view, detect(view))


def test_installed_packages_only(trees: dict[str, Path]) -> None:
    result = run(trees["debian"])
    names = sorted(p.name for p in result.packages)
    assert names == [
        "base-files",
        "bash",
        "gcc-12-base",
        "libc6",
        "libgcc-s1",
        "python3-six",
        "zlib1g",
    ]  # exim4-config is config-files only: its files are gone


def test_purl_keeps_epoch_and_encodes_plus(trees: dict[str, Path]) -> None:
    result = run(trees["debian"])
    assert by_name(result, "zlib1g").purl == (
        "pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&distro=debian-12"
    )
    assert by_name(result, "libc6").purl == (
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
    )
    assert by_name(result, "zlib1g").version == "1:1.2.13.dfsg-1"


def test_depends_and_pre_depends_edges(trees: dict[str, Path]) -> None:
    got = edges(run(trees["debian"]))
    assert ("bash", "libc6") in got  # Pre-Depends
    assert ("bash", "base-files") in got
    assert ("libgcc-s1", "gcc-12-base") in got
    assert ("zlib1g", "libc6") in got
    assert ("base-files", "NONE") in got  # no Depends at all: known to depend on nothing
    # Uninstalled targets (debianutils, libtinfo6) produce no edge.
    assert not any(target in ("debianutils", "libtinfo6") for _, target in got)


def test_licences_from_dep5_only(trees: dict[str, Path]) -> None:
    result = run(trees["debian"])
    assert by_name(result, "zlib1g").license_declared == "Zlib"
    assert by_name(result, "python3-six").license_declared == "MIT"  # Expat
    assert by_name(result, "bash").license_declared is None  # free-text copyright
    gcc = by_name(result, "gcc-12-base").license_declared or ""
    assert gcc.startswith("GPL-3.0-or-later AND LicenseRef-")
    assert {lic.license_id for lic in result.licenses} >= {gcc.split(" AND ")[1]}


def test_supplier_source_and_summary(trees: dict[str, Path]) -> None:
    libc = by_name(run(trees["debian"]), "libc6")
    assert libc.supplier == "Organization: Debian"
    assert ("supplychain:source-package", "glibc@2.36-9+deb12u4") in libc.properties
    assert ("supplychain:location", "var/lib/dpkg/status") in libc.properties
    assert libc.summary == "GNU C Library: Shared libraries"
    assert libc.homepage == "https://www.gnu.org/software/libc/libc.html"


def test_file_ownership_from_list_files(trees: dict[str, Path]) -> None:
    result = run(trees["debian"])
    libc = by_name(result, "libc6").ref
    assert result.owned["usr/lib/x86_64-linux-gnu/libc.so.6"] == libc  # from libc6:amd64.list
    assert result.owned["bin/bash"] == by_name(result, "bash").ref


def test_distroless_status_d(trees: dict[str, Path]) -> None:
    result = run(trees["distroless"])
    assert sorted(p.name for p in result.packages) == ["base-files", "tzdata"]
    tz = by_name(result, "tzdata")
    assert ("supplychain:location", "var/lib/dpkg/status.d/tzdata") in tz.properties
    assert result.owned["usr/share/zoneinfo/UTC"] == tz.ref  # from status.d/tzdata.md5sums


def test_wants() -> None:
    c = DpkgCataloger()
    assert c.wants("var/lib/dpkg/status")
    assert c.wants("var/lib/dpkg/status.d/base")
    assert c.wants("var/lib/dpkg/info/libc6:amd64.list")
    assert c.wants("usr/share/doc/bash/copyright")
    assert not c.wants("usr/share/doc/bash/changelog.gz")
    assert not c.wants("etc/passwd")


def test_no_dpkg_is_empty(tmp_path: Path) -> None:
    assert DpkgCataloger().catalog(DirView(tmp_path)).packages == []
