"""The committed sample images are exactly what testdata/images/build.py produces."""

from __future__ import annotations

import runpy
from pathlib import Path

from tests.oci.sources_util import SAMPLE_DIR


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_rebuild_gives_identical_bytes(tmp_path: Path) -> None:
    build = runpy.run_path(str(SAMPLE_DIR / "build.py"))["build"]
    build(tmp_path)
    assert (tmp_path / "sample-docker.tar").read_bytes() == (
        SAMPLE_DIR / "sample-docker.tar"
    ).read_bytes()
    rebuilt = _files(tmp_path / "sample-oci")
    committed = _files(SAMPLE_DIR / "sample-oci")
    assert sorted(rebuilt) == sorted(committed)
    for name, data in committed.items():
        assert rebuilt[name] == data, name


def test_sample_images_stay_tiny() -> None:
    total = sum(len(b) for b in _files(SAMPLE_DIR / "sample-oci").values())
    assert total < 16 * 1024
    assert (SAMPLE_DIR / "sample-docker.tar").stat().st_size < 64 * 1024
