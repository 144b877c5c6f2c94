"""npm cataloger: node_modules layout, Node's upward resolution, hidden lockfile."""

from __future__ import annotations

import base64
from pathlib import Path

from supplychain.catalog.fileview import DirView
from supplychain.catalog.npm import NpmCataloger
from supplychain.model.sbom import Purpose, RelType
from tests.catalog.helpers import by_name, edges


def test_packages_and_scoped_purl(trees: dict[str, Path]) -> None:
    result = NpmCataloger().catalog(DirView(trees["debian"]))
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:npm/%40types/node@20.10.5",
        "pkg:npm/app@1.0.0",
        "pkg:npm/debug@2.6.9",
        "pkg:npm/legacy-licensed@0.1.0",
        "pkg:npm/ms@2.0.0",
        "pkg:npm/ms@2.1.3",
        "pkg:npm/undici-types@5.26.5",
    ]  # no "not-a-package" (debug/src/package.json); the app's own manifest is reported


def test_nearest_node_modules_wins(trees: dict[str, Path]) -> None:
    result = NpmCataloger().catalog(DirView(trees["debian"]))
    nested = next(p for p in result.packages if p.purl == "pkg:npm/ms@2.0.0")
    debug = by_name(result, "debug")
    assert [r.target for r in result.relationships if r.source == debug.ref] == [nested.ref]
    assert ("@types/node", "undici-types") in edges(result)


def test_lockfile_integrity_and_resolved(trees: dict[str, Path]) -> None:
    result = NpmCataloger().catalog(DirView(trees["debian"]))
    ms = next(p for p in result.packages if p.purl == "pkg:npm/ms@2.1.3")
    assert ms.download_location == "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz"
    assert [c.algorithm for c in ms.checksums] == ["SHA512"]
    integrity = (
        "6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="
    )
    assert ms.checksums[0].value == base64.b64decode(integrity).hex()


def test_legacy_licences_and_author_object(trees: dict[str, Path]) -> None:
    pkg = by_name(NpmCataloger().catalog(DirView(trees["debian"])), "legacy-licensed")
    assert pkg.license_declared == "Apache-2.0 OR MIT"
    assert pkg.supplier == "Person: Some Body (some@body.example)"


def test_broken_json_is_a_finding(tmp_path: Path) -> None:
    pkg = tmp_path / "node_modules/bad"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "bad", ')
    result = NpmCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert result.findings[0].subject == "node_modules/bad/package.json"


def test_wants() -> None:
    c = NpmCataloger()
    assert c.wants("app/node_modules/a/package.json")
    assert c.wants("node_modules/@s/b/package.json")
    assert c.wants("node_modules/a/node_modules/b/package.json")
    assert c.wants("node_modules/.package-lock.json")
    assert not c.wants("node_modules/a/lib/package.json")
    assert c.wants("app/package.json")  # an application root, if node_modules is beside it
    assert not c.wants("app/node_modules/a/lib/package.json")


def test_app_lockfile_without_node_modules_is_declared(tmp_path: Path) -> None:
    import json

    app = tmp_path / "srv/web"
    app.mkdir(parents=True)
    (app / "package-lock.json").write_text(
        json.dumps(
            {
                "name": "web",
                "lockfileVersion": 3,
                "packages": {
                    "": {"name": "web", "version": "1.0.0", "dependencies": {"debug": "^4"}},
                    "node_modules/debug": {
                        "version": "4.3.4",
                        "resolved": "https://registry.npmjs.org/debug/-/debug-4.3.4.tgz",
                        "license": "MIT",
                        "dependencies": {"ms": "2.1.2"},
                    },
                    "node_modules/ms": {"version": "2.1.2", "license": "MIT"},
                    "node_modules/jest": {"version": "29.7.0", "dev": True},
                },
            }
        )
    )
    result = NpmCataloger().catalog(DirView(tmp_path))
    assert sorted(p.purl or "" for p in result.packages) == [
        "pkg:npm/debug@4.3.4",
        "pkg:npm/ms@2.1.2",
    ]  # the dev-only jest is not installed in an image
    assert ("debug", "ms") in edges(result)
    assert ("supplychain:npm:declared", "srv/web/package-lock.json") in by_name(
        result, "debug"
    ).properties


def test_app_lockfile_ignored_when_node_modules_exists(trees: dict[str, Path]) -> None:
    import json

    lock = trees["debian"] / "srv/app/package-lock.json"
    lock.write_text(json.dumps({"packages": {"node_modules/ghost": {"version": "9.9.9"}}}))
    try:
        result = NpmCataloger().catalog(DirView(trees["debian"]))
    finally:
        lock.unlink()
    assert "ghost" not in {p.name for p in result.packages}


def test_application_root_is_reported_and_depends_on_its_installed_dependencies(
    tmp_path: Path,
) -> None:
    import json

    app = tmp_path / "srv/web"
    (app / "node_modules/debug/node_modules/ms").mkdir(parents=True)
    (app / "node_modules/ms").mkdir(parents=True)
    (app / "package.json").write_text(
        json.dumps(
            {
                "name": "web",
                "version": "2.0.0",
                "license": "MIT",
                "author": "Acme Web <web@acme.example>",
                "dependencies": {"debug": "^2", "ms": "^2.1", "absent": "^1"},
                "devDependencies": {"jest": "^29"},
            }
        )
    )
    for rel, version in (("debug", "2.6.9"), ("ms", "2.1.3"), ("debug/node_modules/ms", "2.0.0")):
        name = rel.rpartition("/")[2]
        deps = {"ms": "2.0.0"} if name == "debug" else {}
        (app / "node_modules" / rel / "package.json").write_text(
            json.dumps({"name": name, "version": version, "dependencies": deps})
        )
    # A package.json with no node_modules beside it is not an installed application.
    (tmp_path / "opt/tool").mkdir(parents=True)
    (tmp_path / "opt/tool/package.json").write_text('{"name": "tool", "version": "1.0.0"}')
    result = NpmCataloger().catalog(DirView(tmp_path))
    web = by_name(result, "web")
    assert web.purl == "pkg:npm/web@2.0.0"
    assert web.purpose is Purpose.APPLICATION
    assert web.license_declared == "MIT"
    assert web.supplier == "Person: Acme Web (web@acme.example)"
    targets = {
        next(p.purl for p in result.packages if p.ref == r.target)
        for r in result.relationships
        if r.source == web.ref and r.type is RelType.DEPENDS_ON
    }
    # the top-level copies Node would load from the app's directory; no "absent", no dev deps
    assert targets == {"pkg:npm/debug@2.6.9", "pkg:npm/ms@2.1.3"}
    assert "tool" not in {p.name for p in result.packages}


def test_application_manifest_without_name_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "package.json").write_text('{"private": true}')
    result = NpmCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert [f.subject for f in result.findings] == ["package.json"]
