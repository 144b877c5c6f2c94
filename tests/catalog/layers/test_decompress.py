"""Bounded decompression: formats, magic checks and bombs (SECURITY.md NT-T7, T8, T14)."""

from __future__ import annotations

import io
import os
import time
from types import ModuleType

import pytest

from supplychain.catalog.layers.decompress import LayerReader
from supplychain.catalog.layers.limits import LayerLimits, MiB
from supplychain.errors import InvalidInputError, LimitExceededError, UnsupportedError


def _all(reader: LayerReader) -> bytes:
    out = []
    while chunk := reader.read(100_000):
        out.append(chunk)
    return b"".join(out)


@pytest.mark.parametrize("compression", ["gzip", "zstd", "none"])
def test_round_trip(ml: ModuleType, compression: str) -> None:
    payload = os.urandom(300_000) + b"\0" * 700_000
    blob = ml.compress(payload, compression)
    reader = LayerReader(io.BytesIO(blob), compression, what="layer")
    assert _all(reader) == payload
    assert reader.output_count == len(payload)


def test_concatenated_gzip_members_are_one_stream(ml: ModuleType) -> None:
    blob = ml.gzip_bytes(b"first ") + ml.gzip_bytes(b"second")
    assert _all(LayerReader(io.BytesIO(blob), "gzip", what="l")) == b"first second"


def test_garbage_after_gzip_is_refused(ml: ModuleType) -> None:
    blob = ml.gzip_bytes(b"data") + b"NOTGZIP"
    with pytest.raises(InvalidInputError, match="after the gzip"):
        _all(LayerReader(io.BytesIO(blob), "gzip", what="l"))


def test_truncated_gzip_is_refused(ml: ModuleType) -> None:
    blob = ml.gzip_bytes(os.urandom(50_000))[:-100]
    with pytest.raises(InvalidInputError, match="truncated"):
        _all(LayerReader(io.BytesIO(blob), "gzip", what="l"))


@pytest.mark.parametrize(
    ("declared", "actual", "words"),
    [("gzip", "zstd", "not gzip"), ("zstd", "gzip", "not zstd"), ("none", "gzip", "are gzip")],
)
def test_media_type_and_magic_must_agree(
    ml: ModuleType, declared: str, actual: str, words: str
) -> None:
    """NT-T14: a gzip media type over zstd bytes (and the other mixes) is refused."""
    blob = ml.compress(ml.tar_bytes([ml.Entry("a", data=b"x")]), actual)
    with pytest.raises(InvalidInputError, match=words) as info:
        LayerReader(io.BytesIO(blob), declared, what="layer 0")
    assert info.value.subject == "layer 0"


def test_unknown_compression_is_unsupported() -> None:
    with pytest.raises(UnsupportedError):
        LayerReader(io.BytesIO(b"xxxx"), "bzip2", what="l")


def test_gzip_bomb_stops_fast_and_small(ml: ModuleType) -> None:
    """NT-T7: 10 GiB of zeros in ~10 MiB of gzip → refused within seconds, memory bounded."""
    import tracemalloc

    bomb = ml.gzip_bomb()
    assert len(bomb) < 16 * MiB
    tracemalloc.start()
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match=r"ratio|more than"):
        LayerReader(io.BytesIO(bomb), "gzip", what="bomb").drain()
    elapsed = time.monotonic() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 10
    assert peak < 8 * MiB


def test_zstd_bomb_is_refused(ml: ModuleType) -> None:
    bomb = ml.zstd_bomb(total=256 * MiB)
    limits = LayerLimits(ratio_grace=16 * MiB)
    with pytest.raises(LimitExceededError, match="ratio"):
        LayerReader(io.BytesIO(bomb), "zstd", what="bomb", limits=limits).drain()


def test_absolute_output_cap(ml: ModuleType) -> None:
    data = os.urandom(3 * MiB)
    limits = LayerLimits(layer_output=2 * MiB)
    with pytest.raises(LimitExceededError, match="more than 2097152 bytes"):
        LayerReader(io.BytesIO(ml.gzip_bytes(data)), "gzip", what="l", limits=limits).drain()


def test_zstd_window_over_the_ceiling_is_refused(ml: ModuleType) -> None:
    """NT-T8: a frame asking for a 2 GiB window never gets its buffer."""
    with pytest.raises(LimitExceededError, match="window"):
        LayerReader(io.BytesIO(ml.zstd_huge_window()), "zstd", what="l").drain()


@pytest.mark.parametrize("isal", [True, False])
def test_isal_and_plain_zlib_behave_the_same(
    ml: ModuleType, monkeypatch: pytest.MonkeyPatch, isal: bool
) -> None:
    """Without ISA-L the stdlib decoder is used, with the same results and errors."""
    from supplychain.catalog.layers import decompress

    if not isal:
        monkeypatch.setattr(decompress, "_isal_zlib", None)
    payload = os.urandom(10_000) + b"\0" * 500_000
    blob = ml.gzip_bytes(payload[:1000]) + ml.gzip_bytes(payload[1000:])
    assert _all(LayerReader(io.BytesIO(blob), "gzip", what="l")) == payload
    with pytest.raises(InvalidInputError, match="corrupt gzip"):
        _all(LayerReader(io.BytesIO(blob[:20] + b"\xff" * 64 + blob[84:]), "gzip", what="l"))
