"""The whole-image catalogue cache: a warm scan skips view and catalogers, with the same bytes."""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

import pytest

from supplychain.catalog.image_sbom import ImageScan, sbom_from_image
from supplychain.catalog.layers.cache import LayerCache
from supplychain.catalog.layers.limits import DEFAULT_LAYER_LIMITS, LayerLimits
from supplychain.catalog.layers.view_cache import view_key
from supplychain.errors import IntegrityError
from supplychain.formats.spdx import write_spdx
from supplychain.model import Digest
from supplychain.oci.source import open_image_source

CREATED = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _scan(layout: Path, cache: LayerCache | None) -> ImageScan:
    with open_image_source(f"oci:{layout}") as source:
        return sbom_from_image(source, created=CREATED, cache=cache)


def _entries(cache: LayerCache) -> list[Path]:
    return sorted((cache.root / "views").glob("*/*.json.gz"))


@pytest.fixture(scope="module")
def debian_layout(
    trees: dict[str, Path], ml: ModuleType, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    base = ml.Layer(ml.tar_of_tree(trees["debian"]))
    top = ml.Layer(ml.tar_bytes([ml.Entry("srv/x", data=b"x")]))
    layout: Path = ml.write_layout(
        tmp_path_factory.mktemp("img") / "i", [ml.ImageSpec([base, top])]
    )
    return layout


def test_warm_scan_is_served_whole_and_byte_identical(debian_layout: Path, tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "c")
    cold = _scan(debian_layout, cache)
    assert cold.layers_read == 2 and len(_entries(cache)) == 1
    # Without the layer entries, only the catalogue cache can serve the warm scan.
    for entry in (cache.root / "layers").glob("*/*.gz"):
        entry.unlink()
    warm = _scan(debian_layout, cache)
    assert (warm.layers_read, warm.layers_cached) == (0, 2)
    assert (
        write_spdx(warm.sbom)
        == write_spdx(cold.sbom)
        == write_spdx(_scan(debian_layout, None).sbom)
    )
    assert sorted(warm.findings) == sorted(cold.findings)


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated gzip
        lambda raw: gzip.compress(b'{"key": "other", "schema": 1}'),  # another key's entry
        lambda raw: gzip.compress(gzip.decompress(raw).replace(b'"packages":[', b'"packages":[7,')),
        lambda raw: gzip.compress(b"[1, 2]"),
    ],
)
def test_damaged_entry_is_a_miss_and_is_rewritten(
    debian_layout: Path, tmp_path: Path, damage: object
) -> None:
    cache = LayerCache(tmp_path / "c")
    expected = write_spdx(_scan(debian_layout, cache).sbom)
    (entry,) = _entries(cache)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))  # type: ignore[operator]
    again = _scan(debian_layout, cache)
    assert again.layers_cached == 2  # recatalogued from the layer entries
    assert write_spdx(again.sbom) == expected
    assert gzip.decompress(entry.read_bytes()) == gzip.decompress(good)


def test_readonly_cache_writes_no_entry(debian_layout: Path, tmp_path: Path) -> None:
    writable = LayerCache(tmp_path / "c")
    _scan(debian_layout, writable)
    (entry,) = _entries(writable)
    entry.unlink()
    readonly = LayerCache(tmp_path / "c", readonly=True)
    _scan(debian_layout, readonly)
    assert _entries(readonly) == []


def test_no_entry_for_an_image_that_fails_verification(ml: ModuleType, tmp_path: Path) -> None:
    real = ml.tar_bytes([ml.Entry("a", data=b"a")])
    lie = "sha256:" + "0" * 64
    layout = ml.write_layout(tmp_path / "i", [ml.ImageSpec([ml.Layer(real, diff_id=lie)])])
    cache = LayerCache(tmp_path / "c")
    with pytest.raises(IntegrityError):
        _scan(layout, cache)
    assert _entries(cache) == []


def test_key_names_every_layer_by_blob_and_diff_id_plus_versions_and_capture_limit() -> None:
    a, b, c = (Digest.parse("sha256:" + ch * 64) for ch in "abc")
    versions = {"dpkg": "1", "npm": "2"}
    key = view_key([(a, b)], versions, DEFAULT_LAYER_LIMITS)
    assert key == view_key([(a, b)], dict(reversed(versions.items())), DEFAULT_LAYER_LIMITS)
    others = [
        view_key([(a, c)], versions, DEFAULT_LAYER_LIMITS),  # same blob, other diff_id
        view_key([(c, b)], versions, DEFAULT_LAYER_LIMITS),  # same diff_id, other blob
        view_key([(a, b), (a, b)], versions, DEFAULT_LAYER_LIMITS),
        view_key([(a, b)], {**versions, "npm": "3"}, DEFAULT_LAYER_LIMITS),
        view_key([(a, b)], versions, LayerLimits(spool=1024)),
    ]
    assert key not in others and len(set(others)) == len(others)
