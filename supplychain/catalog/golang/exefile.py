"""Just enough of ELF, Mach-O and PE to find where a Go binary keeps its data.

Go's build info lives in the first writable data segment (or a dedicated section), and the
pre-1.18 encoding points at strings by *virtual address*, so we need two things from each
format: the address range to search and a map from virtual addresses to file offsets. We parse
the headers ourselves rather than pull in a binary-analysis library because the files are
hostile: every table count and offset is checked against the file size and a fixed cap before it
is used, and nothing is read that was not bounded first.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

# Caps on header tables: far above anything a linker emits, low enough that a forged count
# cannot make us loop for long.
MAX_TABLE_ENTRIES = 4096
MAX_HEADER_BYTES = 1 << 20


class NotExecutable(Exception):
    """The bytes are not an executable we understand (or its headers are inconsistent)."""


@dataclass(frozen=True)
class Segment:
    """A run of file bytes mapped at ``vaddr`` (file-backed part only)."""

    vaddr: int
    offset: int
    size: int

    def contains(self, addr: int) -> bool:
        return self.vaddr <= addr < self.vaddr + self.size


@dataclass(frozen=True)
class ExeLayout:
    """Where to look for build info, and how to turn an address into a file offset."""

    kind: str  # elf, macho, pe
    data: Segment | None  # the range Go searches for the build-info magic
    segments: tuple[Segment, ...]  # address map for the pointer encoding
    machine: str | None = None  # ELF/PE/Mach-O architecture, a fallback for GOARCH

    def file_offset(self, addr: int, length: int) -> int | None:
        """File offset of ``length`` bytes at virtual ``addr``, if wholly inside one segment."""
        for seg in self.segments:
            if seg.contains(addr) and addr + length <= seg.vaddr + seg.size:
                return seg.offset + (addr - seg.vaddr)
        return None


def _read_at(stream: BinaryIO, offset: int, length: int, file_size: int) -> bytes:
    if offset < 0 or length < 0 or offset + length > file_size:
        raise NotExecutable("header points past the end of the file")
    stream.seek(offset)
    data = stream.read(length)
    if len(data) != length:
        raise NotExecutable("short read")
    return data


def _clip(seg: Segment, file_size: int) -> Segment | None:
    """The file-backed part of ``seg`` that really exists in the file."""
    if seg.size <= 0 or seg.offset < 0 or seg.offset >= file_size:
        return None
    return Segment(seg.vaddr, seg.offset, min(seg.size, file_size - seg.offset))


def detect(stream: BinaryIO, file_size: int) -> ExeLayout | None:
    """The layout of an ELF, Mach-O (thin or fat) or PE file; None for anything else."""
    if file_size < 64:
        return None
    head = _read_at(stream, 0, 64, file_size)
    try:
        if head[:4] == b"\x7fELF":
            return _elf(stream, head, file_size)
        if head[:4] in (
            b"\xfe\xed\xfa\xce",
            b"\xfe\xed\xfa\xcf",
            b"\xce\xfa\xed\xfe",
            b"\xcf\xfa\xed\xfe",
        ):
            return _macho(stream, 0, file_size)
        if head[:4] in (b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"):
            return _fat_macho(stream, head, file_size)
        if head[:2] == b"MZ":
            return _pe(stream, head, file_size)
    except (NotExecutable, struct.error):
        return None
    return None


# --- ELF --------------------------------------------------------------------------------------

_ELF_MACHINES = {3: "386", 8: "mips", 20: "ppc", 21: "ppc64", 22: "s390x", 40: "arm", 62: "amd64",
                 183: "arm64", 243: "riscv64", 258: "loong64"}  # fmt: skip


def _elf(stream: BinaryIO, head: bytes, file_size: int) -> ExeLayout:
    is64 = head[4] == 2
    if head[4] not in (1, 2) or head[5] not in (1, 2):
        raise NotExecutable("bad ELF class or data encoding")
    bo = "<" if head[5] == 1 else ">"
    machine = struct.unpack_from(bo + "H", head, 18)[0]
    if is64:
        phoff, shoff = struct.unpack_from(bo + "QQ", head, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(bo + "HHHHH", head, 54)
    else:
        phoff, shoff = struct.unpack_from(bo + "II", head, 28)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(bo + "HHHHH", head, 42)
    segments: list[Segment] = []
    data: Segment | None = None
    if phnum > MAX_TABLE_ENTRIES or shnum > MAX_TABLE_ENTRIES:
        raise NotExecutable("too many ELF headers")
    if phnum:
        if phentsize < (56 if is64 else 32):
            raise NotExecutable("bad program header size")
        table = _read_at(stream, phoff, phentsize * phnum, file_size)
        for i in range(phnum):
            at = i * phentsize
            if is64:
                p_type, p_flags, p_offset, p_vaddr, _, p_filesz = struct.unpack_from(
                    bo + "IIQQQQ", table, at
                )
            else:
                p_type, p_offset, p_vaddr, _, p_filesz, _, p_flags = struct.unpack_from(
                    bo + "IIIIIII", table, at
                )
            if p_type != 1:  # PT_LOAD
                continue
            seg = _clip(Segment(p_vaddr, p_offset, p_filesz), file_size)
            if seg is None:
                continue
            segments.append(seg)
            # First loadable segment that is writable and not executable (PF_X=1, PF_W=2).
            if data is None and p_flags & 3 == 2:
                data = seg
    section = _elf_section(stream, bo, is64, shoff, shentsize, shnum, shstrndx, file_size)
    if section is not None:
        data = section
    return ExeLayout("elf", data, tuple(segments), _ELF_MACHINES.get(machine))


def _elf_section(
    stream: BinaryIO,
    bo: str,
    is64: bool,
    shoff: int,
    shentsize: int,
    shnum: int,
    shstrndx: int,
    file_size: int,
) -> Segment | None:
    """The ``.go.buildinfo`` section, when the section table is present and sane."""
    if not shnum or shoff == 0 or shstrndx >= shnum or shentsize < (64 if is64 else 40):
        return None
    try:
        table = _read_at(stream, shoff, shentsize * shnum, file_size)
    except NotExecutable:
        return None

    def header(i: int) -> tuple[int, int, int, int, int]:
        at = i * shentsize
        if is64:
            name, kind, _, addr, offset, size = struct.unpack_from(bo + "IIQQQQ", table, at)
        else:
            name, kind, _, addr, offset, size = struct.unpack_from(bo + "IIIIII", table, at)
        return name, kind, addr, offset, size

    _, _, _, str_off, str_size = header(shstrndx)
    try:
        names = _read_at(stream, str_off, min(str_size, MAX_HEADER_BYTES), file_size)
    except NotExecutable:
        return None
    for i in range(shnum):
        name_at, kind, addr, offset, size = header(i)
        end = names.find(b"\0", name_at)
        if name_at < len(names) and end > 0 and names[name_at:end] == b".go.buildinfo":
            if kind == 8:  # SHT_NOBITS: nothing in the file
                return None
            return _clip(Segment(addr, offset, size), file_size)
    return None


# --- Mach-O -----------------------------------------------------------------------------------

_MACHO_CPUS = {7: "386", 0x01000007: "amd64", 12: "arm", 0x0100000C: "arm64", 18: "ppc",
               0x01000012: "ppc64"}  # fmt: skip


def _macho(stream: BinaryIO, base: int, file_size: int) -> ExeLayout:
    magic = _read_at(stream, base, 4, file_size)
    bo = ">" if magic in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf") else "<"
    is64 = magic in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")
    hdr_size = 32 if is64 else 28
    head = _read_at(stream, base, hdr_size, file_size)
    cputype, _, _, ncmds, sizeofcmds = struct.unpack_from(bo + "iIIII", head, 4)
    if ncmds > MAX_TABLE_ENTRIES or sizeofcmds > MAX_HEADER_BYTES:
        raise NotExecutable("too many Mach-O load commands")
    cmds = _read_at(stream, base + hdr_size, sizeofcmds, file_size)
    segments: list[Segment] = []
    data: Segment | None = None
    section: Segment | None = None
    at = 0
    for _ in range(ncmds):
        if at + 8 > len(cmds):
            raise NotExecutable("truncated Mach-O load command")
        cmd, cmdsize = struct.unpack_from(bo + "II", cmds, at)
        if cmdsize < 8 or at + cmdsize > len(cmds):
            raise NotExecutable("bad Mach-O load command size")
        if cmd in (0x1, 0x19):  # LC_SEGMENT, LC_SEGMENT_64
            wide = cmd == 0x19
            fmt = bo + ("16sQQQQiiII" if wide else "16sIIIIiiII")
            if cmdsize < struct.calcsize(fmt):
                raise NotExecutable("short Mach-O segment command")
            _, vmaddr, _, fileoff, filesize, maxprot, prot, nsects, _ = struct.unpack_from(
                fmt, cmds, at + 8
            )
            seg = _clip(Segment(vmaddr, base + fileoff, filesize), file_size)
            if seg is not None:
                segments.append(seg)
                if data is None and vmaddr != 0 and prot == 3 and maxprot == 3:
                    data = seg
            sect_fmt = bo + ("16s16sQQI" if wide else "16s16sIII")
            sect_size = 80 if wide else 68
            first = at + 8 + struct.calcsize(fmt)
            if nsects > MAX_TABLE_ENTRIES or first + nsects * sect_size > at + cmdsize:
                raise NotExecutable("bad Mach-O section count")
            for k in range(nsects):
                name, _, addr, size, offset = struct.unpack_from(
                    sect_fmt, cmds, first + k * sect_size
                )
                if name.rstrip(b"\0") == b"__go_buildinfo" and section is None:
                    section = _clip(Segment(addr, base + offset, size), file_size)
        at += cmdsize
    return ExeLayout("macho", section or data, tuple(segments), _MACHO_CPUS.get(cputype))


def _fat_macho(stream: BinaryIO, head: bytes, file_size: int) -> ExeLayout:
    """Universal binary: the first architecture, like Go's own reader."""
    nfat = struct.unpack_from(">I", head, 4)[0]
    if nfat == 0 or nfat > 64:  # Java class files share the magic; their "count" is large
        raise NotExecutable("not a fat Mach-O")
    wide = head[3] == 0xBF
    offset = struct.unpack_from(">Q" if wide else ">I", head, 16)[0]
    if offset <= 0 or offset >= file_size:
        raise NotExecutable("bad fat Mach-O offset")
    return _macho(stream, offset, file_size)


