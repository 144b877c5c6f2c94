"""Our build list and graph against the Go 1.19 toolchain, exactly, on generated fixtures.

Oracle: ``go list -m all`` (build list, with replacements) and ``go mod graph`` (edges, in go's
breadth-first order), run offline (GOPROXY=off) over the module cache the fixture warmed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supplychain.catalog.golang.analysis import analyze
from supplychain.catalog.golang.modfile import ModuleVersion
from supplychain.catalog.golang.mvs import load_workspace, resolve
from supplychain.catalog.golang.sources import SourceChain, default_sources, escape_path
from tests.catalog.golang.conftest import GoFixtures

CASES = ["diamond", "unpruned", "pruning", "replace", "retract", "workspace", "vendor"]


@pytest.mark.parametrize("name", CASES)
def test_build_list_and_graph_equal_go(gofixtures: GoFixtures, name: str) -> None:
    fx = gofixtures(name)
    graph = resolve(load_workspace(fx.target), default_sources(fx.target, gomodcache=fx.gomodcache))
    assert graph.list_lines() == fx.go("list", "-m", "all")
    assert graph.graph_lines() == fx.go("mod", "graph")
    assert graph.unknown == set()


def test_large_fixture_equals_go(gofixtures: GoFixtures) -> None:
    fx = gofixtures("large")
    graph = resolve(load_workspace(fx.target), default_sources(fx.target, gomodcache=fx.gomodcache))
    listed = fx.go("list", "-m", "all")
    assert len(listed) >= 300
    assert graph.list_lines() == listed
    assert graph.graph_lines() == fx.go("mod", "graph")


def test_fixtures_cover_what_they_claim(gofixtures: GoFixtures) -> None:
    """Guards the fixtures themselves: each behaviour really is exercised."""
    diamond = resolve(
        load_workspace(gofixtures("diamond").target),
        default_sources(gofixtures("diamond").target, gomodcache=gofixtures("diamond").gomodcache),
    )
    # version conflict: c required at v1.1.0 and v1.2.0, v1.2.0 selected
    assert diamond.selected["example.com/c"] == "v1.2.0"
    assert ModuleVersion("example.com/c", "v1.1.0") in diamond.walk()
    # the main module required at a version by a dependency stays the main module
    assert ModuleVersion("example.com/app", "v0.9.0") in diamond.walk()
    assert diamond.selected["example.com/app"] == ""
    fx = gofixtures("pruning")
    pruned = resolve(
        load_workspace(fx.target), default_sources(fx.target, gomodcache=fx.gomodcache)
    )
    # go 1.16 "old" is expanded (leaf reached); go 1.17 "new" is not ("hidden" never seen)
    assert "example.com/leaf" in pruned.selected
    assert "example.com/hidden" not in pruned.selected
    fx = gofixtures("replace")
    rep = resolve(load_workspace(fx.target), default_sources(fx.target, gomodcache=fx.gomodcache))
    # lib requires util v1.0.5, which main excludes: that edge is dropped, not the path
    lib_reqs = rep.required[ModuleVersion("example.com/lib", "v1.2.0")]
    assert ModuleVersion("example.com/util", "v1.0.5") not in lib_reqs
    assert rep.selected["example.com/util"] == "v1.1.0"


def _copy_download_cache(src: Path, dst: Path) -> Path:
    shutil.copytree(src / "cache" / "download", dst / "cache" / "download")
    return dst


def test_module_cache_missing_go_mod_is_unknown_not_invented(
    gofixtures: GoFixtures, tmp_path: Path
) -> None:
    fx = gofixtures("pruning")
    cache = _copy_download_cache(fx.gomodcache, tmp_path / "modcache")
    missing = cache / "cache" / "download" / escape_path("example.com/mid") / "@v" / "v1.0.0.mod"
    missing.unlink()
    graph = resolve(load_workspace(fx.target), default_sources(fx.target, gomodcache=cache))
    assert graph.unknown == {ModuleVersion("example.com/mid", "v1.0.0")}
    # leaf is only reachable through mid's go.mod: not guessed into the build list
    assert "example.com/leaf" not in graph.selected
    assert ModuleVersion("example.com/mid", "v1.0.0") not in graph.required
    expected = [
        line for line in fx.go("mod", "graph") if not line.startswith("example.com/mid@v1.0.0 ")
    ]
    assert len(expected) < len(fx.go("mod", "graph"))
    assert graph.graph_lines() == expected


def test_saved_graph_file_without_module_cache(gofixtures: GoFixtures, tmp_path: Path) -> None:
    fx = gofixtures("diamond")
    saved = tmp_path / "graph.txt"
    saved.write_text("\n".join(fx.go("mod", "graph")) + "\n")
    chain = default_sources(fx.target, gomodcache=tmp_path / "empty", graph_file=saved)
    graph = resolve(load_workspace(fx.target), chain)
    assert graph.list_lines() == fx.go("list", "-m", "all")
    assert graph.graph_lines() == fx.go("mod", "graph")


def test_go_toolchain_source_runs_offline(
    gofixtures: GoFixtures, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fx = gofixtures("pruning")
    for key, value in fx.env().items():
        if key.startswith("GO") or key == "HOME":
            monkeypatch.setenv(key, value)
    monkeypatch.setenv("GOPROXY", "https://proxy.invalid")  # the wrapper must force "off"
    chain = default_sources(fx.target, gomodcache=tmp_path / "empty", use_go=True)
    graph = resolve(load_workspace(fx.target), chain)
    assert [s.name for s in chain.sources] == ["go"]
    assert graph.list_lines() == fx.go("list", "-m", "all")
    assert graph.graph_lines() == fx.go("mod", "graph")


def test_no_sources_marks_every_dependency_unknown(gofixtures: GoFixtures, tmp_path: Path) -> None:
    fx = gofixtures("diamond")
    graph = resolve(load_workspace(fx.target), SourceChain([]))
    roots = {m for m in graph.required[ModuleVersion("example.com/app", "")]}
    assert graph.unknown == roots
    assert set(graph.selected) == {"example.com/app"} | {m.path for m in roots}


def test_vendored_build_list(gofixtures: GoFixtures, tmp_path: Path) -> None:
    """Without any module cache, vendor/modules.txt gives the build list: every module go builds
    packages from in vendor mode, plus the explicit requirements."""
    fx = gofixtures("vendor")
    analysis = analyze(fx.target, gomodcache=tmp_path / "empty", use_go=False)
    assert analysis.vendored
    ours = {(i.mod.path, i.mod.version) for i in analysis.build_list if not i.main}
    used = fx.go(
        "list", "-mod=vendor", "-deps", "-f",
        "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}}{{end}}{{end}}", "./...",
    )  # fmt: skip
    from_go = {tuple(line.split()) for line in used if line.strip()}
    explicit = {(r.path, r.version) for r in load_workspace(fx.target).mains[0].modfile.requires}
    assert ours == from_go | explicit
    # and every vendored module is one go selects with the full graph
    selected = {tuple(line.split()[:2]) for line in fx.go("list", "-m", "all")[1:]}
    assert ours <= selected
