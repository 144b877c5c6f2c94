"""Values of a Berkeley DB hash file: the ``Packages`` rpmdb of RHEL/CentOS ≤ 8, Amazon Linux 2.

No Berkeley DB library is involved (none ships with Python, and the file is image data): we walk
the pages ourselves, like knqyf263/go-rpmdb does. Layout (Berkeley DB ``db_page.h``): page 0 is
the hash metadata page (magic ``0x061561`` at byte 12 gives the byte order, page size at 20,
last page number at 32); every page starts with a 26-byte header (``next_pgno`` at 16, entry
count at 20, ``hf_offset`` at 22, type at 25); hash pages hold key/data item offsets after the
header; rpm's header blobs are data items, stored inline (``H_KEYDATA``) or, being large, on a
chain of overflow pages (``H_OFFPAGE``: page number and total length). Every page number,
offset, length and chain is bounds-checked: a hostile file yields an error, never a hang.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HASH_MAGIC = 0x061561
PAGE_HEADER = 26
P_HASH_UNSORTED, P_OVERFLOW, P_HASH = 2, 7, 13
H_KEYDATA, H_OFFPAGE = 1, 3
MAX_VALUE = 256 * 1024 * 1024
MIN_PAGE, MAX_PAGE = 512, 65536


class BdbError(ValueError):
    """Not a Berkeley DB hash file, or a corrupt one."""


def hash_values(data: bytes) -> Iterator[bytes]:
    """Every data item (not key) of the hash database in ``data``, in page order."""
    if len(data) < 512:
        raise BdbError("too short for a Berkeley DB file")
    if struct.unpack_from("<I", data, 12)[0] == HASH_MAGIC:
        order = "<"
    elif struct.unpack_from(">I", data, 12)[0] == HASH_MAGIC:
        order = ">"
    else:
        raise BdbError("not a Berkeley DB hash file (bad magic)")
    page_size = struct.unpack_from(f"{order}I", data, 20)[0]
    if not MIN_PAGE <= page_size <= MAX_PAGE or page_size & (page_size - 1):
        raise BdbError(f"implausible page size {page_size}")
    last_page = struct.unpack_from(f"{order}I", data, 32)[0]
    pages = len(data) // page_size
    if last_page >= pages:
        raise BdbError("metadata names pages beyond the end of the file")
    for number in range(1, last_page + 1):
        page = data[number * page_size : (number + 1) * page_size]
        if page[25] not in (P_HASH, P_HASH_UNSORTED):
            continue
        yield from _page_values(data, page, page_size, pages, order)


def _page_values(
    data: bytes, page: bytes, page_size: int, pages: int, order: str
) -> Iterator[bytes]:
    entries = struct.unpack_from(f"{order}H", page, 20)[0]
    if PAGE_HEADER + 2 * entries > page_size:
        raise BdbError("hash page entry count overflows the page")
    offsets = struct.unpack_from(f"{order}{entries}H", page, PAGE_HEADER)
    for index in range(1, entries, 2):  # odd entries are data items
        offset = offsets[index]
        if not PAGE_HEADER <= offset < page_size:
            raise BdbError("hash item offset outside the page")
        kind = page[offset]
        if kind == H_OFFPAGE:
            if offset + 12 > page_size:
                raise BdbError("off-page item truncated")
            first, total = struct.unpack_from(f"{order}II", page, offset + 4)
            yield _overflow(data, first, total, page_size, pages, order)
        elif kind == H_KEYDATA:
            end = offsets[index - 1] if index > 0 else page_size
            if not offset < end <= page_size:
                raise BdbError("inline item bounds inconsistent")
            yield page[offset + 1 : end]


def _overflow(data: bytes, first: int, total: int, page_size: int, pages: int, order: str) -> bytes:
    """Concatenate an overflow chain; each page holds ``hf_offset`` bytes after its header."""
    if total > MAX_VALUE:
        raise BdbError("off-page item larger than the limit")
    out = bytearray()
    seen: set[int] = set()
    current = first
    while current:
        if current in seen or current >= pages:
            raise BdbError("overflow chain loops or leaves the file")
        seen.add(current)
        page = data[current * page_size : (current + 1) * page_size]
        if page[25] != P_OVERFLOW:
            raise BdbError("overflow chain reaches a non-overflow page")
        used = struct.unpack_from(f"{order}H", page, 22)[0]
        if PAGE_HEADER + used > page_size:
            raise BdbError("overflow page claims more bytes than it holds")
        out += page[PAGE_HEADER : PAGE_HEADER + used]
        if len(out) > total:
            raise BdbError("overflow chain longer than its item")
        current = struct.unpack_from(f"{order}I", page, 16)[0]
    if len(out) != total:
        raise BdbError("overflow chain shorter than its item")
    return bytes(out)
