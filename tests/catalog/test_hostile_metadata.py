"""Hostile or broken metadata: one bad file is a finding, never a crash or a host read."""

from __future__ import annotations

import os
from pathlib import Path

from supplychain.catalog.apk import ApkCataloger
from supplychain.catalog.catalog import catalog_view
from supplychain.catalog.dpkg import DpkgCataloger
from supplychain.catalog.fileview import DirView
from supplychain.catalog.npm import NpmCataloger
from supplychain.catalog.python import PythonCataloger


def test_deeply_nested_package_json(tmp_path: Path) -> None:
    pkg = tmp_path / "node_modules/deep"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text("[" * 100_000 + "]" * 100_000)
    result = NpmCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert result.findings[0].code == "sbom.bad-metadata"


def test_package_json_with_wrong_types(tmp_path: Path) -> None:
    pkg = tmp_path / "node_modules/odd"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text(
        '{"name": "odd", "version": "1.0.0", "license": 7, "author": ["x"],'
        ' "dependencies": "nope", "homepage": "javascript:alert(1)"}'
    )
    result = NpmCataloger().catalog(DirView(tmp_path))
    [odd] = result.packages
    assert (odd.license_declared, odd.supplier, odd.homepage) == (None, None, None)


def test_status_with_binary_junk_and_no_package_field(tmp_path: Path) -> None:
    status = tmp_path / "var/lib/dpkg/status"
    status.parent.mkdir(parents=True)
    status.write_bytes(
        b"\xff\xfe\x00junk\n\nVersion: 1\n\nPackage: ok\nStatus: install ok installed\n"
        b"Version: 1.0\nArchitecture: amd64\nDepends: ok\n"
    )
    result = DpkgCataloger().catalog(DirView(tmp_path))
    assert [p.name for p in result.packages] == ["ok"]
    assert result.relationships == []  # a self-dependency is not an edge (nor NONE)


def test_status_symlink_to_host_file_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "host-status"
    outside.write_text("Package: host-only\nVersion: 1\n")
    root = tmp_path / "root"
    (root / "var/lib/dpkg").mkdir(parents=True)
    os.symlink(str(outside), root / "var/lib/dpkg/status")  # absolute host path
    os.symlink("../../../../host-status", root / "var/lib/apk")
    result = catalog_view(DirView(root)).result
    assert result.packages == []


def test_apk_db_garbage(tmp_path: Path) -> None:
    db = tmp_path / "lib/apk/db/installed"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"P\nV:1\nno colon here\n\x00\x01\nP:\n\nP:real\nV:2\n\n\n")
    result = ApkCataloger().catalog(DirView(tmp_path))
    assert [p.name for p in result.packages] == ["real"]


def test_metadata_over_the_parse_limit_is_a_finding(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import supplychain.catalog.python as python_cataloger

    monkeypatch.setattr(python_cataloger, "_METADATA_LIMIT", 1024)
    dist = tmp_path / "site-packages/big-1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Name: big\nVersion: 1\n" + "x" * 4096)
    result = PythonCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert result.findings[0].subject.endswith("METADATA")


def test_a_failing_cataloger_marks_the_document_incomplete(tmp_path: Path) -> None:
    class Exploding:
        name = "exploding"
        version = "1"
        magics: tuple[bytes, ...] = ()

        def wants(self, path: str) -> bool:
            return False

        def catalog(self, view, distro=None):  # type: ignore[no-untyped-def]
            raise ValueError("boom")

    found = catalog_view(DirView(tmp_path), [Exploding(), NpmCataloger()])
    assert [f.code for f in found.result.findings] == ["sbom.cataloger-failed"]
    assert ("supplychain:composition", "incomplete") in found.result.properties
