"""Go SBOMs: SPDX validated by spdx-tools and CycloneDX by its schema, DEPENDS_ON edges equal to
``go mod graph`` restricted to the build list, replacements recorded both ways, h1 as a
property, NOASSERTION where a go.mod is unavailable; binaries from their build info."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from supplychain.catalog.golang.sbom import sbom_from_gobin, sbom_from_gomod
from supplychain.formats.cyclonedx import write_cyclonedx
from supplychain.formats.spdx import write_spdx
from supplychain.model.sbom import NOASSERTION, NONE, RelType, Sbom
from tests.catalog.golang.conftest import GoFixtures
from tests.catalog.golang.gotool_env import run_go
from tests.conftest import require_binary

CREATED = datetime(2025, 1, 1, tzinfo=timezone.utc)
BINARY = Path(__file__).parents[3] / "testdata" / "gomod" / "gobin" / "hello-linux-amd64"


def _valid_spdx(sbom: Sbom, tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "doc.spdx.json"
    path.write_bytes(write_spdx(sbom))
    assert validate_full_spdx_document(parse_file(str(path))) == []
    doc: dict[str, object] = json.loads(path.read_bytes())
    return doc


def _valid_cyclonedx(sbom: Sbom) -> dict[str, object]:
    data = write_cyclonedx(sbom)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None
    doc: dict[str, object] = json.loads(data)
    return doc


def _edges_by_name(sbom: Sbom) -> set[tuple[str, str]]:
    names = {p.ref: p.name for p in sbom.packages}
    return {
        (names[r.source], names.get(r.target, r.target))
        for r in sbom.relationships
        if r.type == RelType.DEPENDS_ON
    }


def test_spdx_edges_match_go_mod_graph(gofixtures: GoFixtures, tmp_path: Path) -> None:
    """Unpruned fixture: go loads every selected module, so the oracle has all their edges."""
    fx = gofixtures("unpruned")
    sbom = sbom_from_gomod(fx.target, created=CREATED, gomodcache=fx.gomodcache, use_go=False)
    doc = _valid_spdx(sbom, tmp_path)
    listed = fx.go("list", "-m", "all")
    selected = {line.split()[0]: ([*line.split(), ""])[1] for line in listed}
    main = listed[0]
    expected: set[tuple[str, str]] = set()
    for line in fx.go("mod", "graph"):
        source, target = line.split()
        spath, _, sver = source.partition("@")
        tpath = target.partition("@")[0]
        if spath == main or selected.get(spath) != sver:
            continue  # main's edges are checked below; unselected versions are not in the SBOM
        expected.add((spath, tpath))
    ours = _edges_by_name(sbom)
    non_main = {(s, t) for s, t in ours if s != main and t not in (NONE, NOASSERTION)}
    assert non_main == expected
    direct = {
        line.split()[0]
        for line in (fx.target / "go.mod").read_text().splitlines()
        if line.startswith("\texample.com/") and "// indirect" not in line
    }
    main_targets = {t for s, t in ours if s == main}
    assert direct <= main_targets
    # SPDX carries the same edges (by SPDXID) as the model
    rels = doc["relationships"]
    assert isinstance(rels, list)
    depends = [r for r in rels if r["relationshipType"] == "DEPENDS_ON"]
    assert len(depends) == sum(1 for r in sbom.relationships if r.type == RelType.DEPENDS_ON)


def test_replacements_and_h1(gofixtures: GoFixtures, tmp_path: Path) -> None:
    fx = gofixtures("replace")
    sbom = sbom_from_gomod(fx.target, created=CREATED, gomodcache=fx.gomodcache, use_go=False)
    _valid_spdx(sbom, tmp_path)
    cdx = _valid_cyclonedx(sbom)
    by_name = {p.name: p for p in sbom.packages}
    util = by_name["github.com/Acme/util"]
    props = dict(util.properties)
    assert util.purl == "pkg:golang/github.com/Acme/util@v1.1.2"
    assert props["supplychain:golang:replaces"] == "example.com/util@v1.1.0"
    assert props["supplychain:golang:h1"].startswith("h1:")
    assert util.checksums == ()  # h1 hashes no single file: never a checksum
    gosum = (fx.target / "go.sum").read_text()
    assert f"github.com/Acme/util v1.1.2 {props['supplychain:golang:h1']}" in gosum
    local = by_name["example.com/loc"]
    assert local.version == "(devel)"
    assert local.purl == "pkg:golang/example.com/loc"
    assert dict(local.properties)["supplychain:golang:replace-local"] == "./loc"
    pinned = by_name["example.com/pinned"]
    assert pinned.version == "v1.0.0"
    assert dict(pinned.properties)["supplychain:golang:replaces"] == "example.com/pinned@v1.3.0"
    edges = _edges_by_name(sbom)
    # lib requires util at an excluded version: the edge goes to the selected (replaced) module
    assert ("example.com/lib", "github.com/Acme/util") in edges
    assert ("example.com/loc", "example.com/gone") in edges
    deps = cdx["dependencies"]
    assert isinstance(deps, list)
    root = next(d for d in deps if d["ref"] == sbom.root)
    assert len(root["dependsOn"]) == 3  # lib, loc, pinned: the direct requirements


def test_missing_go_mod_is_noassertion(gofixtures: GoFixtures, tmp_path: Path) -> None:
    fx = gofixtures("diamond")
    sbom = sbom_from_gomod(fx.target, created=CREATED, gomodcache=tmp_path / "none", use_go=False)
    _valid_spdx(sbom, tmp_path)
    cdx = _valid_cyclonedx(sbom)
    edges = _edges_by_name(sbom)
    for name in ("example.com/a", "example.com/b", "example.com/c", "example.com/d"):
        assert (name, NOASSERTION) in edges
    # without go.mod files the build list is what go.mod lists: nothing invented
    assert {p.name for p in sbom.packages} == {
        "example.com/app", "example.com/a", "example.com/b", "example.com/c", "example.com/d"
    }  # fmt: skip
    assert any(k == "supplychain:warning" and "NOASSERTION" in v for k, v in sbom.properties)
    assert any(c.get("aggregate") == "unknown" for c in cdx["compositions"])  # type: ignore[union-attr]


def test_workspace_sbom(gofixtures: GoFixtures, tmp_path: Path) -> None:
    fx = gofixtures("workspace")
    sbom = sbom_from_gomod(fx.target, created=CREATED, gomodcache=fx.gomodcache, use_go=False)
    _valid_spdx(sbom, tmp_path)
    edges = _edges_by_name(sbom)
    root = sbom.package(sbom.root).name
    assert {(root, "example.com/one"), (root, "example.com/two")} <= edges
    assert ("example.com/one", "example.com/x") in edges
    assert ("example.com/x", "example.com/y") in edges
    assert {p.version for p in sbom.packages if p.name == "example.com/x"} == {"v1.1.0"}


def test_sbom_is_deterministic(gofixtures: GoFixtures) -> None:
    fx = gofixtures("diamond")
    first = sbom_from_gomod(fx.target, created=CREATED, gomodcache=fx.gomodcache, use_go=False)
    again = sbom_from_gomod(fx.target, created=CREATED, gomodcache=fx.gomodcache, use_go=False)
    assert write_spdx(first) == write_spdx(again)


def test_gobin_committed_binary(tmp_path: Path) -> None:
    sbom = sbom_from_gobin(BINARY, created=CREATED)
    _valid_spdx(sbom, tmp_path)
    names = {p.name: p for p in sbom.packages}
    assert set(names) == {"example.com/gobinfixture", "stdlib"}
    std = names["stdlib"]
    assert std.purl is not None and std.purl.startswith("pkg:golang/stdlib@1.")
    assert std.cpes and std.cpes[0].startswith("cpe:2.3:a:golang:go:1.")


def test_gobin_with_module_cache_edges(gofixtures: GoFixtures, tmp_path: Path) -> None:
    """A binary built from the diamond fixture: build info decides the members; the module
    cache supplies edges between them; without the cache they are NOASSERTION."""
    go = require_binary("go")
    fx = gofixtures("diamond")
    binary = tmp_path / "app"
    env = dict(fx.env(), GOFLAGS="-mod=mod")
    run_go(go, ["build", "-o", str(binary), "."], fx.run_dir, env)
    with_cache = sbom_from_gobin(binary, created=CREATED, gomodcache=fx.gomodcache)
    _valid_spdx(with_cache, tmp_path)
    names = {p.name for p in with_cache.packages}
    assert {"example.com/a", "example.com/b", "example.com/c", "example.com/d", "stdlib"} <= names
    edges = _edges_by_name(with_cache)
    assert ("example.com/a", "example.com/c") in edges
    assert ("example.com/c", "example.com/d") in edges
    bare = sbom_from_gobin(binary, created=CREATED, gomodcache=tmp_path / "none")
    bare_edges = _edges_by_name(bare)
    assert ("example.com/a", NOASSERTION) in bare_edges
    assert ("example.com/app", "example.com/c") in bare_edges  # main depends on every module
