"""The per-layer cache: a layer read once is never decompressed again (SBOM.md §B.4).

Key: sha256 of canonical JSON naming the layer *blob* digest, its diff_id, every cataloger's
version (they decide the capture set) and the cache schema. Keying on the blob digest and the
diff_id together means a hit always stands for "this exact blob was verified to decompress to
this diff_id": a config cannot borrow a cached diff_id for other bytes.

Value: ``layers/<k[:2]>/<k>.gz``, gzip of ``MAGIC``, a length-prefixed JSON header (entries,
whiteouts, opaque dirs, findings), the captured contents in header order, and a sha256 trailer
over everything before it. Writers stream into a temp file in the same directory, fsync and
``os.replace``: readers see a whole file or none, and concurrent writers of one key write the
same facts. Readers verify the trailer; a damaged or truncated entry is deleted and the layer
read again. Hits touch the file's mtime, and writes evict least-recently-used entries beyond
the size cap. No locks are needed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import struct
import tempfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from supplychain._internal.tarstream import Kind
from supplychain.catalog.base import Finding
from supplychain.catalog.layers.index import Content, LayerIndex, Record
from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.catalog.layers.spool import Spool
from supplychain.model import Digest

SCHEMA = 1
MAGIC = b"supplychain-layer-cache 1\n"
DEFAULT_MAX_SIZE = 5 * 1024 * 1024 * 1024
MAX_HEADER = 512 * 1024 * 1024
COPY_CHUNK = 1024 * 1024


def default_cache_dir() -> Path:
    """``$SUPPLYCHAIN_CACHE_DIR``, else ``$XDG_CACHE_HOME/supplychain``, else ``~/.cache/…``."""
    explicit = os.environ.get("SUPPLYCHAIN_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(xdg) / "supplychain"


def cache_key(
    blob: Digest, diff_id: Digest, versions: Mapping[str, str], limits: LayerLimits
) -> str:
    material = {
        "blob": str(blob),
        "diff_id": str(diff_id),
        "catalogers": dict(sorted(versions.items())),
        "capture_limit": limits.spool,
        "cache_schema": SCHEMA,
    }
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    writes: int = 0
    evicted: int = 0
    corrupt: int = 0


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _HashingWriter:
    def __init__(self, out: _Writable) -> None:
        self._out = out
        self.hasher = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.hasher.update(data)
        self._out.write(data)


class _HashingReader:
    def __init__(self, raw: _Readable) -> None:
        self._raw = raw
        self.hasher = hashlib.sha256()

    def exact(self, size: int) -> bytes:
        data = self._raw.read(size)
        if len(data) != size:
            raise EOFError("cache entry is truncated")
        self.hasher.update(data)
        return data


class LayerCache:
    """See the module docstring. ``readonly`` serves hits and never writes or evicts."""

    def __init__(
        self,
        directory: str | os.PathLike[str] | None = None,
        *,
        max_size: int = DEFAULT_MAX_SIZE,
        readonly: bool = False,
        limits: LayerLimits = DEFAULT_LAYER_LIMITS,
    ) -> None:
        self.root = Path(directory) if directory is not None else default_cache_dir()
        self.layers_dir = self.root / "layers"
        self.max_size = max_size
        self.readonly = readonly
        self.limits = limits
        self.stats = CacheStats()

    def path_for(self, key: str) -> Path:
        return self.layers_dir / key[:2] / f"{key}.gz"

    # reading ------------------------------------------------------------------------------

    def get(self, key: str, spool: Spool) -> LayerIndex | None:
        """The cached index, contents placed in memory or ``spool``; None on miss or damage."""
        path = self.path_for(key)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed below
        except OSError:
            self.stats.misses += 1
            return None
        try:
            with handle, gzip.GzipFile(fileobj=handle, mode="rb") as raw:
                index = self._decode(raw, spool)
        except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as exc:
            del exc
            self.stats.corrupt += 1
            self.stats.misses += 1
            if not self.readonly:
                with contextlib.suppress(OSError):
                    path.unlink()
            return None
        self.stats.hits += 1
        if not self.readonly:  # LRU: a hit is a use
            with contextlib.suppress(OSError):
                os.utime(path)
        return index

    def _decode(self, raw: _Readable, spool: Spool) -> LayerIndex:
        reader = _HashingReader(raw)
        if reader.exact(len(MAGIC)) != MAGIC:
            raise ValueError("not a layer cache entry")
        (header_size,) = struct.unpack(">Q", reader.exact(8))
        if header_size > MAX_HEADER:
            raise ValueError("cache header too large")
        header: dict[str, Any] = json.loads(reader.exact(header_size))
        index = LayerIndex(
            whiteouts=set(header["whiteouts"]),
            opaque=set(header["opaque"]),
            findings=[Finding(*f) for f in header["findings"]],
            tar_size=int(header["tar_size"]),
        )
        for path, kind, mode, size, link, captured in header["records"]:
            content = None
            if captured >= 0:
                content = self._read_content(reader, int(captured), spool)
            index.records[str(path)] = Record(Kind(kind), int(mode), int(size), str(link), content)
        expected = reader.hasher.digest()
        if raw.read(32) != expected or raw.read(1):
            raise ValueError("cache entry checksum mismatch")
        return index

    def _read_content(self, reader: _HashingReader, size: int, spool: Spool) -> Content:
        if size < self.limits.in_memory:
            return Content(size, data=reader.exact(size))
        fd, spooled = spool.create()
        with os.fdopen(fd, "wb") as out:
            left = size
            while left:
                chunk = reader.exact(min(COPY_CHUNK, left))
                out.write(chunk)
                left -= len(chunk)
        return Content(size, path=spooled)

    # writing ------------------------------------------------------------------------------

    def put(self, key: str, blob: Digest, diff_id: Digest, index: LayerIndex) -> None:
        """Store ``index`` atomically; errors writing the cache never fail a scan."""
        if self.readonly:
            return
        path = self.path_for(key)
        try:
            # Captured contents of private images live here: every level we create is 0700.
            self.root.parent.mkdir(parents=True, exist_ok=True)
            for directory in (self.root, self.layers_dir, path.parent):
                directory.mkdir(exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                with gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1, mtime=0) as gz:
                    self._encode(_HashingWriter(gz), gz, blob, diff_id, index)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return
        self.stats.writes += 1
        self.evict()

    def _encode(
        self,
        writer: _HashingWriter,
        gz: gzip.GzipFile,
        blob: Digest,
        diff_id: Digest,
        index: LayerIndex,
    ) -> None:
        records = [
            [
                path,
                rec.kind.value,
                rec.mode,
                rec.size,
                rec.link,
                rec.content.size if rec.content is not None else -1,
            ]
            for path, rec in index.records.items()
        ]
        header = {
            "blob": str(blob),
            "diff_id": str(diff_id),
            "records": records,
            "whiteouts": sorted(index.whiteouts),
            "opaque": sorted(index.opaque),
            "findings": [[f.code, f.subject, f.message] for f in index.findings],
            "tar_size": index.tar_size,
        }
        encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
        writer.write(MAGIC)
        writer.write(struct.pack(">Q", len(encoded)))
        writer.write(encoded)
        for rec in index.records.values():
            if rec.content is None:
                continue
            with rec.content.open() as source:
                left = rec.content.size
                while left:
                    chunk = source.read(min(COPY_CHUNK, left))
                    if not chunk:
                        raise OSError("captured content shrank")
                    writer.write(chunk)
                    left -= len(chunk)
        gz.write(writer.hasher.digest())

    def evict(self) -> None:
        """Delete least-recently-used entries until the cache fits ``max_size``."""
        entries: list[tuple[float, int, Path]] = []
        total = 0
        for path in self.layers_dir.glob("*/*.gz"):
            try:
                info = path.stat()
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
            total += info.st_size
        for _, size, path in sorted(entries):
            if total <= self.max_size:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                self.stats.evicted += 1
            total -= size
