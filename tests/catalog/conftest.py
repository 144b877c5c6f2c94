"""Fixture rootfs trees built once per session by testdata/catalog/build_rootfs.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

BUILDER = Path(__file__).resolve().parents[2] / "testdata" / "catalog" / "build_rootfs.py"


def load_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_rootfs", BUILDER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder() -> ModuleType:
    return load_builder()


@pytest.fixture(scope="session")
def trees(tmp_path_factory: pytest.TempPathFactory, builder: ModuleType) -> dict[str, Path]:
    result: dict[str, Path] = builder.build_all(tmp_path_factory.mktemp("rootfs"))
    return result