# --- PE ---------------------------------------------------------------------------------------

_PE_MACHINES = {0x14C: "386", 0x8664: "amd64", 0x1C0: "arm", 0x1C4: "arm", 0xAA64: "arm64"}
_DATA_FLAGS = 0x40 | 0x40000000 | 0x80000000  # INITIALIZED_DATA | MEM_READ | MEM_WRITE
_ALIGN_32BYTES = 0x600000


def _pe(stream: BinaryIO, head: bytes, file_size: int) -> ExeLayout:
    pe_at = struct.unpack_from("<I", head, 0x3C)[0]
    coff = _read_at(stream, pe_at, 24, file_size)
    if coff[:4] != b"PE\0\0":
        raise NotExecutable("no PE signature")
    machine, nsections = struct.unpack_from("<HH", coff, 4)
    opt_size = struct.unpack_from("<H", coff, 20)[0]
    if nsections > MAX_TABLE_ENTRIES or opt_size < 32:
        raise NotExecutable("bad PE header")
    opt = _read_at(stream, pe_at + 24, opt_size, file_size)
    magic = struct.unpack_from("<H", opt, 0)[0]
    if magic == 0x10B:
        image_base = struct.unpack_from("<I", opt, 28)[0]
    elif magic == 0x20B:
        image_base = struct.unpack_from("<Q", opt, 24)[0]
    else:
        raise NotExecutable("unknown PE optional header")
    table = _read_at(stream, pe_at + 24 + opt_size, 40 * nsections, file_size)
    segments: list[Segment] = []
    data: Segment | None = None
    for i in range(nsections):
        _, _, vaddr, raw_size, raw_ptr = struct.unpack_from("<8sIIII", table, i * 40)
        flags = struct.unpack_from("<I", table, i * 40 + 36)[0]
        seg = _clip(Segment(image_base + vaddr, raw_ptr, raw_size), file_size)
        if seg is None:
            continue
        segments.append(seg)
        if data is None and vaddr != 0 and flags & ~_ALIGN_32BYTES == _DATA_FLAGS:
            data = seg
    return ExeLayout("pe", data, tuple(segments), _PE_MACHINES.get(machine))
