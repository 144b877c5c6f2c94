from __future__ import annotations

from pathlib import Path

import pytest

from supplychain._internal.fileio import atomic_write_bytes
from supplychain.cli.main import run
from supplychain.errors import UsageError


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    atomic_write_bytes(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_unwritable_target_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as info:
        atomic_write_bytes(tmp_path / "missing" / "out.json", b"x")
    assert "missing/out.json" in info.value.diagnostics()
    directory = tmp_path / "a-directory"
    directory.mkdir()
    with pytest.raises(UsageError):
        atomic_write_bytes(directory, b"x")
    assert list(directory.iterdir()) == []


def test_cli_output_into_missing_directory_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[2] / "testdata" / "images" / "sample-oci"
    out = tmp_path / "nope" / "x.spdx.json"
    assert run(["-q", "sbom", f"oci:{sample}", "--no-cache", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "cannot write here" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
