"""``supplychain gomod graph``: text equal to go's own output, stable JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli.main import run
from supplychain.errors import ExitCode
from tests.catalog.golang.conftest import GoFixtures


def test_text_is_go_list_then_go_mod_graph(
    gofixtures: GoFixtures, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = gofixtures("replace")
    code = run(["gomod", "graph", str(fx.target), "--gomodcache", str(fx.gomodcache), "--no-go"])
    assert code == ExitCode.OK
    out = capsys.readouterr().out.splitlines()
    at = out.index("# graph")
    assert out[0] == "# build list"
    assert out[1:at] == fx.go("list", "-m", "all")
    assert out[at + 1 :] == fx.go("mod", "graph")


def test_json(gofixtures: GoFixtures, capsys: pytest.CaptureFixture[str]) -> None:
    fx = gofixtures("replace")
    argv = ["gomod", "graph", str(fx.target / "go.mod"), "--format", "json"]
    assert run([*argv, "--gomodcache", str(fx.gomodcache), "--no-go"]) == ExitCode.OK
    doc = json.loads(capsys.readouterr().out)
    assert doc["schemaVersion"] == 1
    assert doc["mainModules"] == ["example.com/app"]
    assert doc["pruning"] == "pruned"
    util = next(m for m in doc["buildList"] if m["path"] == "example.com/util")
    assert util["replace"] == {"path": "github.com/Acme/util", "version": "v1.1.2"}
    assert util["indirect"] is True and util["h1"].startswith("h1:")
    edges = {(e["from"], e["to"]) for e in doc["edges"]}
    assert edges == {tuple(line.split()) for line in fx.go("mod", "graph")}
    assert doc["unknown"] == []


def test_unknown_is_reported(
    gofixtures: GoFixtures, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = gofixtures("diamond")
    argv = ["gomod", "graph", str(fx.target), "--gomodcache", str(tmp_path / "none"), "--no-go"]
    assert run(argv) == ExitCode.OK
    captured = capsys.readouterr()
    assert "# unknown: go.mod of example.com/a@v1.0.0 unavailable offline" in captured.out
    assert "NOASSERTION" in captured.err


def test_malformed_go_mod_is_rejected_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "go.mod").write_text("module m\n\nrequire example.com/x 1.0\n")
    assert run(["gomod", "graph", str(tmp_path), "--no-go"]) == ExitCode.REJECTED
    err = capsys.readouterr().err
    assert f"{tmp_path / 'go.mod'}:3:" in err
    assert "require example.com/x 1.0" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_malformed_go_sum_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "go.mod").write_text("module m\n\ngo 1.19\n")
    (tmp_path / "go.sum").write_text("example.com/x v1.0.0\n")
    assert run(["gomod", "graph", str(tmp_path), "--no-go"]) == ExitCode.REJECTED
    assert "go.sum:1: malformed go.sum line" in capsys.readouterr().err


def test_directory_without_go_mod_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["gomod", "graph", str(tmp_path)]) == ExitCode.USAGE
    assert "no go.mod or go.work" in capsys.readouterr().err


def test_sbom_gomod_and_gobin_through_the_cli(gofixtures: GoFixtures, tmp_path: Path) -> None:
    fx = gofixtures("diamond")
    out = tmp_path / "o.json"
    assert run(["-q", "sbom", f"gomod:{fx.target}", "-o", str(out)]) == ExitCode.OK
    doc = json.loads(out.read_text())
    assert any(p["name"] == "example.com/c" for p in doc["packages"])
    binary = Path(__file__).parents[3] / "testdata" / "gomod" / "gobin" / "hello-linux-amd64"
    assert run(["-q", "sbom", f"gobin:{binary}", "-o", str(out)]) == ExitCode.OK
    assert "pkg:golang/stdlib@" in out.read_text()
    assert run(["-q", "sbom", f"gobin:{fx.target / 'go.mod'}"]) == ExitCode.REJECTED


def test_malformed_modules_txt_and_go_work_are_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "go.mod").write_text("module m\n\ngo 1.19\n")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "modules.txt").write_text("# example.com/x v1.0.0\nfoo bar\n")
    assert run(["gomod", "graph", str(tmp_path), "--no-go"]) == ExitCode.REJECTED
    err = capsys.readouterr().err
    assert "modules.txt:2: package line outside a module" in err
    work = tmp_path / "w"
    work.mkdir()
    (work / "go.work").write_text("go 1.19\nuse (\n./a\n")
    assert run(["gomod", "graph", str(work), "--no-go"]) == ExitCode.REJECTED
    assert "go.work:2: block is never closed" in capsys.readouterr().err
