"""The one tar header reader: bounds every header before reading it, for layers and archives.

``tarfile`` reads PAX extended headers and GNU long-name records whole, whatever size they
claim, and offers extraction helpers whose filters have been bypassed again and again
(SECURITY.md §4). This reader only parses headers: ustar/GNU/PAX, sizes in octal or base-256,
header checksums verified, extended records refused over ``extended_header`` bytes *before*
they are read, entry count capped, a member's declared size capped. Member data is handed to
the caller as a bounded reader that must be consumed or skipped before the next header is read.

Two readers use it, which is why it lives below both ``oci`` and ``catalog``:

* layer scanning (catalog/layers/scan.py) streams a decompressed layer once, front to back;
* the archive indexer (oci/archive.py) walks a ``docker save`` / OCI archive on disk without
  reading member data (its source skips by seeking) and keeps each member's
  :attr:`TarEntry.offset` for random access later.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from supplychain.errors import InvalidInputError, LimitExceededError

BLOCK = 512
MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class TarLimits:
    """SECURITY.md §4.2 caps on tar headers; each is checked before the bytes it bounds are read.

    ``path_bytes`` does not stop the stream: an over-long name is noted on the entry, and the
    caller decides (the layer scanner skips the entry, the archive indexer refuses the file).
    """

    entries: int = 1_000_000
    extended_header: int = 1 * MiB
    path_bytes: int = 4096
    member_bytes: int = 8 * GiB


DEFAULT_TAR_LIMITS = TarLimits()


class Source(Protocol):
    """Where the tar bytes come from; ``skip`` returns how many bytes it really passed over."""

    def read(self, size: int) -> bytes: ...

    def skip(self, size: int) -> int: ...


class Kind(str, enum.Enum):
    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"
    OTHER = "other"


_KINDS = {
    b"0": Kind.FILE,
    b"\0": Kind.FILE,
    b"7": Kind.FILE,  # contiguous file
    b"1": Kind.HARDLINK,
    b"2": Kind.SYMLINK,
    b"3": Kind.CHAR,
    b"4": Kind.BLOCK,
    b"5": Kind.DIR,
    b"6": Kind.FIFO,
}


@dataclass
class TarEntry:
    """One member as the archive states it (``name`` raw, not yet normalised).

    ``offset`` is where the member's data starts in the source (bytes from its first header
    block), so a seekable caller can come back to it later.
    """

    name: str
    kind: Kind
    size: int
    mode: int
    offset: int = 0
    linkname: str = ""
    typeflag: str = ""
    # Problems with this header that did not stop the stream (bad UTF-8 …).
    notes: list[str] = field(default_factory=list)


class MemberData:
    """The data of the current member: read or skip at most ``size`` bytes, then padding."""

    def __init__(self, source: Source, size: int, what: str) -> None:
        self._source = source
        self.remaining = size
        self._padding = (-size) % BLOCK
        self._what = what

    def read(self, size: int) -> bytes:
        want = min(size, self.remaining)
        if want <= 0:
            return b""
        data = self._source.read(want)
        if len(data) < want:
            raise InvalidInputError("tar stream ends inside a member", subject=self._what)
        self.remaining -= len(data)
        return data

    def finish(self) -> None:
        """Skip what the caller did not read, and the block padding."""
        total = self.remaining + self._padding
        if total and self._source.skip(total) < total:
            raise InvalidInputError("tar stream ends inside a member", subject=self._what)
        self.remaining = 0
        self._padding = 0


def _octal(field_bytes: bytes, what: str) -> int:
    """A numeric header field: NUL/space-terminated octal, or GNU base-256."""
    if field_bytes and field_bytes[0] & 0x80:
        if field_bytes[0] == 0xFF:
            raise InvalidInputError("negative number in tar header", subject=what)
        value = field_bytes[0] & 0x7F
        for byte in field_bytes[1:]:
            value = (value << 8) | byte
        return value
    text = field_bytes.split(b"\0", 1)[0].strip(b" ")
    if not text:
        return 0
    try:
        return int(text, 8)
    except ValueError as exc:
        raise InvalidInputError("malformed number in tar header", subject=what) from exc


def _text(raw: bytes, notes: list[str]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        notes.append("name is not UTF-8 (undecodable bytes replaced)")
        return raw.decode("utf-8", errors="replace")


def _cstring(raw: bytes) -> bytes:
    return raw.split(b"\0", 1)[0]


def _checksum_ok(header: bytes) -> bool:
    try:
        stored = int(_cstring(header[148:156]).strip(b" ") or b"-1", 8)
    except ValueError:
        return False
    # The checksum field counts as eight spaces (0x20 * 8 = 256).
    unsigned = sum(header) - sum(header[148:156]) + 256
    if stored == unsigned:
        return True
    # Some old tars summed signed bytes: every byte over 127 counts 256 less.
    high = sum(1 for b in header[:148] + header[156:] if b > 127)
    return stored == unsigned - 256 * high


def _parse_pax(data: bytes, what: str) -> dict[str, bytes]:
    """``"%d %s=%s\\n"`` records (POSIX pax); later records override earlier ones."""
    records: dict[str, bytes] = {}
    pos = 0
    while pos < len(data):
        if data[pos] == 0:  # NUL padding after the last record
            break
        space = data.find(b" ", pos)
        if space == -1:
            raise InvalidInputError("malformed PAX record", subject=what)
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise InvalidInputError("malformed PAX record length", subject=what) from exc
        end = pos + length
        if length <= space - pos + 1 or end > len(data) or data[end - 1 : end] != b"\n":
            raise InvalidInputError("malformed PAX record", subject=what)
        key, sep, value = data[space + 1 : end - 1].partition(b"=")
        if not sep:
            raise InvalidInputError("PAX record without '='", subject=what)
        records[key.decode("utf-8", errors="replace")] = value
        pos = end
    return records


def iter_entries(
    source: Source, *, what: str, limits: TarLimits = DEFAULT_TAR_LIMITS
) -> Iterator[tuple[TarEntry, MemberData]]:
    """Every member of the tar on ``source``, in archive order.

    The caller may read from the :class:`MemberData` it gets; whatever it leaves is skipped
    before the next header. Stops at the end-of-archive marker (or a clean end of stream).
    """
    count = 0
    position = 0  # bytes of ``source`` consumed so far: every header and member is whole
    pax: dict[str, bytes] = {}
    long_name: bytes | None = None
    long_link: bytes | None = None
    while True:
        header = source.read(BLOCK)
        if not header:
            if pax or long_name is not None or long_link is not None:
                raise InvalidInputError("tar stream ends after an extended header", subject=what)
            return  # no end marker: accepted, as GNU tar does with a warning
        if len(header) < BLOCK:
            raise InvalidInputError("tar stream ends inside a header", subject=what)
        if header.count(0) == BLOCK:
            return
        if not _checksum_ok(header):
            raise InvalidInputError(
                f"tar header checksum mismatch at offset {position} (not a tar?)", subject=what
            )
        position += BLOCK
        typeflag = header[156:157]
        size = _octal(header[124:136], what)
        if typeflag in (b"x", b"g", b"L", b"K"):
            if size > limits.extended_header:
                raise LimitExceededError(
                    f"extended tar header of {size} bytes (limit {limits.extended_header})",
                    subject=what,
                )
            body = MemberData(source, size, what)
            data = body.read(size)
            body.finish()
            position += size + (-size) % BLOCK
            if typeflag == b"x":
                pax.update(_parse_pax(data, what))
            elif typeflag == b"L":
                long_name = _cstring(data)
            elif typeflag == b"K":
                long_link = _cstring(data)
            # 'g' (global PAX) only carries defaults such as mtime; nothing we report.
            continue
        count += 1
        if count > limits.entries:
            raise LimitExceededError(f"more than {limits.entries} tar entries", subject=what)
        notes: list[str] = []
        name_raw = _cstring(header[0:100])
        magic = header[257:263]
        if magic == b"ustar\0":  # POSIX: a prefix field extends the name
            prefix = _cstring(header[345:500])
            if prefix:
                name_raw = prefix + b"/" + name_raw
        link_raw = _cstring(header[157:257])
        if long_name is not None:
            name_raw = long_name
        if long_link is not None:
            link_raw = long_link
        if "path" in pax:
            name_raw = pax["path"]
        if "linkpath" in pax:
            link_raw = pax["linkpath"]
        if "size" in pax:
            try:
                size = int(pax["size"])
            except ValueError as exc:
                raise InvalidInputError("malformed PAX size", subject=what) from exc
            if size < 0:
                raise InvalidInputError("negative PAX size", subject=what)
        pax, long_name, long_link = {}, None, None
        kind = _KINDS.get(typeflag, Kind.OTHER)
        if kind in (Kind.HARDLINK, Kind.SYMLINK, Kind.DIR, Kind.CHAR, Kind.BLOCK, Kind.FIFO):
            # These carry no data in practice; a size here would only desynchronise readers.
            data_size = size if kind is Kind.HARDLINK else 0
        else:
            data_size = size
        if data_size > limits.member_bytes:
            raise LimitExceededError(
                f"member declares {data_size} bytes, over the {limits.member_bytes}-byte "
                "layer limit",
                subject=what,
            )
        entry = TarEntry(
            name=_text(name_raw, notes),
            kind=kind,
            size=data_size,
            mode=_octal(header[100:108], what) & 0o7777,
            linkname=_text(link_raw, notes) if link_raw else "",
            offset=position,
            typeflag=typeflag.decode("latin-1"),
            notes=notes,
        )
        if len(name_raw) > limits.path_bytes:
            entry.notes.append(f"path longer than {limits.path_bytes} bytes")
        data_reader = MemberData(source, data_size, what)
        yield entry, data_reader
        data_reader.finish()
        position += data_size + (-data_size) % BLOCK
