"""The per-layer cache: round trip, verification on read, LRU eviction, concurrent writers."""

from __future__ import annotations

import gzip
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from supplychain.catalog.layers.cache import LayerCache, cache_key
from supplychain.catalog.layers.index import LayerIndex
from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.catalog.layers.spool import Spool
from supplychain.model import Digest
from tests.catalog.layers.helpers import scan

BLOB = Digest.parse("sha256:" + "ab" * 32)


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    with Spool(str(tmp_path)) as sp:
        yield sp


def _index(ml: ModuleType, spool: Spool, limits: LayerLimits = DEFAULT_LAYER_LIMITS) -> LayerIndex:
    tar = ml.tar_bytes(
        [
            ml.Entry("etc/os-release", data=b"ID=debian\n"),
            ml.Entry("usr/bin/app", data=os.urandom(5000)),
            ml.Entry("lib", "symlink", link="usr/lib"),
            ml.Entry("dev/null", "char"),
            ml.Entry("etc/.wh.motd"),
            ml.Entry("opt/.wh..wh..opq"),
            ml.Entry("../evil"),
        ]
    )
    return scan(tar, spool, limits=limits)


def _same(a: LayerIndex, b: LayerIndex) -> None:
    assert list(a.records) == list(b.records)
    for path, rec in a.records.items():
        other = b.records[path]
        assert (rec.kind, rec.mode, rec.size, rec.link) == (
            other.kind,
            other.mode,
            other.size,
            other.link,
        )
        assert (rec.content.read() if rec.content else None) == (
            other.content.read() if other.content else None
        )
    assert (a.whiteouts, a.opaque, a.findings, a.tar_size) == (
        b.whiteouts,
        b.opaque,
        b.findings,
        b.tar_size,
    )


def test_key_depends_on_blob_diff_id_and_cataloger_versions() -> None:
    d = Digest.parse("sha256:" + "cd" * 32)
    base = cache_key(BLOB, d, {"dpkg": "1"}, DEFAULT_LAYER_LIMITS)
    assert base == cache_key(BLOB, d, {"dpkg": "1"}, DEFAULT_LAYER_LIMITS)
    assert base != cache_key(d, d, {"dpkg": "1"}, DEFAULT_LAYER_LIMITS)
    assert base != cache_key(BLOB, BLOB, {"dpkg": "1"}, DEFAULT_LAYER_LIMITS)
    assert base != cache_key(BLOB, d, {"dpkg": "2"}, DEFAULT_LAYER_LIMITS)


@pytest.mark.parametrize("in_memory", [DEFAULT_LAYER_LIMITS.in_memory, 100])
def test_round_trip_in_memory_and_spooled(
    ml: ModuleType, spool: Spool, tmp_path: Path, in_memory: int
) -> None:
    limits = LayerLimits(in_memory=in_memory)
    index = _index(ml, spool, limits)
    cache = LayerCache(tmp_path / "c", limits=limits)
    cache.put("k" * 64, BLOB, BLOB, index)
    got = cache.get("k" * 64, spool)
    assert got is not None
    _same(index, got)
    assert (cache.stats.hits, cache.stats.writes) == (1, 1)
    if in_memory == 100:
        content = got.records["usr/bin/app"].content
        assert content is not None and content.path is not None


def test_cache_dirs_and_files_are_private(ml: ModuleType, spool: Spool, tmp_path: Path) -> None:
    import stat

    cache = LayerCache(tmp_path / "missing" / "c")
    cache.put("9" * 64, BLOB, BLOB, _index(ml, spool))
    for path in (cache.root, cache.layers_dir, cache.path_for("9" * 64).parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache.path_for("9" * 64).stat().st_mode) == 0o600


def test_miss_then_hit(ml: ModuleType, spool: Spool, tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "c")
    assert cache.get("0" * 64, spool) is None
    cache.put("0" * 64, BLOB, BLOB, _index(ml, spool))
    assert cache.get("0" * 64, spool) is not None
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)


@pytest.mark.parametrize("damage", ["flip", "truncate", "not-gzip"])
def test_damaged_entry_is_a_miss_and_deleted(
    ml: ModuleType, spool: Spool, tmp_path: Path, damage: str
) -> None:
    cache = LayerCache(tmp_path / "c")
    key = "1" * 64
    cache.put(key, BLOB, BLOB, _index(ml, spool))
    path = cache.path_for(key)
    raw = gzip.decompress(path.read_bytes())
    if damage == "flip":
        middle = len(raw) // 2
        raw = raw[:middle] + bytes([raw[middle] ^ 1]) + raw[middle + 1 :]
        path.write_bytes(gzip.compress(raw))
    elif damage == "truncate":
        path.write_bytes(gzip.compress(raw[:-10]))
    else:
        path.write_bytes(b"garbage")
    assert cache.get(key, spool) is None
    assert cache.stats.corrupt == 1
    assert not path.exists()


def test_lru_eviction_keeps_the_recently_used(ml: ModuleType, spool: Spool, tmp_path: Path) -> None:
    index = _index(ml, spool)
    probe = LayerCache(tmp_path / "probe")
    probe.put("p" * 64, BLOB, BLOB, index)
    one = probe.path_for("p" * 64).stat().st_size
    cache = LayerCache(tmp_path / "c", max_size=int(one * 2.5))
    for n, key in enumerate(["a" * 64, "b" * 64]):
        cache.put(key, BLOB, BLOB, index)
        os.utime(cache.path_for(key), (time.time() - 100 + n, time.time() - 100 + n))
    assert cache.get("a" * 64, spool) is not None  # touch: "a" is now the most recent
    cache.put("c" * 64, BLOB, BLOB, index)
    assert cache.path_for("a" * 64).exists()
    assert not cache.path_for("b" * 64).exists()
    assert cache.path_for("c" * 64).exists()
    assert cache.stats.evicted == 1


def test_readonly_cache_never_writes(ml: ModuleType, spool: Spool, tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "c", readonly=True)
    cache.put("2" * 64, BLOB, BLOB, _index(ml, spool))
    assert not (tmp_path / "c").exists()


def _writer(directory: str, rounds: int) -> None:
    import sys
    from pathlib import Path as P

    sys.path.insert(0, str(P(__file__).resolve().parents[3] / "testdata" / "layers"))
    import make_layers

    with Spool() as sp:
        index = _index(make_layers, sp)
        cache = LayerCache(directory)
        for _ in range(rounds):
            cache.put("3" * 64, BLOB, BLOB, index)
            assert cache.get("3" * 64, sp) is not None


def test_concurrent_processes_share_one_cache(ml: ModuleType, spool: Spool, tmp_path: Path) -> None:
    directory = str(tmp_path / "shared")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(directory, 20)) for _ in range(2)]
    for worker in workers:
        worker.start()
    cache = LayerCache(directory)
    reads = 0
    while any(w.is_alive() for w in workers):
        if cache.get("3" * 64, spool) is not None:
            reads += 1
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0
    assert cache.stats.corrupt == 0
    got = cache.get("3" * 64, spool)
    assert got is not None
    assert list(got.records) == list(_index(ml, spool).records)
    assert not list(Path(directory).rglob(".tmp-*"))
