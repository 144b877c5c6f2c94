"""What one layer holds, as facts: the per-layer unit that is squashed and cached.

A :class:`LayerIndex` is metadata for every entry (path → kind, mode, size, link target) plus
the contents of the few members a cataloger wants, the layer's whiteouts and opaque
directories, and the problems found while reading it. It depends only on the layer's bytes and
the capture set, which is what makes it cacheable by layer digest (SBOM.md §B.4).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import BinaryIO

from supplychain._internal.tarstream import Kind
from supplychain.catalog.base import Finding


@dataclass(frozen=True)
class Content:
    """Captured bytes of a member: in memory, or a file in the private spool dir."""

    size: int
    data: bytes | None = None
    path: str | None = None

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.path is None:  # pragma: no cover - constructed with one or the other
            raise FileNotFoundError("no content")
        return open(self.path, "rb")

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        with self.open() as handle:
            return handle.read()


@dataclass
class Record:
    """One entry of a layer. ``link`` is the raw symlink target or the hardlink's image path."""

    kind: Kind
    mode: int = 0
    size: int = 0
    link: str = ""
    content: Content | None = None


@dataclass
class LayerIndex:
    records: dict[str, Record] = field(default_factory=dict)
    whiteouts: set[str] = field(default_factory=set)
    opaque: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
    # Decompressed tar size (for progress and the per-image cap).
    tar_size: int = 0

    def note(self, code: str, subject: str, message: str) -> None:
        self.findings.append(Finding(code, subject, message))
