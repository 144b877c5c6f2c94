"""apk (Alpine installed db) and rpm (sqlite rpmdb with header blobs) catalogers."""

from __future__ import annotations

import sqlite3
import struct
from pathlib import Path
from types import ModuleType

import pytest

from supplychain.catalog.apk import ApkCataloger
from supplychain.catalog.fileview import DirView
from supplychain.catalog.os_release import detect
from supplychain.catalog.rpm import HeaderError, RpmCataloger, parse_header
from tests.catalog.helpers import by_name, edges
from tests.conftest import require_binary


def test_apk_packages(trees: dict[str, Path]) -> None:
    view = DirView(trees["alpine"])
    result = ApkCataloger().catalog(view, detect(view))
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:apk/alpine/alpine-baselayout@3.4.3-r2?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/ca-certificates-bundle@20230506-r0?arch=x86_64&distro=alpine-3.19.1",
        "pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1",
    ]
    musl = by_name(result, "musl")
    assert musl.supplier == "Organization: Alpine Linux"
    assert musl.license_declared == "MIT"
    assert ("supplychain:apk:control-checksum", "Q1uQvwTeTHl0y5mvlsnqv0Mx9VtLI=") in musl.properties
    assert musl.checksums == ()  # C: is not a checksum of anything we describe
    assert by_name(result, "ca-certificates-bundle").license_declared == "MPL-2.0 AND MIT"


def test_apk_edges_through_provides_and_ownership(trees: dict[str, Path]) -> None:
    view = DirView(trees["alpine"])
    result = ApkCataloger().catalog(view, detect(view))
    assert ("busybox", "musl") in edges(result)  # D:so:libc.musl… → p:so:libc.musl…
    assert result.owned["lib/ld-musl-x86_64.so.1"] == by_name(result, "musl").ref
    assert result.owned["etc/ssl/certs/ca-certificates.crt"] == (
        by_name(result, "ca-certificates-bundle").ref
    )


def test_rpm_sqlite(trees: dict[str, Path]) -> None:
    view = DirView(trees["rhel"])
    result = RpmCataloger().catalog(view, detect(view))
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:rpm/redhat/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4",
        "pkg:rpm/redhat/glibc@2.34-100.el9_4.2?arch=x86_64&distro=rhel-9.4",
        "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.4&epoch=1",
    ]  # gpg-pubkey skipped
    ssl = by_name(result, "openssl-libs")
    assert ssl.version == "1:3.0.7-27.el9"
    assert ssl.supplier == "Organization: Red Hat, Inc."
    assert ssl.license_declared == "Apache-2.0"  # ASL 2.0
    assert by_name(result, "bash").license_declared == "GPL-3.0-or-later"
    glibc = by_name(result, "glibc")
    assert ("supplychain:rpm:sigmd5", "6b2f0a8e5f7c7e9f3b1d2c4a5e6f7a8b") in glibc.properties
    assert {("bash", "glibc"), ("openssl-libs", "glibc"), ("glibc", "NONE")} <= edges(result)
    assert result.owned["usr/lib64/libc.so.6"] == glibc.ref


def test_rpm_ndb_is_reported_not_silent(tmp_path: Path) -> None:
    (tmp_path / "usr/lib/sysimage/rpm").mkdir(parents=True)
    (tmp_path / "usr/lib/sysimage/rpm/Packages.db").write_bytes(b"\0" * 64)
    result = RpmCataloger().catalog(DirView(tmp_path))
    assert [f.code for f in result.findings] == ["sbom.rpmdb-unsupported"]
    assert ("supplychain:composition", "incomplete") in result.properties


def test_rpm_garbage_bdb_is_reported_not_silent(tmp_path: Path) -> None:
    (tmp_path / "var/lib/rpm").mkdir(parents=True)
    (tmp_path / "var/lib/rpm/Packages").write_bytes(b"\0" * 64)
    result = RpmCataloger().catalog(DirView(tmp_path))
    assert [f.code for f in result.findings] == ["sbom.bad-metadata"]
    assert ("supplychain:composition", "incomplete") in result.properties


