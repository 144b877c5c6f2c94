"""Our tar header reader against tarfile-written archives and crafted hostile headers."""

from __future__ import annotations

import io
import tarfile
from types import ModuleType

import pytest

from supplychain._internal.tarstream import Kind, iter_entries
from supplychain.catalog.layers.limits import LayerLimits, MiB
from supplychain.errors import InvalidInputError, LimitExceededError


class Source:
    """A byte source that records how much was read (to prove headers are bounded)."""

    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)
        self.consumed = 0

    def read(self, size: int) -> bytes:
        data = self._io.read(size)
        self.consumed += len(data)
        return data

    def skip(self, size: int) -> int:
        return len(self.read(size))


def _entries(data: bytes, limits: LayerLimits | None = None) -> list[tuple[str, Kind, bytes, str]]:
    out = []
    kwargs = {"limits": limits.tar} if limits else {}
    for entry, member in iter_entries(Source(data), what="t", **kwargs):
        out.append((entry.name, entry.kind, member.read(entry.size), entry.linkname))
    return out


def _tarfile_archive(fmt: int) -> bytes:
    buffer = io.BytesIO()
    long_dir = "d" * 120
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, kind, payload, link in [
            ("etc", tarfile.DIRTYPE, b"", ""),
            ("etc/hostname", tarfile.REGTYPE, b"box\n", ""),
            (f"{long_dir}/{'f' * 150}", tarfile.REGTYPE, b"long\n", ""),
            ("link", tarfile.SYMTYPE, b"", "/" + "t" * 140),
            ("hard", tarfile.LNKTYPE, b"", "etc/hostname"),
            ("dev/null", tarfile.CHRTYPE, b"", ""),
            ("pipe", tarfile.FIFOTYPE, b"", ""),
        ]:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(payload)
            info.linkname = link
            tar.addfile(info, io.BytesIO(payload) if payload else None)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_reads_what_tarfile_writes(fmt: int) -> None:
    got = _entries(_tarfile_archive(fmt))
    assert got == [
        ("etc/", Kind.DIR, b"", ""),  # raw: scan.normalise_member drops the slash
        ("etc/hostname", Kind.FILE, b"box\n", ""),
        (f"{'d' * 120}/{'f' * 150}", Kind.FILE, b"long\n", ""),
        ("link", Kind.SYMLINK, b"", "/" + "t" * 140),
        ("hard", Kind.HARDLINK, b"", "etc/hostname"),
        ("dev/null", Kind.CHAR, b"", ""),
        ("pipe", Kind.FIFO, b"", ""),
    ]


def test_unread_member_data_is_skipped(ml: ModuleType) -> None:
    data = ml.tar_bytes([ml.Entry("a", data=b"A" * 1000), ml.Entry("b", data=b"B")])
    names = [entry.name for entry, _ in iter_entries(Source(data), what="t")]
    assert names == ["a", "b"]


def test_pax_header_claiming_1gib_is_refused_before_reading(ml: ModuleType) -> None:
    """NT-T9: the size is checked before a byte of the record is read."""
    source = Source(ml.hostile_layers()["pax-huge-path"])
    with pytest.raises(LimitExceededError, match="extended tar header"):
        list(iter_entries(source, what="t"))
    assert source.consumed == 512


def test_gnu_long_name_over_the_cap_is_refused(ml: ModuleType) -> None:
    record = ml.header("././@LongLink", size=2 * MiB, typeflag=b"L")
    with pytest.raises(LimitExceededError):
        list(iter_entries(Source(record + b"\0" * 1024), what="t"))


def test_declared_10gb_member_is_refused_at_the_header(ml: ModuleType) -> None:
    source = Source(ml.hostile_layers()["declared-10g"])
    with pytest.raises(LimitExceededError, match="member declares 10737418240 bytes"):
        list(iter_entries(source, what="t"))
    assert source.consumed == 512


def test_declared_size_longer_than_the_stream_is_truncation(ml: ModuleType) -> None:
    data = ml.header("f", size=5000) + b"x" * 100
    with pytest.raises(InvalidInputError, match="ends inside a member"):
        for _entry, member in iter_entries(Source(data), what="t"):
            member.read(5000)


def test_bad_checksum_is_refused(ml: ModuleType) -> None:
    block = bytearray(ml.header("f"))
    block[0] = ord("g")
    with pytest.raises(InvalidInputError, match="checksum"):
        list(iter_entries(Source(bytes(block)), what="t"))


def test_entry_count_cap(ml: ModuleType) -> None:
    data = ml.tar_bytes([ml.Entry(f"f{i}") for i in range(5)])
    with pytest.raises(LimitExceededError, match="more than 3 tar entries"):
        _entries(data, LayerLimits(entries=3))


def test_non_utf8_name_is_noted_not_fatal(ml: ModuleType) -> None:
    data = ml.tar_bytes([ml.header(b"caf\xe9", size=0)])
    [(entry, _)] = [(e, m) for e, m in iter_entries(Source(data), what="t")]
    assert entry.name == "caf\ufffd"
    assert entry.notes


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_offsets_are_where_tarfile_puts_the_data(fmt: int) -> None:
    """The archive indexer seeks to these offsets later: they must be exact."""
    data = _tarfile_archive(fmt)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        expected = [m.offset_data for m in tar.getmembers()]
    got = [entry.offset for entry, _ in iter_entries(Source(data), what="t")]
    assert got == expected
