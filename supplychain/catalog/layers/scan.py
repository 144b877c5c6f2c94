"""One pass over one layer: decompress, read headers, keep facts and wanted contents.

Everything the archive says is untrusted. Paths are normalised here once (SECURITY.md §4.2):
a ``..`` component or a NUL byte drops the entry (reported), a leading ``/`` is stripped
(reported), ``./`` and ``//`` vanish. Links are stored as facts and never followed here;
devices and FIFOs are recorded and their (absent) data never read. Contents are kept only for
members a cataloger wants, by path or by content prefix (Go binaries hide under any name):
small ones in memory, big ones in the private spool dir, huge ones only counted.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass

from supplychain._internal.tarstream import Kind, MemberData, TarEntry, iter_entries
from supplychain.catalog.layers.decompress import LayerReader, Readable
from supplychain.catalog.layers.index import Content, LayerIndex, Record
from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.catalog.layers.spool import Spool
from supplychain.errors import IntegrityError
from supplychain.model import Digest

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
COPY_CHUNK = 1024 * 1024


def normalise_member(name: str, limits: LayerLimits = DEFAULT_LAYER_LIMITS) -> tuple[str, str]:
    """``(path, problem)``: the image path, or ``""`` with why it is refused or noteworthy.

    ``problem`` is also set (with a non-empty path) for an absolute name stored as relative.
    """
    if "\0" in name:
        return "", "name contains a NUL byte"
    note = ""
    if name.startswith("/"):
        note = "absolute path stored as relative"
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        return "", "path has a '..' component"
    path = "/".join(parts)
    size = len(path.encode("utf-8", errors="replace"))
    if size > limits.path_bytes:
        return "", f"path longer than {limits.path_bytes} bytes"
    if size > limits.component_bytes and any(
        len(p.encode("utf-8", errors="replace")) > limits.component_bytes for p in parts
    ):
        return "", f"path component longer than {limits.component_bytes} bytes"
    return path, note


@dataclass(frozen=True)
class CaptureSet:
    """What to keep: paths a cataloger wants, and content prefixes (``magics``)."""

    wants: Callable[[str], bool]
    magics: tuple[bytes, ...] = ()
    # A member wanted only by its magic is kept only if its bytes contain one of these (empty:
    # keep every match). Go binaries carry "\xff Go buildinf:"; without this filter every ELF
    # file of a distro (hundreds of MB) would be spooled and cached for nothing.
    markers: tuple[bytes, ...] = ()

    @property
    def peek(self) -> int:
        return max((len(m) for m in self.magics), default=0)


class _Scanner:
    def __init__(self, capture: CaptureSet, spool: Spool, limits: LayerLimits, label: str) -> None:
        self.capture = capture
        self.spool = spool
        self.limits = limits
        self.label = label
        self.index = LayerIndex()
        self.peek = capture.peek

    def subject(self, path: str) -> str:
        return f"{self.label} {path}"

    def entry(self, entry: TarEntry, data: MemberData) -> None:
        index = self.index
        for text in entry.notes:
            index.note("sbom.layer.bad-name", self.subject(entry.name), text)
        path, problem = normalise_member(entry.name, self.limits)
        if not path:
            if problem:
                index.note("sbom.layer.unsafe-path", self.subject(entry.name[:200]), problem)
            return  # "." or "./": the root directory itself
        if problem:
            index.note("sbom.layer.absolute-path", self.subject(entry.name[:200]), problem)
        head, _, base = path.rpartition("/")
        if any(part.startswith(WHITEOUT + WHITEOUT) for part in path.split("/")[:-1]):
            return  # inside AUFS metadata (.wh..wh.plnk/…): not part of the filesystem
        if base.startswith(WHITEOUT):
            if base == OPAQUE:
                index.opaque.add(head)
            elif not base.startswith(WHITEOUT + WHITEOUT):  # other .wh..wh.* = AUFS metadata
                index.whiteouts.add(f"{head}/{base[4:]}" if head else base[4:])
            return
        record = self.record(path, entry, data)
        if record is None:
            return
        previous = index.records.pop(path, None)
        if previous is not None and not (previous.kind is Kind.DIR and record.kind is Kind.DIR):
            index.note(
                "sbom.layer.duplicate",
                self.subject(path),
                "entry appears more than once in the layer; the last one is used",
            )
        index.records[path] = record

    def record(self, path: str, entry: TarEntry, data: MemberData) -> Record | None:
        kind = entry.kind
        if kind is Kind.FILE:
            return Record(
                kind, entry.mode, entry.size, content=self.maybe_capture(path, entry, data)
            )
        if kind is Kind.SYMLINK:
            return Record(kind, entry.mode, 0, link=entry.linkname)
        if kind is Kind.HARDLINK:
            target, problem = normalise_member(entry.linkname, self.limits)
            if not target:
                self.index.note(
                    "sbom.layer.unsafe-link",
                    self.subject(path),
                    f"hard link target refused: {problem or 'empty'}",
                )
                return None
            same_layer = self.index.records.get(target)
            content = same_layer.content if same_layer is not None else None
            return Record(kind, entry.mode, 0, link=target, content=content)
        if kind in (Kind.DIR, Kind.CHAR, Kind.BLOCK, Kind.FIFO):
            return Record(kind, entry.mode, 0)
        self.index.note(
            "sbom.layer.unsupported-entry",
            self.subject(path),
            f"tar entry type {entry.typeflag!r} is not supported; skipped",
        )
        return None

    def maybe_capture(self, path: str, entry: TarEntry, data: MemberData) -> Content | None:
        head = b""
        if not self.capture.wants(path):
            if not self.capture.magics or entry.size < self.peek:
                return None
            head = data.read(self.peek)
            if not any(head.startswith(m) for m in self.capture.magics):
                return None
        if entry.size > self.limits.spool:
            self.index.note(
                "sbom.layer.not-analysed",
                self.subject(path),
                f"{entry.size} bytes is over the {self.limits.spool}-byte analysis limit",
            )
            return None
        by_magic = bool(head)
        markers = self.capture.markers if by_magic else ()
        if entry.size < self.limits.in_memory:
            whole = head + data.read(entry.size - len(head))
            if markers and not any(m in whole for m in markers):
                return None
            return Content(entry.size, data=whole)
        fd, spooled = self.spool.create()
        found = not markers
        overlap = max((len(m) for m in markers), default=1) - 1
        tail = b""
        with os.fdopen(fd, "wb") as out:
            chunk = head or data.read(COPY_CHUNK)
            while chunk:
                out.write(chunk)
                if not found:
                    window = tail + chunk
                    found = any(m in window for m in markers)
                    tail = window[-overlap:] if overlap else b""
                chunk = data.read(COPY_CHUNK)
        if not found:
            os.unlink(spooled)
            return None
        return Content(entry.size, path=spooled)


def scan_layer(
    stream: Readable,
    *,
    compression: str,
    diff_id: Digest | None,
    label: str,
    capture: CaptureSet,
    spool: Spool,
    limits: LayerLimits = DEFAULT_LAYER_LIMITS,
    output_budget: int | None = None,
) -> LayerIndex:
    """Read one layer blob (already digest-verified by the source) into a :class:`LayerIndex`.

    The decompressed tar is hashed as it streams and must match ``diff_id`` (when given):
    a manifest cannot pair a cached or trusted diff_id with other bytes. Caps raise
    :class:`~supplychain.errors.LimitExceededError`; damage raises ``InvalidInputError``.
    """
    reader = LayerReader(
        stream,
        compression,
        what=label,
        limits=limits,
        output_budget=output_budget,
        hasher=diff_id.hasher() if diff_id is not None else None,
    )
    scanner = _Scanner(capture, spool, limits, label)
    for entry, data in iter_entries(reader, what=label, limits=limits.tar):
        scanner.entry(entry, data)
    reader.drain()
    if diff_id is not None and reader.hasher is not None:
        actual = reader.hasher.hexdigest()
        if not hmac.compare_digest(actual, diff_id.hex):
            raise IntegrityError(
                f"uncompressed layer is {diff_id.algorithm}:{actual}, config diff_id is {diff_id}",
                subject=label,
            )
    scanner.index.tar_size = reader.output_count
    return scanner.index
