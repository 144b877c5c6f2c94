"""The one verified stream, fed by chunks (the registry's way) rather than by ``read(n)``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from supplychain.errors import IntegrityError, LimitExceededError
from supplychain.model import Digest
from supplychain.oci.verified import VerifiedStream, read_verified


class Chunks:
    """An iterator of fixed chunks that records how many it handed out and whether it was
    released."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks = list(chunks)
        self.served = 0
        self.released = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if not self._chunks:
            raise StopIteration
        self.served += 1
        return self._chunks.pop(0)

    def release(self) -> None:
        self.released = True


def _over(chunks: Chunks, content: bytes, size: int) -> VerifiedStream:
    return VerifiedStream.over_chunks(
        chunks, digest=Digest.of(content), size=size, what="blob", release=chunks.release
    )


def test_small_reads_split_long_chunks_and_verify_at_the_end() -> None:
    chunks = Chunks(b"hello ", b"world, and more")
    stream = _over(chunks, b"hello world, and more", 21)
    got = []
    while piece := stream.read(4):
        assert len(piece) <= 4
        got.append(piece)
    assert b"".join(got) == b"hello world, and more"
    assert stream.verified
    assert stream.bytes_read == 21


def test_readinto_and_chunks_mix() -> None:
    data = bytes(range(256)) * 10
    stream = _over(Chunks(data[:1000], data[1000:]), data, len(data))
    buffer = bytearray(10)
    assert stream.readinto(buffer) == 10
    assert bytes(buffer) == data[:10]
    assert b"".join(stream.chunks()) == data[10:]
    assert stream.verified


def test_wrong_content_is_refused_at_the_end() -> None:
    stream = _over(Chunks(b"abc", b"def"), b"abcdeX", 6)
    assert stream.read(3) == b"abc"
    with pytest.raises(IntegrityError, match=r"does not match.*expected sha256:"):
        stream.read()
    assert not stream.verified


def test_more_chunks_than_the_size_stop_the_stream() -> None:
    chunks = Chunks(b"abc", b"def", b"ghi", b"jkl")
    stream = _over(chunks, b"abc", 3)
    with pytest.raises(IntegrityError, match="more bytes than the declared size 3"):
        stream.read()
    assert chunks.served == 2  # stopped at the first chunk past the size


def test_leaving_with_block_drains_checks_and_releases() -> None:
    chunks = Chunks(b"abc", b"dXf")
    with pytest.raises(IntegrityError), _over(chunks, b"abcdef", 6) as stream:
        assert stream.read(2) == b"ab"
    assert chunks.released
    assert stream.closed


def test_finish_after_an_ignored_error_still_refuses() -> None:
    stream = _over(Chunks(b"abcd"), b"abc", 3)
    with pytest.raises(IntegrityError):
        stream.read()
    with pytest.raises(IntegrityError):
        stream.finish()
    assert not stream.verified


def test_read_verified_collects_short_chunks_up_to_the_limit() -> None:
    data = b"x" * 100
    stream = _over(Chunks(*[data[i : i + 7] for i in range(0, 100, 7)]), data, 100)
    assert read_verified(stream, 100) == data
    assert stream.verified


def test_read_verified_refuses_past_the_limit() -> None:
    data = b"x" * 100
    stream = _over(Chunks(*[data[i : i + 7] for i in range(0, 100, 7)]), data, 100)
    with pytest.raises(LimitExceededError, match="more than 50 bytes"):
        read_verified(stream, 50)