def test_rpm_corrupt_database_is_a_finding(tmp_path: Path) -> None:
    db = tmp_path / "var/lib/rpm/rpmdb.sqlite"
    db.parent.mkdir(parents=True)
    db.write_bytes(b"SQLite format 3\0" + b"\xff" * 200)
    result = RpmCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert result.findings and result.findings[0].code == "sbom.bad-metadata"


def test_rpm_header_roundtrip(builder: ModuleType) -> None:
    header = parse_header(builder.rpm_header({1000: "x", 1003: [2], 1047: ["a", "b"]}))
    assert header.string(1000) == "x"
    assert header.ints(1003) == [2]
    assert header.strings(1047) == ["a", "b"]


@pytest.mark.parametrize(
    "blob",
    [
        b"\0\0",
        struct.pack(">II", 0x10000, 0),  # too many entries
        struct.pack(">II", 1, 100) + b"\0" * 16,  # data store shorter than claimed
        struct.pack(">II", 1, 4) + struct.pack(">iIiI", 1000, 6, 0, 1) + b"abcd",  # no NUL
        struct.pack(">II", 1, 4) + struct.pack(">iIiI", 1000, 6, 99, 1) + b"abc\0",  # offset
        struct.pack(">II", 1, 4) + struct.pack(">iIiI", 1003, 4, 0, 1000) + b"\0" * 4,
    ],
)
def test_rpm_hostile_headers_rejected(blob: bytes) -> None:
    with pytest.raises(HeaderError):
        parse_header(blob)


def test_rpm_bad_blob_skipped_others_kept(tmp_path: Path, builder: ModuleType) -> None:
    db = tmp_path / "var/lib/rpm/rpmdb.sqlite"
    db.parent.mkdir(parents=True)
    connection = sqlite3.connect(db)
    with connection:
        connection.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
        connection.execute("INSERT INTO Packages (blob) VALUES (?)", (b"\0\0\0\x01",))
        good = builder.rpm_header({1000: "tzdata", 1001: "2024a", 1002: "1.el9"})
        connection.execute("INSERT INTO Packages (blob) VALUES (?)", (good,))
    connection.close()
    result = RpmCataloger().catalog(DirView(tmp_path))
    assert [p.name for p in result.packages] == ["tzdata"]
    assert len(result.findings) == 1


def test_rpm_berkeley_db(tmp_path: Path, builder: ModuleType) -> None:
    """A real Berkeley DB hash file written by db_load (db-util), read by our page walker."""
    db_load = require_binary("db_load")
    builder.build_centos(tmp_path, db_load)
    view = DirView(tmp_path)
    result = RpmCataloger().catalog(view, detect(view))
    assert result.findings == []
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:rpm/centos/bash@4.2.46-35.el7_9?arch=x86_64&distro=centos-7",
        "pkg:rpm/centos/glibc@2.17-326.el7_9?arch=x86_64&distro=centos-7",
    ]
    assert ("bash", "glibc") in edges(result)
    assert by_name(result, "bash").supplier == "Organization: CentOS"


def test_bdb_hostile_files_are_errors_not_hangs(tmp_path: Path, builder: ModuleType) -> None:
    from supplychain.catalog.rpm_bdb import BdbError, hash_values

    db_load = require_binary("db_load")
    builder.write_bdb_hash(tmp_path / "Packages", [b"x" * 9000], db_load)
    data = bytearray((tmp_path / "Packages").read_bytes())
    assert [len(v) for v in hash_values(bytes(data))] == [4, 9000]
    page_size = struct.unpack_from("<I", data, 20)[0]
    overflow = [n for n in range(1, len(data) // page_size) if data[n * page_size + 25] == 7]
    # Make the overflow chain loop back on itself.
    struct.pack_into("<I", data, overflow[-1] * page_size + 16, overflow[0])
    with pytest.raises(BdbError):
        list(hash_values(bytes(data)))
    with pytest.raises(BdbError):
        list(hash_values(b"\0" * 4096))
