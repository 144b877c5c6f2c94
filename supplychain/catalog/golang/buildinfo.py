"""Read the build info the Go linker embeds in every module-aware binary.

This is what ``go version -m`` prints: the Go version, the main module, every module that
contributed packages (with ``h1:`` sums and replacements) and the build settings. We read it
straight from the file, without running anything, so an image cataloger can use it on hostile
files: executable headers are bounds-checked (see ``exefile``), the search for the magic is
chunked and capped, and every length read from the file is capped before it is trusted.

Two encodings exist (SBOM.md §C.1): Go >= 1.18 stores the two strings inline after the 32-byte
header; older Go stores two pointers to Go string headers ``{data, len}``, which we follow
through the segment table.

Use::

    info = read_build_info("/usr/bin/app")   # or an open binary stream
    if info is not None:
        info.go_version, info.main, info.deps, info.settings
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal

from supplychain.catalog.golang.exefile import ExeLayout, Segment, detect
from supplychain.errors import InvalidInputError, LimitExceededError

MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
ALIGN = 16
CHUNK = 1 << 20
# SECURITY.md §3: members larger than 512 MiB are not analysed; the data segment is far smaller.
MAX_SCAN_BYTES = 512 << 20
MAX_STRING_BYTES = 16 << 20  # the module info of the largest real binaries is well under 1 MiB
FLAG_BIG_ENDIAN = 0x1
FLAG_INLINE = 0x2


@dataclass(frozen=True)
class Module:
    """One ``mod``/``dep`` line; ``replace`` is the ``=>`` line that followed it."""

    path: str
    version: str
    sum: str = ""
    replace: Module | None = None

    @property
    def is_local_replace(self) -> bool:
        return self.replace is not None and is_local_path(self.replace.path)


@dataclass(frozen=True)
class BuildInfo:
    """Build info of one Go binary.

    ``go_version`` is cleaned (``go1.22.1``); ``go_version_raw`` is what the linker wrote (with
    experiment or vendor suffixes). ``deps`` is a set of modules that contributed packages — the
    binary records no edges between them.
    """

    go_version: str
    go_version_raw: str
    path: str = ""
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    encoding: str = "inline"  # inline (Go >= 1.18) or pointer (older)
    machine: str | None = None
    executable_format: str = ""
    extra: tuple[str, ...] = field(default=())  # lines we did not understand, kept for reports

    def setting(self, key: str) -> str | None:
        for k, v in self.settings:
            if k == key:
                return v
        return None

    @property
    def platform(self) -> str | None:
        """``GOOS/GOARCH`` from build settings, else the executable's machine type."""
        goos, goarch = self.setting("GOOS"), self.setting("GOARCH")
        if goos and goarch:
            return f"{goos}/{goarch}"
        return self.machine

    def main_version(self) -> tuple[str, str]:
        """(version, source) of the main module, SBOM.md §C.1 step 9."""
        if self.main is not None and self.main.version and self.main.version != "(devel)":
            return self.main.version, "buildinfo"
        revision, stamp = self.setting("vcs.revision"), self.setting("vcs.time")
        if revision and stamp:
            digits = re.sub(r"[^0-9]", "", stamp)[:14]
            if len(digits) == 14:
                dirty = "+dirty" if self.setting("vcs.modified") == "true" else ""
                return f"v0.0.0-{digits}-{revision[:12]}{dirty}", "vcs"
        ldflags = self.setting("-ldflags") or ""
        match = _LDFLAGS_VERSION.search(ldflags)
        if match:
            return match.group(1), "ldflags"
        return "(devel)", "none"


_LDFLAGS_VERSION = re.compile(
    r"-X[= ]['\"]?[^\s'\"=]*\.[vV]ersion=(v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)"
)


def is_local_path(path: str) -> bool:
    """A replacement by directory rather than by module (``./x``, ``../x``, ``/x``, ``C:\\x``)."""
    return (
        path.startswith(("./", "../", "/", ".\\", "..\\"))
        or path in (".", "..")
        or bool(re.match(r"^[A-Za-z]:[\\/]", path))
    )


def clean_go_version(raw: str) -> str:
    """``go1.22.1 X:boringcrypto`` / ``go1.26-X:nodwarf5`` / ``go1.21.0 (Red Hat 1.21.0-1)`` →
    ``go1.22.1``: the first token, without experiment suffixes."""
    token = raw.split()[0] if raw.split() else ""
    return token.split("-X:")[0]


def read_build_info(source: str | os.PathLike[str] | BinaryIO) -> BuildInfo | None:
    """Build info of a Go binary, or None when the file is not a Go executable we can read.

    ``source`` is a path or a seekable binary stream (left open). Returns None for anything
    that is not ELF / Mach-O / PE, or has no build-info magic (not Go, or Go older than 1.13).
    Raises ``InvalidInputError`` when a build-info header is present but corrupt (hostile or
    truncated file) and ``LimitExceededError`` when a length is beyond the caps above.
    """
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            return _read(stream, os.fspath(source))
    return _read(source, getattr(source, "name", "<stream>"))


