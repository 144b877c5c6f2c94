"""DirView: container path semantics, links kept inside the root, bounded reads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from supplychain.catalog.fileview import (
    DirView,
    FileView,
    glob_match,
    join,
    normalize,
)
from supplychain.errors import LimitExceededError, UsageError


@pytest.fixture()
def rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text("ID=debian\n")
    (root / "usr" / "lib").mkdir(parents=True)
    (root / "usr" / "lib" / "data.txt").write_bytes(b"x" * 100)
    os.symlink("/usr/lib", root / "lib")  # absolute target: the image root, not the host
    os.symlink("../../../../../../etc/hostname", root / "etc" / "climb")
    os.symlink("/", root / "rootlink")
    os.symlink("loop2", root / "loop1")
    os.symlink("loop1", root / "loop2")
    return root


def test_dirview_is_a_fileview(rootfs: Path) -> None:
    assert isinstance(DirView(rootfs), FileView)


def test_paths_lists_files_and_links_not_dirs(rootfs: Path) -> None:
    paths = set(DirView(rootfs).paths())
    assert paths == {
        "etc/os-release",
        "etc/climb",
        "usr/lib/data.txt",
        "lib",
        "rootlink",
        "loop1",
        "loop2",
    }


def test_absolute_symlink_resolves_inside_root(rootfs: Path) -> None:
    view = DirView(rootfs)
    assert view.is_dir("lib")
    assert view.read("lib/data.txt") == b"x" * 100
    assert view.read("rootlink/etc/os-release") == b"ID=debian\n"
    assert view.readlink("lib") == "/usr/lib"


def test_symlink_escape_never_reads_host(rootfs: Path, tmp_path: Path) -> None:
    # A file right next to the root, reachable on the host by "../": must stay unreachable.
    (tmp_path / "secret").write_text("host secret")
    os.symlink("../secret", rootfs / "escape")
    os.symlink("/../../secret", rootfs / "escape2")
    view = DirView(rootfs)
    for link in ("escape", "escape2", "etc/climb", "rootlink/../../secret"):
        assert not view.is_file(link), link
        with pytest.raises(FileNotFoundError):
            view.read(link)


def test_symlink_loop_is_not_a_file(rootfs: Path) -> None:
    view = DirView(rootfs)
    assert not view.exists("loop1")
    with pytest.raises(FileNotFoundError):
        view.open("loop1")


def test_read_limit(rootfs: Path) -> None:
    view = DirView(rootfs)
    assert view.size("usr/lib/data.txt") == 100
    with pytest.raises(LimitExceededError):
        view.read("usr/lib/data.txt", limit=99)
    assert view.read("usr/lib/data.txt", limit=100) == b"x" * 100


def test_fifo_is_never_opened(rootfs: Path) -> None:
    os.mkfifo(rootfs / "fifo")
    view = DirView(rootfs)
    assert not view.is_file("fifo")
    with pytest.raises(FileNotFoundError):
        view.read("fifo")  # would block forever if opened for reading without O_NONBLOCK


def test_layer_of_plain_directory_is_none(rootfs: Path) -> None:
    assert DirView(rootfs).layer_of("etc/os-release") is None


def test_missing_root_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        DirView(tmp_path / "nope")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("/a/./b//c", "a/b/c"), ("../../a", "a"), ("a/../../b", "b"), ("./", ""), ("/", "")],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_join() -> None:
    assert join("usr/lib", "../share") == "usr/share"
    assert join("usr/lib", "/etc") == "etc"


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("**/node_modules/**/package.json", "app/node_modules/a/package.json", True),
        ("**/node_modules/**/package.json", "node_modules/@s/b/package.json", True),
        ("**/node_modules/**/package.json", "app/package.json", False),
        ("var/lib/dpkg/status.d/*", "var/lib/dpkg/status.d/base", True),
        ("var/lib/dpkg/status.d/*", "var/lib/dpkg/status.d/x/y", False),
        ("**/*.jar", "opt/app.jar", True),
        ("**/*.jar", "app.jar", True),
        ("**/*.dist-info/METADATA", "usr/lib/python3/dist-packages/x-1.dist-info/METADATA", True),
        ("*.[jw]ar", "a.war", True),
    ],
)
def test_glob_match(pattern: str, path: str, hit: bool) -> None:
    assert glob_match(pattern, path) is hit
