"""The archive indexer over the shared tar reader: offsets for random access, and the layer
reader's bounds now applied to archives too (SECURITY.md §4.2, NT-T9)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from supplychain.errors import InvalidInputError, LimitExceededError
from supplychain.oci.archive import MAX_EXTENDED_HEADER, TarArchive, index_tar


def _write_tar(path: Path, fmt: int, files: dict[str, bytes], links: dict[str, str]) -> None:
    with tarfile.open(path, "w", format=fmt) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in links.items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_offsets_point_at_member_data_after_long_names(tmp_path: Path, fmt: int) -> None:
    long_dir = "blobs/" + "d" * 150
    files = {
        "manifest.json": b"[]",
        f"{long_dir}/layer.tar": bytes(range(256)) * 7,  # not a multiple of 512
        "odd": b"x" * 513,
        "ünïcode-name": b"u",
    }
    path = tmp_path / "a.tar"
    _write_tar(path, fmt, files, {"blobs/link": f"{long_dir[len('blobs/') :]}/layer.tar"})
    members = index_tar(str(path), what="a.tar")
    raw = path.read_bytes()
    with tarfile.open(path) as tar:
        expected = {m.name: m.offset_data for m in tar.getmembers() if m.isfile()}
    for name, data in files.items():
        member = members[name]
        assert member.kind == "file"
        assert member.offset == expected[name]
        assert raw[member.offset : member.offset + member.size] == data
    assert members["blobs/link"].target == f"{long_dir}/layer.tar"
    archive = TarArchive(str(path), "a.tar")
    assert archive.read_member("blobs/link", 1 << 20) == files[f"{long_dir}/layer.tar"]


def test_gnu_long_name_over_the_cap_is_refused_before_reading(tmp_path: Path) -> None:
    info = tarfile.TarInfo("././@LongLink")
    info.type = tarfile.GNUTYPE_LONGNAME
    info.size = MAX_EXTENDED_HEADER + 1
    header = info.tobuf(format=tarfile.USTAR_FORMAT)
    path = tmp_path / "long.tar"
    with open(path, "wb") as handle:  # sparse: the claimed record exists, costs no disk
        handle.write(header)
        handle.truncate(len(header) + MAX_EXTENDED_HEADER + 1024)
    with pytest.raises(LimitExceededError, match="extended tar header"):
        index_tar(str(path), what="long.tar")


def _one_header(size_field: bytes) -> bytes:
    header = bytearray(tarfile.TarInfo("a").tobuf(format=tarfile.USTAR_FORMAT))
    header[124:136] = size_field
    header[148:156] = b" " * 8
    header[148:156] = f"{sum(header):06o}\0 ".encode()
    return bytes(header)


def test_negative_base256_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "neg.tar"
    path.write_bytes(_one_header(b"\xff" * 12) + b"\0" * 1024)
    with pytest.raises(InvalidInputError, match="negative number"):
        index_tar(str(path), what="neg.tar")


def test_file_cut_inside_a_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.tar"
    path.write_bytes(_one_header(b"00000000000\0") + b"\x01" * 100)
    with pytest.raises(InvalidInputError, match="ends inside a header"):
        index_tar(str(path), what="cut.tar")


def test_malformed_pax_record_is_refused(tmp_path: Path) -> None:
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    body = b"99 path=x\n"  # the length says 99, the record is 10 bytes
    info.size = len(body)
    data = info.tobuf(format=tarfile.USTAR_FORMAT) + body + b"\0" * (512 - len(body))
    path = tmp_path / "pax.tar"
    path.write_bytes(data + tarfile.TarInfo("a").tobuf(format=tarfile.USTAR_FORMAT) + b"\0" * 1024)
    with pytest.raises(InvalidInputError, match="malformed PAX record"):
        index_tar(str(path), what="pax.tar")