def _read(stream: BinaryIO, name: str) -> BuildInfo | None:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    layout = detect(stream, size)
    if layout is None or layout.data is None:
        return None
    found = _find_header(stream, layout.data)
    if found is None:
        return None
    header_offset, header = found
    ptr_size, flags = header[14], header[15]
    if flags & FLAG_INLINE:
        stream.seek(header_offset + HEADER_SIZE)
        reader = _InlineReader(stream, layout.data.offset + layout.data.size, name)
        version, modinfo = reader.string(), reader.string()
        encoding = "inline"
    else:
        if ptr_size not in (4, 8):
            raise InvalidInputError(f"Go build info has pointer size {ptr_size}", subject=name)
        order: Literal["big", "little"] = "big" if flags & FLAG_BIG_ENDIAN else "little"

        def ptr(raw: bytes) -> int:
            return int.from_bytes(raw[:ptr_size], order)

        version = _pointer_string(stream, layout, ptr(header[16:]), ptr_size, order, name)
        modinfo = _pointer_string(
            stream, layout, ptr(header[16 + ptr_size :]), ptr_size, order, name
        )
        encoding = "pointer"
    try:
        version_text = version.decode("utf-8")
        modinfo_text = _strip_sentinels(modinfo).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("Go build info is not UTF-8", subject=name) from exc
    info = parse_modinfo(modinfo_text, name=name)
    return BuildInfo(
        go_version=clean_go_version(version_text),
        go_version_raw=version_text,
        path=info.path,
        main=info.main,
        deps=info.deps,
        settings=info.settings,
        encoding=encoding,
        machine=layout.machine,
        executable_format=layout.kind,
        extra=info.extra,
    )


def _find_header(stream: BinaryIO, data: Segment) -> tuple[int, bytes] | None:
    """File offset and bytes of the 32-byte header at a 16-aligned offset in the data range."""
    limit = MAX_SCAN_BYTES if data.size > MAX_SCAN_BYTES else data.size
    for start, chunk in _chunks(stream, data.offset, limit):
        at = 0
        while True:
            i = chunk.find(MAGIC, at)
            if i < 0:
                break
            relative = start - data.offset + i
            if relative % ALIGN == 0:
                if i + HEADER_SIZE <= len(chunk):
                    return start + i, chunk[i : i + HEADER_SIZE]
                stream.seek(start + i)
                header = stream.read(HEADER_SIZE)
                if len(header) == HEADER_SIZE and start + i + HEADER_SIZE <= data.offset + limit:
                    return start + i, header
                return None
            at = i + 1
    return None


def _chunks(stream: BinaryIO, offset: int, length: int) -> Iterator[tuple[int, bytes]]:
    """Overlapping chunks so a magic string across a chunk boundary is still found."""
    overlap = len(MAGIC) - 1
    pos = offset
    end = offset + length
    while pos < end:
        stream.seek(pos)
        chunk = stream.read(min(CHUNK, end - pos))
        if not chunk:
            return
        yield pos, chunk
        if pos + len(chunk) >= end:
            return
        pos += len(chunk) - overlap


class _InlineReader:
    """Uvarint-length-prefixed strings after the header, bounded by the data range."""

    def __init__(self, stream: BinaryIO, end: int, name: str) -> None:
        self.stream = stream
        self.end = end
        self.name = name

    def string(self) -> bytes:
        length = 0
        shift = 0
        for _ in range(10):
            byte = self.stream.read(1)
            if not byte:
                raise InvalidInputError("Go build info is truncated", subject=self.name)
            length |= (byte[0] & 0x7F) << shift
            if byte[0] < 0x80:
                break
            shift += 7
        else:
            raise InvalidInputError("Go build info has a bad length", subject=self.name)
        if length > MAX_STRING_BYTES:
            raise LimitExceededError(
                f"Go build info string of {length} bytes is over {MAX_STRING_BYTES}",
                subject=self.name,
            )
        if self.stream.tell() + length > self.end:
            raise InvalidInputError("Go build info runs past its segment", subject=self.name)
        data = self.stream.read(length)
        if len(data) != length:
            raise InvalidInputError("Go build info is truncated", subject=self.name)
        return data


def _pointer_string(
    stream: BinaryIO,
    layout: ExeLayout,
    addr: int,
    ptr_size: int,
    order: Literal["big", "little"],
    name: str,
) -> bytes:
    """Follow a pointer to a Go string header ``{data, len}`` and read the string (< Go 1.18)."""
    at = layout.file_offset(addr, 2 * ptr_size)
    if at is None:
        raise InvalidInputError("Go build info points outside the file", subject=name)
    stream.seek(at)
    raw = stream.read(2 * ptr_size)
    data_addr = int.from_bytes(raw[:ptr_size], order)
    length = int.from_bytes(raw[ptr_size:], order)
    if length > MAX_STRING_BYTES:
        raise LimitExceededError(
            f"Go build info string of {length} bytes is over {MAX_STRING_BYTES}", subject=name
        )
    if length == 0:
        return b""
    data_at = layout.file_offset(data_addr, length)
    if data_at is None:
        raise InvalidInputError("Go build info string points outside the file", subject=name)
    stream.seek(data_at)
    data = stream.read(length)
    if len(data) != length:
        raise InvalidInputError("Go build info is truncated", subject=name)
    return data


