"""Go fixtures built once per session with the real toolchain from a file-based proxy."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import require_binary

GEN_PATH = Path(__file__).parents[3] / "testdata" / "gomod" / "gen_fixtures.py"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_fixtures", GEN_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_fixtures"] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Prepared:
    name: str
    root: Path  # fixture directory (proxy/, main module dirs, go.work)
    target: Path  # what we analyse: the main module dir, or the workspace root
    run_dir: Path  # where go runs for the oracle
    cache: Path  # the cache root (HOME, GOPATH, GOCACHE)
    gomodcache: Path
    workspace: bool
    gen: ModuleType

    def env(self, proxy: str = "off") -> dict[str, str]:
        env: dict[str, str] = self.gen.go_env(self.cache, proxy)
        if self.workspace:
            env["GOWORK"] = str(self.root / "go.work")
            env["GOFLAGS"] = ""
        return env

    def go(self, *args: str) -> list[str]:
        out: str = self.gen.run(["go", *args], self.run_dir, self.env())
        return out.splitlines()


class GoFixtures:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.gen = load_generator()
        self.done: dict[str, Prepared] = {}

    def __call__(self, name: str) -> Prepared:
        if name not in self.done:
            fixture = self.gen.fixtures()[name]
            root = self.base / name
            cache = self.base / f"cache-{name}"
            dirs = self.gen.prepare(fixture, root, cache)
            self.done[name] = Prepared(
                name=name,
                root=root,
                target=root if fixture.workspace else dirs[0],
                run_dir=dirs[0],
                cache=cache,
                gomodcache=cache / "gopath" / "pkg" / "mod",
                workspace=fixture.workspace,
                gen=self.gen,
            )
        return self.done[name]


@pytest.fixture(scope="session")
def gofixtures(tmp_path_factory: pytest.TempPathFactory) -> GoFixtures:
    require_binary("go")
    return GoFixtures(tmp_path_factory.mktemp("gomod"))
