"""Go binary cataloger on a real binary built by the installed Go toolchain."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from supplychain.catalog.fileview import DirView
from supplychain.catalog.gobinary import GoBinaryCataloger, stdlib_cpe, stdlib_version
from tests.catalog.helpers import by_name, edges
from tests.conftest import require_binary


@pytest.fixture(scope="module")
def go_rootfs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A rootfs with one Go binary: main module + a locally replaced dependency, offline."""
    go = require_binary("go")
    src = tmp_path_factory.mktemp("gosrc")
    (src / "lib").mkdir()
    (src / "lib/go.mod").write_text("module example.com/lib\n\ngo 1.19\n")
    (src / "lib/lib.go").write_text('package lib\n\nfunc Hello() string { return "hi" }\n')
    (src / "app").mkdir()
    (src / "app/go.mod").write_text(
        "module github.com/acme/app\n\ngo 1.19\n\nrequire example.com/lib v1.2.0\n\n"
        "replace example.com/lib => ../lib\n"
    )
    (src / "app/main.go").write_text(
        'package main\n\nimport (\n\t"fmt"\n\t"example.com/lib"\n)\n\n'
        "func main() { fmt.Println(lib.Hello()) }\n"
    )
    root = tmp_path_factory.mktemp("gorootfs")
    (root / "usr/local/bin").mkdir(parents=True)
    env = {
        **os.environ,
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
        "CGO_ENABLED": "0",
        "GOCACHE": str(tmp_path_factory.mktemp("gocache")),
        "GOPATH": str(tmp_path_factory.mktemp("gopath")),
    }
    subprocess.run(
        [go, "build", "-trimpath", "-o", str(root / "usr/local/bin/app"), "."],
        cwd=src / "app",
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Not Go: a shell script, and a file with an ELF magic but garbage after it.
    (root / "usr/local/bin/script").write_text("#!/bin/sh\necho hi\n" * 10)
    (root / "usr/local/bin/fake").write_bytes(b"\x7fELF" + b"\x00" * 200)
    shutil.copy(root / "usr/local/bin/app", root / "usr/local/bin/app-copy.dat")  # no exec bit
    os.chmod(root / "usr/local/bin/app-copy.dat", 0o644)
    return root


@pytest.mark.gotool
def test_main_module_deps_and_stdlib(go_rootfs: Path) -> None:
    result = GoBinaryCataloger().catalog(DirView(go_rootfs))
    app = by_name(result, "github.com/acme/app")
    assert app.purl == "pkg:golang/github.com/acme/app"  # (devel): no version in the purl
    assert app.version == "(devel)"
    assert app.supplier == "Organization: acme"
    props = dict(app.properties)
    assert props["supplychain:golang:toolchain"].startswith("go1.")
    assert props["supplychain:golang:build:-trimpath"] == "true"
    assert props["supplychain:platform"].startswith("linux/")
    lib = by_name(result, "example.com/lib")
    assert lib.version == "(devel)"
    assert lib.purl == "pkg:golang/example.com/lib"
    assert dict(lib.properties)["supplychain:golang:replace-local"] == "../lib"
    std = by_name(result, "stdlib")
    assert std.purl is not None and std.purl.startswith("pkg:golang/stdlib@1.")
    assert std.cpes and std.cpes[0].startswith("cpe:2.3:a:golang:go:1.")
    got = edges(result)
    assert {("github.com/acme/app", "example.com/lib"), ("github.com/acme/app", "stdlib")} <= got
    assert ("example.com/lib", "NOASSERTION") in got


@pytest.mark.gotool
def test_exec_bit_ignored_and_non_go_files_skipped(go_rootfs: Path) -> None:
    result = GoBinaryCataloger().catalog(DirView(go_rootfs))
    locations = {v for p in result.packages for k, v in p.properties if k == "supplychain:location"}
    assert "usr/local/bin/app-copy.dat" in locations
    assert not any("script" in loc or "fake" in loc for loc in locations)


def test_upx_packed_binary_is_reported(tmp_path: Path) -> None:
    (tmp_path / "packed").write_bytes(b"\x7fELF" + b"\x00" * 100 + b"UPX!" + b"\x00" * 100)
    result = GoBinaryCataloger().catalog(DirView(tmp_path))
    assert result.packages == []
    assert [f.code for f in result.findings] == ["sbom.packed-binary"]


@pytest.mark.parametrize(
    ("go", "version", "cpe"),
    [
        ("go1.22.1", "1.22.1", "cpe:2.3:a:golang:go:1.22.1:-:*:*:*:*:*:*"),
        ("go1.23rc1", "1.23.0-rc.1", "cpe:2.3:a:golang:go:1.23.0:rc1:*:*:*:*:*:*"),
        ("go1.20", "1.20.0", "cpe:2.3:a:golang:go:1.20.0:-:*:*:*:*:*:*"),
    ],
)
def test_stdlib_version_and_cpe(go: str, version: str, cpe: str) -> None:
    assert stdlib_version(go) == version
    assert stdlib_cpe(go) == cpe


def test_wants_by_content_only() -> None:
    c = GoBinaryCataloger()
    assert not c.wants("usr/bin/app")
    assert b"\x7fELF" in c.magics and b"MZ" in c.magics
