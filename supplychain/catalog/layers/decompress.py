"""Bounded decompression of layer blobs: gzip, zstd or none, chosen by media type.

The media type decides the decoder and the first bytes must agree with it (a ``tar+gzip`` layer
holding zstd bytes is refused, SECURITY.md NT-T14): a scanner that sniffs content while the
runtime trusts the media type would read a different filesystem than the one that runs.

Output is produced in bounded chunks (``zlib`` ``max_length``, a zstd stream reader with a
window ceiling), counted, and refused past the per-layer cap or once the output/input ratio
exceeds ``max_ratio`` after a grace amount: a 10 GiB run of zeros packed into 10 MiB stops after
~64 MiB of work instead of filling memory or disk.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from typing import Any, Protocol

import zstandard

from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.errors import InvalidInputError, LimitExceededError, UnsupportedError

try:  # ISA-L inflates 2-3x faster than zlib with the same API; zlib stays the fallback.
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - isal is a declared dependency
    _isal_zlib = None  # type: ignore[assignment]

_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + (
    (getattr(_isal_zlib, "error"),) if _isal_zlib is not None else ()  # noqa: B009 - stub types it as an instance
)


def _gunzip_object() -> Any:
    """A streaming gzip decoder (``decompress(data, max_length)``, ``unconsumed_tail`` …)."""
    if _isal_zlib is not None:
        return _isal_zlib.decompressobj(16 + zlib.MAX_WBITS)
    return zlib.decompressobj(16 + zlib.MAX_WBITS)


GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
INPUT_CHUNK = 64 * 1024
OUTPUT_CHUNK = 256 * 1024


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...

    def hexdigest(self) -> str: ...


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _CountingInput:
    """The compressed stream, with a count of bytes consumed (for the ratio check)."""

    def __init__(self, raw: Readable) -> None:
        self._raw = raw
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size if size > 0 else INPUT_CHUNK)
        self.count += len(data)
        return data


class LayerReader:
    """The decompressed tar stream of one layer: ``read(n)`` returns at most ``n`` bytes.

    Raises :class:`LimitExceededError` on a cap, :class:`InvalidInputError` on corrupt data.
    """

    def __init__(
        self,
        raw: Readable,
        compression: str,
        *,
        what: str,
        limits: LayerLimits = DEFAULT_LAYER_LIMITS,
        output_budget: int | None = None,
        hasher: Hasher | None = None,
    ) -> None:
        self.what = what
        self._limits = limits
        self._input = _CountingInput(raw)
        self._budget = min(limits.layer_output, output_budget or limits.layer_output)
        self.output_count = 0
        head = self._input.read(4)
        self._chunks = self._decoder(compression, head)
        self._buffer = b""
        self._pos = 0
        self._eof = False
        # The uncompressed tar is what ``diff_id`` names: hash it as it comes out.
        self.hasher = hasher

    # decoders -----------------------------------------------------------------------------

    def _decoder(self, compression: str, head: bytes) -> Iterator[bytes]:
        looks_gzip = head.startswith(GZIP_MAGIC)
        looks_zstd = head.startswith(ZSTD_MAGIC)
        if compression == "gzip":
            if not looks_gzip:
                raise InvalidInputError(
                    "media type says gzip but the bytes are not gzip"
                    + (" (they are zstd)" if looks_zstd else ""),
                    subject=self.what,
                )
            return self._gunzip(head)
        if compression == "zstd":
            if not looks_zstd:
                raise InvalidInputError(
                    "media type says zstd but the bytes are not zstd"
                    + (" (they are gzip)" if looks_gzip else ""),
                    subject=self.what,
                )
            return self._unzstd(head)
        if compression == "none":
            if looks_gzip or looks_zstd:
                raise InvalidInputError(
                    "media type says uncompressed tar but the bytes are "
                    + ("gzip" if looks_gzip else "zstd"),
                    subject=self.what,
                )
            return self._plain(head)
        raise UnsupportedError(f"unsupported layer compression {compression!r}", subject=self.what)

    def _plain(self, head: bytes) -> Iterator[bytes]:
        if head:
            yield head
        while chunk := self._input.read(OUTPUT_CHUNK):
            yield chunk

    def _gunzip(self, head: bytes) -> Iterator[bytes]:
        pending = head
        decoder = _gunzip_object()
        while True:
            if not pending:
                pending = self._input.read(INPUT_CHUNK)
                if not pending:
                    if not decoder.eof:
                        raise InvalidInputError("gzip stream is truncated", subject=self.what)
                    return
            try:
                out = decoder.decompress(pending, OUTPUT_CHUNK)
            except _INFLATE_ERRORS as exc:
                raise InvalidInputError(f"corrupt gzip data ({exc})", subject=self.what) from exc
            pending = decoder.unconsumed_tail
            if out:
                yield out
            if decoder.eof:
                rest = decoder.unused_data + pending
                if not rest:
                    rest = self._input.read(INPUT_CHUNK)
                if not rest:
                    return
                # Concatenated gzip members are one stream (RFC 1952 §2.2).
                if not rest.startswith(GZIP_MAGIC[:1]):
                    raise InvalidInputError("data after the gzip stream", subject=self.what)
                decoder = _gunzip_object()
                pending = rest

    def _unzstd(self, head: bytes) -> Iterator[bytes]:
        decompressor = zstandard.ZstdDecompressor(max_window_size=self._limits.zstd_max_window)
        stream = _Prefixed(head, self._input)
        reader = decompressor.stream_reader(
            io.BufferedReader(stream, INPUT_CHUNK), read_size=INPUT_CHUNK, read_across_frames=True
        )
        try:
            while True:
                out = reader.read(OUTPUT_CHUNK)
                if not out:
                    return
                yield out
        except zstandard.ZstdError as exc:
            text = str(exc)
            if "memory" in text or "window" in text.lower():
                raise LimitExceededError(
                    f"zstd frame needs a window over {self._limits.zstd_max_window} bytes",
                    subject=self.what,
                ) from exc
            raise InvalidInputError(f"corrupt zstd data ({text})", subject=self.what) from exc

    # reading ------------------------------------------------------------------------------

    def _next_chunk(self) -> bytes:
        if self._eof:
            return b""
        chunk = next(self._chunks, b"")
        if not chunk:
            self._eof = True
            return b""
        self.output_count += len(chunk)
        if self.hasher is not None:
            self.hasher.update(chunk)
        if self.output_count > self._budget:
            raise LimitExceededError(
                f"decompresses to more than {self._budget} bytes", subject=self.what
            )
        if (
            self.output_count > self._limits.ratio_grace
            and self.output_count > self._limits.max_ratio * max(self._input.count, 1)
        ):
            raise LimitExceededError(
                f"compression ratio over {self._limits.max_ratio}:1 (decompression bomb)",
                subject=self.what,
            )
        return chunk

    def read(self, size: int) -> bytes:
        """At most ``size`` bytes; fewer only at the end of the stream."""
        available = len(self._buffer) - self._pos
        if available >= size:
            start = self._pos
            self._pos += size
            return self._buffer[start : self._pos]
        parts = [self._buffer[self._pos :]] if available else []
        missing = size - available
        self._buffer, self._pos = b"", 0
        while missing > 0:
            chunk = self._next_chunk()
            if not chunk:
                break
            if len(chunk) > missing:
                parts.append(chunk[:missing])
                self._buffer, self._pos = chunk, missing
                missing = 0
            else:
                parts.append(chunk)
                missing -= len(chunk)
        return b"".join(parts)

    def skip(self, size: int) -> int:
        """Discard ``size`` bytes without joining them; returns how many were there."""
        done = 0
        while done < size:
            available = len(self._buffer) - self._pos
            if available == 0:
                self._buffer, self._pos = self._next_chunk(), 0
                if not self._buffer:
                    break
                continue
            step = min(available, size - done)
            self._pos += step
            done += step
        return done

    def drain(self) -> None:
        """Decompress what is left (the caller hashes the whole tar stream)."""
        self._buffer, self._pos = b"", 0
        while self._next_chunk():
            pass


class _Prefixed(io.RawIOBase):
    """A stream that first returns ``head`` and then the rest of ``rest``."""

    def __init__(self, head: bytes, rest: _CountingInput) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            data, self._head = self._head[: len(view)], self._head[len(view) :]
        else:
            data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)
