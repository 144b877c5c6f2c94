"""MVS corner cases the toolchain fixtures do not reach cheaply: cycles, replacement precedence,
workspace replace conflicts, go.work replaces, and hostile sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from supplychain.catalog.golang.modfile import ModuleVersion, parse_modfile
from supplychain.catalog.golang.mvs import load_workspace, resolve
from supplychain.catalog.golang.sources import SourceChain, Summary
from supplychain.errors import InvalidInputError, LimitExceededError, UsageError


class MemorySource:
    """go.mod texts by module@version, as a source (stands in for a module cache)."""

    name = "memory"

    def __init__(self, mods: dict[str, str]) -> None:
        self.mods = mods
        self.asked: list[str] = []

    def summary(self, mod: ModuleVersion) -> Summary | None:
        self.asked.append(str(mod))
        text = self.mods.get(str(mod))
        if text is None:
            return None
        parsed = parse_modfile(text, filename=str(mod))
        return Summary(tuple(r.mod for r in parsed.requires), parsed.go, "memory")


def _main(tmp_path: Path, body: str) -> Path:
    (tmp_path / "go.mod").write_text("module example.com/main\n\n" + body)
    return tmp_path


def test_cycle_in_unpruned_graph_terminates(tmp_path: Path) -> None:
    src = MemorySource(
        {
            "a.test/a@v1.0.0": "module a.test/a\nrequire a.test/b v1.0.0\n",
            "a.test/b@v1.0.0": "module a.test/b\nrequire a.test/a v1.1.0\n",
            "a.test/a@v1.1.0": "module a.test/a\nrequire a.test/b v1.0.0\n",
        }
    )
    target = _main(tmp_path, "go 1.16\nrequire a.test/a v1.0.0\n")
    graph = resolve(load_workspace(target), SourceChain([src]))
    assert graph.selected == {"example.com/main": "", "a.test/a": "v1.1.0", "a.test/b": "v1.0.0"}
    assert graph.list_lines() == ["example.com/main", "a.test/a v1.1.0", "a.test/b v1.0.0"]
    assert len(src.asked) == len(set(src.asked))  # each go.mod read once


def test_exact_replace_beats_pathwide_and_replacement_gomod_is_read(tmp_path: Path) -> None:
    src = MemorySource(
        {
            "fork.test/x@v2.0.0+incompatible": "module a.test/x\nrequire a.test/y v1.0.0\n",
            "fork.test/all@v1.0.0": "module a.test/x\n",
            "a.test/y@v1.0.0": "module a.test/y\n",
        }
    )
    target = _main(
        tmp_path,
        "go 1.16\nrequire a.test/x v1.0.0\n"
        "replace a.test/x => fork.test/all v1.0.0\n"
        "replace a.test/x v1.0.0 => fork.test/x v2.0.0+incompatible\n",
    )
    graph = resolve(load_workspace(target), SourceChain([src]))
    assert "a.test/x v1.0.0 => fork.test/x v2.0.0+incompatible" in graph.list_lines()
    assert graph.selected["a.test/y"] == "v1.0.0"
    assert "fork.test/all@v1.0.0" not in src.asked


def test_local_replacement_without_go_mod_is_rejected(tmp_path: Path) -> None:
    target = _main(tmp_path, "go 1.17\nrequire a.test/x v1.0.0\nreplace a.test/x => ./nowhere\n")
    with pytest.raises(InvalidInputError, match=r"no go\.mod"):
        resolve(load_workspace(target), SourceChain([]))


def _module(root: Path, name: str, body: str) -> None:
    (root / name).mkdir()
    (root / name / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.18\n{body}")


def test_workspace_replace_conflict_and_go_work_override(tmp_path: Path) -> None:
    _module(tmp_path, "one", "replace a.test/x v1.0.0 => a.test/x v1.1.0\n")
    _module(tmp_path, "two", "replace a.test/x v1.0.0 => a.test/x v1.2.0\n")
    (tmp_path / "go.work").write_text("go 1.19\nuse ./one\nuse ./two\n")
    with pytest.raises(InvalidInputError, match="conflicting replacements"):
        load_workspace(tmp_path)
    (tmp_path / "go.work").write_text(
        "go 1.19\nuse (\n\t./one\n\t./two\n)\nreplace a.test/x => a.test/x v1.3.0\n"
    )
    ws = load_workspace(tmp_path / "go.work")
    found = ws.replacement(ModuleVersion("a.test/x", "v1.0.0"))
    assert found is not None and found[0].new == ModuleVersion("a.test/x", "v1.3.0")
    assert [m.path for m in ws.mains] == ["example.com/one", "example.com/two"]


def test_duplicate_workspace_module_and_missing_paths(tmp_path: Path) -> None:
    _module(tmp_path, "one", "")
    (tmp_path / "go.work").write_text("go 1.19\nuse ./one\nuse ./one/../one\n")
    with pytest.raises(InvalidInputError, match="appears twice"):
        load_workspace(tmp_path)
    with pytest.raises(UsageError):
        load_workspace(tmp_path / "missing")
    (tmp_path / "go.work").write_text("go 1.19\nuse ./absent\n")
    with pytest.raises(InvalidInputError, match=r"go\.mod is missing"):
        load_workspace(tmp_path)


def test_oversized_go_mod_is_limited(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_bytes(b"module m\n" + b"// pad\n" * (3 << 20))
    with pytest.raises(LimitExceededError):
        load_workspace(tmp_path)
