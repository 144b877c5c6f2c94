"""One verified byte stream for every blob, whatever it comes from (file, tar member, registry).

Every blob read anywhere in supplychain goes through :class:`VerifiedStream`, so there is one
place that says what "verified" means (FORMATS.md §1.4, SECURITY.md class E/F):

* bytes are counted and hashed as they pass, exactly once;
* the underlying source is never asked for more than ``size + 1`` bytes: one byte past the
  declared size is enough to prove a body oversize, and an endless body costs nothing more;
* reaching the end with too few bytes or another digest raises :class:`IntegrityError`, and
  only then is :attr:`VerifiedStream.verified` true;
* leaving a ``with`` block without an error drains and checks whatever the caller left unread
  (a tar reader stops at the end-of-archive marker), so a stream is never "done" unverified.

Two kinds of source feed it: a file-like object (``read(n)``, used for layouts and archives)
and an iterator of chunks (an HTTP body, already bounded by the client): the registry hands its
body straight in, so registry blobs are hashed once, not once by the client and again by the
image source.
"""

from __future__ import annotations

import hmac
import io
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Protocol

from supplychain.errors import IntegrityError, LimitExceededError
from supplychain.model import Digest

CHUNK = 1024 * 1024


class ByteSource(Protocol):
    """What a verified stream reads from: a file, a tar member range, an HTTP body."""

    def read(self, size: int, /) -> bytes: ...

    def close(self) -> None: ...


class _ChunkSource:
    """An iterator of chunks seen as a :class:`ByteSource` (pieces may exceed ``size``)."""

    def __init__(self, chunks: Iterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release = release

    def read(self, size: int, /) -> bytes:
        return next(self._chunks, b"")

    def close(self) -> None:
        # Closing the generator alone would not release a connection it never started on.
        close_chunks = getattr(self._chunks, "close", None)
        try:
            if close_chunks is not None:
                close_chunks()
        finally:
            self._release()


class VerifiedStream(io.RawIOBase):
    """A read-only stream checked against an expected digest and size (see the module doc).

    ``raw`` is any :class:`ByteSource` (``read(n)`` may return less than asked, never more);
    :meth:`over_chunks` reads an iterator of chunks instead, whose pieces may be longer.
    ``size`` None means "no size known": only the digest is checked (nothing in the OCI code
    passes None; descriptors always carry a size).
    """

    def __init__(
        self,
        raw: ByteSource,
        *,
        digest: Digest,
        size: int | None,
        what: str,
    ) -> None:
        super().__init__()
        self._raw = raw
        self._digest = digest
        self._size = size
        self._what = what
        self._hasher = digest.hasher()
        self._count = 0
        self._eof = False
        self._verified = False
        # Bytes already pulled (and hashed) that the caller has not taken yet; only a chunk
        # source can hand over more than was asked for.
        self._pending = memoryview(b"")

    @classmethod
    def over_chunks(
        cls,
        chunks: Iterator[bytes],
        *,
        digest: Digest,
        size: int,
        what: str,
        release: Callable[[], None],
    ) -> VerifiedStream:
        """A stream over ``chunks`` (each of any length); ``release`` frees the transport.

        The producer must itself stop after ``size + 1`` bytes (the HTTP body reader does,
        with a cap): chunks cannot be asked for a length.
        """
        return cls(_ChunkSource(chunks, release), digest=digest, size=size, what=what)

    @property
    def what(self) -> str:
        return self._what

    @property
    def digest(self) -> Digest:
        return self._digest

    @property
    def bytes_read(self) -> int:
        return self._count

    @property
    def verified(self) -> bool:
        """True once every byte was read and matched the digest and size."""
        return self._verified

    def readable(self) -> bool:
        return True

    # --- the one place bytes enter ------------------------------------------------------------

    def _next_piece(self, want: int) -> bytes:
        """The next bytes from the source, counted and hashed; b"" at a verified end."""
        if self._eof:
            return b""
        if self._size is not None:
            # At most one byte past the declared size: enough to detect an oversize body.
            want = max(1, min(want, self._size + 1 - self._count))
        piece = self._raw.read(want)
        if not piece:
            self._eof = True
            self._check_end()
            return b""
        self._count += len(piece)
        if self._size is not None and self._count > self._size:
            self._eof = True
            raise IntegrityError(
                f"more bytes than the declared size {self._size}", subject=self._what
            )
        self._hasher.update(piece)
        return piece

    def _check_end(self) -> None:
        if self._size is not None and self._count != self._size:
            raise IntegrityError(
                f"ended after {self._count} bytes, declared size is {self._size}",
                subject=self._what,
            )
        actual = self._hasher.hexdigest()
        if not hmac.compare_digest(actual, self._digest.hex):
            raise IntegrityError(
                f"content does not match: is {self._digest.algorithm}:{actual}, "
                f"expected {self._digest}",
                subject=self._what,
            )
        self._verified = True

    # --- reading ------------------------------------------------------------------------------

    def _take(self, limit: int) -> bytes:
        """Up to ``limit`` bytes: what is pending first, else one new piece."""
        if not self._pending:
            piece = self._next_piece(limit)
            if len(piece) <= limit:
                return piece  # the common case: no copy, no leftover
            self._pending = memoryview(piece)
        taken = self._pending[:limit].tobytes()
        self._pending = self._pending[limit:]
        return taken

    def read(self, size: int | None = -1) -> bytes:
        """Like ``RawIOBase.read`` but hands over the source's bytes without a second copy."""
        if size is None or size < 0:
            return self.readall()
        if size == 0:
            return b""
        return self._take(size)

    def readall(self) -> bytes:
        return b"".join(self.chunks())

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._take(len(view))
        view[: len(data)] = data
        return len(data)

    def chunks(self) -> Iterator[bytes]:
        """The rest of the body piece by piece; the last step verifies (raises on mismatch)."""
        if self._pending:
            pending, self._pending = self._pending.tobytes(), memoryview(b"")
            yield pending
        while piece := self._next_piece(CHUNK):
            yield piece

    def finish(self) -> None:
        """Read (and discard) whatever is left, then verify; idempotent."""
        self._pending = memoryview(b"")
        while not self._eof:
            self._next_piece(CHUNK)
        if not self._verified:
            # The end was reached through an error the caller chose to ignore: still no.
            self._check_end()

    # --- lifetime -----------------------------------------------------------------------------

    def close(self) -> None:
        if not self.closed:
            try:
                self._raw.close()
            finally:
                super().close()

    def __enter__(self) -> VerifiedStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                self.finish()
        finally:
            self.close()


def read_verified(stream: VerifiedStream, limit: int) -> bytes:
    """Read a whole small blob (manifest, config) through ``stream``, at most ``limit`` bytes."""
    with stream:
        data = stream.read(limit + 1)
        parts = [data]
        total = len(data)
        # A chunk source may hand over less than asked; keep reading up to the limit.
        while data and total <= limit:
            data = stream.read(limit + 1 - total)
            parts.append(data)
            total += len(data)
        if total > limit:
            raise LimitExceededError(f"more than {limit} bytes", subject=stream.what)
        stream.finish()
    return b"".join(parts)


__all__ = ["CHUNK", "ByteSource", "VerifiedStream", "read_verified"]
