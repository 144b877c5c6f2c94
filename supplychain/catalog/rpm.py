"""RPM packages from the sqlite rpmdb (RHEL ≥ 9, Fedora ≥ 33, SUSE/Amazon Linux 2023).

The database is opened with the stdlib ``sqlite3`` on a private copy (never the image's file in
place: sqlite may write journals next to it), and each ``Packages.blob`` is an RPM header that
we parse ourselves (layout after rpm's ``headerImport``: entry count, data length, 16-byte index
entries, data store), bounds-checking every offset because the blob is image data. The older
Berkeley DB ``Packages`` file (RHEL ≤ 8) is read with our own page walker (``rpm_bdb``); the NDB
format (``Packages.db``, SUSE) is detected and reported, with the document marked incomplete,
rather than silently producing an empty list.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from supplychain._internal.fileio import private_tempdir
from supplychain.catalog import licenses, purl
from supplychain.catalog.base import CatalogResult, make_package
from supplychain.catalog.fileview import FileView
from supplychain.catalog.os_release import Distro
from supplychain.catalog.rpm_bdb import BdbError, hash_values
from supplychain.errors import Error
from supplychain.model.sbom import NONE, RelType

SQLITE_PATHS = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")
_RPM_DIRS = ("var/lib/rpm", "usr/share/rpm", "usr/lib/sysimage/rpm")
BDB_PATHS = tuple(f"{d}/Packages" for d in _RPM_DIRS)
NDB_PATHS = tuple(f"{d}/Packages.db" for d in _RPM_DIRS)
LEGACY_PATHS = BDB_PATHS + NDB_PATHS
MAX_DB = 512 * 1024 * 1024
MAX_HEADER_ENTRIES = 0xFFFF
MAX_HEADER_DATA = 256 * 1024 * 1024

# Header tags (rpm's rpmtag.h).
NAME, VERSION, RELEASE, EPOCH = 1000, 1001, 1002, 1003
SUMMARY, VENDOR, LICENSE, URL, ARCH = 1004, 1011, 1014, 1020, 1022
SOURCERPM, PROVIDENAME, REQUIRENAME = 1044, 1047, 1049
DIRINDEXES, BASENAMES, DIRNAMES = 1116, 1117, 1118
SIGMD5, MODULARITYLABEL = 261, 5096

_STRING, _BIN, _STRING_ARRAY, _I18NSTRING = 6, 7, 8, 9
_INT_SIZES = {2: 1, 3: 2, 4: 4, 5: 8}
_INT_FORMATS = {1: "B", 2: "H", 4: "I", 8: "Q"}


class HeaderError(ValueError):
    """A malformed RPM header blob."""


@dataclass(frozen=True)
class RpmHeader:
    tags: dict[int, object]

    def string(self, tag: int) -> str | None:
        value = self.tags.get(tag)
        if isinstance(value, str):
            return value
        if isinstance(value, list) and value and isinstance(value[0], str):
            return value[0]  # I18N strings: first is the C locale
        return None

    def strings(self, tag: int) -> list[str]:
        value = self.tags.get(tag)
        if isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return [value] if isinstance(value, str) else []

    def ints(self, tag: int) -> list[int]:
        value = self.tags.get(tag)
        return [v for v in value if isinstance(v, int)] if isinstance(value, list) else []

    def binary(self, tag: int) -> bytes | None:
        value = self.tags.get(tag)
        return value if isinstance(value, bytes) else None

    def files(self) -> Iterator[str]:
        dirs = self.strings(DIRNAMES)
        for index, base in zip(self.ints(DIRINDEXES), self.strings(BASENAMES), strict=False):
            if 0 <= index < len(dirs):
                yield (dirs[index] + base).lstrip("/")


def parse_header(blob: bytes) -> RpmHeader:
    """An rpmdb header blob (no lead, no magic) → its tags; every offset checked."""
    if len(blob) < 8:
        raise HeaderError("blob shorter than its preamble")
    count, data_len = struct.unpack(">II", blob[:8])
    if count > MAX_HEADER_ENTRIES or data_len > MAX_HEADER_DATA:
        raise HeaderError("header entry count or data size over the limit")
    data_start = 8 + 16 * count
    if data_start + data_len > len(blob):
        raise HeaderError("header claims more data than the blob holds")
    store = blob[data_start : data_start + data_len]
    tags: dict[int, object] = {}
    for i in range(count):
        tag, kind, offset, n = struct.unpack(">iIiI", blob[8 + 16 * i : 24 + 16 * i])
        if offset < 0 or offset > data_len:
            raise HeaderError(f"tag {tag}: offset outside the data store")
        if tag < 100 and tag != SIGMD5:
            continue  # region markers (HEADERIMMUTABLE …) and signatures
        tags[tag] = _value(store, kind, offset, n, tag)
    return RpmHeader(tags)


def _value(store: bytes, kind: int, offset: int, n: int, tag: int) -> object:
    if kind == _STRING:
        end = store.find(b"\0", offset)
        if end < 0:
            raise HeaderError(f"tag {tag}: unterminated string")
        return store[offset:end].decode("utf-8", errors="replace")
    if kind in (_STRING_ARRAY, _I18NSTRING):
        if n > len(store):
            raise HeaderError(f"tag {tag}: more strings than bytes")
        out = []
        pos = offset
        for _ in range(n):
            end = store.find(b"\0", pos)
            if end < 0:
                raise HeaderError(f"tag {tag}: unterminated string array")
            out.append(store[pos:end].decode("utf-8", errors="replace"))
            pos = end + 1
        return out
    if kind == _BIN:
        if offset + n > len(store):
            raise HeaderError(f"tag {tag}: binary past the data store")
        return store[offset : offset + n]
    if kind in _INT_SIZES or kind == 1:
        size = _INT_SIZES.get(kind, 1)
        if offset + size * n > len(store):
            raise HeaderError(f"tag {tag}: integers past the data store")
        return list(struct.unpack(f">{n}{_INT_FORMATS[size]}", store[offset : offset + size * n]))
    return None  # NULL or unknown types carry nothing we use


class RpmCataloger:
    name = "rpm"
    version = "1"
    magics: tuple[bytes, ...] = ()

    def wants(self, path: str) -> bool:
        return path in SQLITE_PATHS or path in LEGACY_PATHS

    def catalog(self, view: FileView, distro: Distro | None = None) -> CatalogResult:
        result = CatalogResult()
        for path in NDB_PATHS:
            if view.is_file(path):
                result.warn(
                    "sbom.rpmdb-unsupported",
                    path,
                    "NDB rpm databases (SUSE) are not read yet; RPM packages missing",
                )
                result.properties.add(("supplychain:composition", "incomplete"))
        for path in BDB_PATHS:
            if view.is_file(path):
                self._packages(view, path, distro, result, _bdb_blobs)
        for path in SQLITE_PATHS:
            if view.is_file(path):
                self._packages(view, path, distro, result, _blobs)
        return result

    def _packages(
        self,
        view: FileView,
        path: str,
        distro: Distro | None,
        result: CatalogResult,
        reader: Callable[[FileView, str], list[bytes]],
    ) -> None:
        try:
            blobs = reader(view, path)
        except (Error, sqlite3.Error, OSError, BdbError) as exc:
            result.warn("sbom.bad-metadata", path, f"unreadable rpmdb: {exc}")
            result.properties.add(("supplychain:composition", "incomplete"))
            return
        headers = []
        for blob in blobs:
            try:
                headers.append(parse_header(blob))
            except HeaderError as exc:
                result.warn("sbom.bad-metadata", path, str(exc))
        by_provide: dict[str, str] = {}
        by_file: dict[str, str] = {}
        entries = []
        for header in sorted(headers, key=_sort_key):
            name = header.string(NAME)
            version = header.string(VERSION)
            if not name or not version or name == "gpg-pubkey":
                continue
            release = header.string(RELEASE)
            epochs = header.ints(EPOCH)
            epoch = epochs[0] if epochs else None
            arch = header.string(ARCH)
            vendor = header.string(VENDOR)
            props = []
            if header.string(SOURCERPM):
                props.append(("supplychain:source-package", header.string(SOURCERPM) or ""))
            sigmd5 = header.binary(SIGMD5)
            if sigmd5:
                props.append(("supplychain:rpm:sigmd5", sigmd5.hex()))
            if header.string(MODULARITYLABEL):
                props.append(
                    ("supplychain:rpm:modularity-label", header.string(MODULARITYLABEL) or "")
                )
            full = f"{version}-{release}" if release else version
            display = f"{epoch}:{full}" if epoch else full
            ref = result.add(
                make_package(
                    "rpm",
                    name,
                    display,
                    purl=purl.rpm(name, version, release, epoch=epoch, arch=arch, distro=distro),
                    location=path,
                    view=view,
                    purpose=None,
                    supplier=f"Organization: {vendor}"
                    if vendor
                    else (distro.supplier if distro else None),
                    declared=result.declared(licenses.normalize(header.string(LICENSE))),
                    homepage=header.string(URL) or None,
                    summary=header.string(SUMMARY),
                    properties=props,
                )
            )
            for provide in [name, *header.strings(PROVIDENAME)]:
                by_provide.setdefault(provide, ref)
            for file in header.files():
                by_file.setdefault(file, ref)
                result.owned.setdefault(file, ref)
            entries.append((ref, header.strings(REQUIRENAME)))
        for ref, requires in entries:
            real = [r for r in requires if not r.startswith("rpmlib(")]
            if not real:
                result.relate(ref, RelType.DEPENDS_ON, NONE)
            for req in real:
                target = by_provide.get(req) or by_file.get(req.lstrip("/"))
                if target is not None and target != ref:
                    result.relate(ref, RelType.DEPENDS_ON, target)


def _sort_key(header: RpmHeader) -> tuple[str, str]:
    return (header.string(NAME) or "", header.string(VERSION) or "")


def _bdb_blobs(view: FileView, path: str) -> list[bytes]:
    """Header blobs of a Berkeley DB ``Packages`` file (RHEL ≤ 8); its key/value pairs with
    4-byte values are the database's own bookkeeping, not headers."""
    return [v for v in hash_values(view.read(path, MAX_DB)) if len(v) > 8]


def _blobs(view: FileView, path: str) -> list[bytes]:
    """All header blobs, read from a private copy of the database (and its WAL, if any)."""
    with private_tempdir() as tmp:
        for suffix in ("", "-wal"):
            if suffix and not view.is_file(path + suffix):
                continue
            data = view.read(path + suffix, MAX_DB)
            fd = os.open(
                tmp / f"rpmdb.sqlite{suffix}",
                os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0),
                0o600,
            )
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        connection = sqlite3.connect(str(tmp / "rpmdb.sqlite"))
        try:
            rows = connection.execute("SELECT blob FROM Packages ORDER BY hnum").fetchall()
        finally:
            connection.close()
    return [bytes(row[0]) for row in rows if isinstance(row[0], (bytes, memoryview))]