def _strip_sentinels(raw: bytes) -> bytes:
    """The linker wraps module info in 16 random bytes each side; absent → no module info."""
    if len(raw) >= 33 and raw[len(raw) - 17] == 0x0A:
        return raw[16:-16]
    return b""


@dataclass(frozen=True)
class _ModInfo:
    path: str = ""
    main: Module | None = None
    deps: tuple[Module, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    extra: tuple[str, ...] = ()


def parse_modinfo(text: str, *, name: str = "<modinfo>") -> _ModInfo:
    """Parse the tab-separated module info (runtime/debug ``BuildInfo.String`` format)."""
    path = ""
    main: Module | None = None
    deps: list[Module] = []
    settings: list[tuple[str, str]] = []
    extra: list[str] = []
    last: str | None = None  # "mod" or "dep": what a following "=>" line replaces
    for lineno, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        kind, _, rest = line.partition("\t")
        if kind == "path":
            path = rest
        elif kind == "go":
            pass  # the version string outside modinfo is authoritative
        elif kind in ("mod", "dep"):
            module = _module(rest, line, lineno, name)
            if kind == "mod":
                main = module
            else:
                deps.append(module)
            last = kind
        elif kind == "=>":
            replacement = _module(rest, line, lineno, name)
            if last == "mod" and main is not None:
                main = Module(main.path, main.version, main.sum, replacement)
            elif last == "dep" and deps:
                old = deps[-1]
                deps[-1] = Module(old.path, old.version, old.sum, replacement)
            else:
                raise InvalidInputError(
                    f"line {lineno}: replacement without a module: {line[:80]!r}", subject=name
                )
            last = None
        elif kind == "build":
            settings.append(_setting(rest, line, lineno, name))
        else:
            extra.append(line[:200])
    return _ModInfo(path, main, tuple(deps), tuple(settings), tuple(extra))


def _module(rest: str, line: str, lineno: int, name: str) -> Module:
    fields = rest.split("\t")
    if not fields[0] or len(fields) > 3:
        raise InvalidInputError(f"line {lineno}: bad module line {line[:80]!r}", subject=name)
    version = fields[1] if len(fields) > 1 else ""
    checksum = fields[2] if len(fields) > 2 else ""
    return Module(fields[0], version, checksum)


def _setting(kv: str, line: str, lineno: int, name: str) -> tuple[str, str]:
    """``key=value``, either side Go-quoted when it holds spaces, quotes or ``=``."""
    try:
        if kv.startswith(('"', "`")):
            key, rest = go_unquote_prefix(kv)
        else:
            eq = kv.find("=")
            if eq < 0:
                raise ValueError("missing '='")
            key, rest = kv[:eq], kv[eq:]
        if not rest.startswith("="):
            raise ValueError("missing '='")
        raw = rest[1:]
        if raw.startswith(('"', "`")):
            value, tail = go_unquote_prefix(raw)
            if tail:
                raise ValueError("text after a quoted value")
        else:
            value = raw
    except ValueError as exc:
        raise InvalidInputError(
            f"line {lineno}: bad build setting {line[:80]!r}: {exc}", subject=name
        ) from exc
    return key, value


_SIMPLE_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
                   "\\": "\\", '"': '"', "'": "'"}  # fmt: skip


def go_unquote_prefix(text: str) -> tuple[str, str]:
    """Decode a Go string literal at the start of ``text``; return (value, rest). ValueError
    on anything malformed (strconv.QuotedPrefix + Unquote)."""
    if text.startswith("`"):
        end = text.find("`", 1)
        if end < 0:
            raise ValueError("unterminated raw string")
        return text[1:end], text[end + 1 :]
    if not text.startswith('"'):
        raise ValueError("not a quoted string")
    out: list[str] = []
    i = 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), text[i + 1 :]
        if char == "\n":
            raise ValueError("newline in string")
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(text):
            break
        esc = text[i + 1]
        if esc in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[esc])
            i += 2
        elif esc in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[esc]
            digits = text[i + 2 : i + 2 + width]
            if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise ValueError("bad escape")
            code = int(digits, 16)
            if code > 0x10FFFF:
                raise ValueError("bad code point")
            out.append(chr(code))
            i += 2 + width
        elif esc in "01234567":
            digits = text[i + 1 : i + 4]
            if len(digits) != 3 or not all(c in "01234567" for c in digits):
                raise ValueError("bad octal escape")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError("bad escape")
    raise ValueError("unterminated string")
