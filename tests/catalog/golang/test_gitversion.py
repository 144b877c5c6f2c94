"""The main module's version from .git, read without git, checked against repos made by git."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from supplychain.catalog.golang.gitversion import main_version
from supplychain.catalog.golang.sbom import sbom_from_gomod
from tests.conftest import require_binary

STAMP = "2024-02-03T04:05:06+00:00"


def _git(repo: Path, *args: str) -> str:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "GIT_AUTHOR_DATE": STAMP,
        "GIT_COMMITTER_DATE": STAMP,
    }
    proc = subprocess.run(
        [require_binary("git"), *args], cwd=repo, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    (root / "go.mod").write_text("module example.com/app\n\ngo 1.19\n")
    (root / "sub").mkdir()
    (root / "sub" / "go.mod").write_text("module example.com/app/sub/v2\n\ngo 1.19\n")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "one")
    return root


def test_pseudo_version_without_tags(repo: Path) -> None:
    head = _git(repo, "rev-parse", "HEAD")
    assert main_version(repo, "example.com/app") == (
        f"v0.0.0-20240203040506-{head[:12]}",
        "git-pseudo",
    )
    assert main_version(repo / "sub", "example.com/app/sub/v2") == (
        f"v2.0.0-20240203040506-{head[:12]}",
        "git-pseudo",
    )


def test_lightweight_annotated_packed_and_prefixed_tags(repo: Path) -> None:
    _git(repo, "tag", "v1.2.0")
    _git(repo, "tag", "-a", "v1.3.0", "-m", "release")
    _git(repo, "tag", "not-semver")
    _git(repo, "tag", "v3.0.0")  # wrong major for a v0/v1 path: ignored
    _git(repo, "tag", "sub/v2.1.0")
    assert main_version(repo, "example.com/app") == ("v1.3.0", "git-tag")
    assert main_version(repo / "sub", "example.com/app/sub/v2") == ("v2.1.0", "git-tag")
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "tags" / "v1.3.0").exists()
    assert main_version(repo, "example.com/app") == ("v1.3.0", "git-tag")
    (repo / "x").write_text("x")
    _git(repo, "add", "x")
    _git(repo, "commit", "-q", "-m", "two")
    version, source = main_version(repo, "example.com/app") or ("", "")
    assert source == "git-pseudo" and version.startswith("v0.0.0-20240203040506-")


def test_no_git_or_broken_git(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module m\n")
    assert main_version(tmp_path, "m") is None
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_bytes(b"\xff\xfe garbage")
    assert main_version(tmp_path, "m") is None
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/../../../../etc/passwd\n")
    assert main_version(tmp_path, "m") is None


def test_sbom_uses_tag_or_explicit_version(repo: Path) -> None:
    _git(repo, "tag", "v1.4.0")
    created = datetime(2025, 1, 1, tzinfo=timezone.utc)
    sbom = sbom_from_gomod(repo, created=created, use_go=False)
    root = sbom.package(sbom.root)
    assert (root.version, root.purl) == ("v1.4.0", "pkg:golang/example.com/app@v1.4.0")
    assert ("supplychain:golang:version-source", "git-tag") in root.properties
    sbom = sbom_from_gomod(repo, created=created, use_go=False, version="v9.9.9")
    assert sbom.package(sbom.root).version == "v9.9.9"
