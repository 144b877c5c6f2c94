"""os-release parsing and distro facts."""

from __future__ import annotations

from pathlib import Path

from supplychain.catalog.fileview import DirView
from supplychain.catalog.os_release import Distro, detect, distro_from_text, parse_os_release


def test_quotes_and_escapes() -> None:
    values = parse_os_release(
        'ID="rhel"\nNAME=\'Red Hat\'\nPRETTY_NAME="A \\"quoted\\" name"\n# c\nBAD LINE\n'
    )
    assert values == {"ID": "rhel", "NAME": "Red Hat", "PRETTY_NAME": 'A "quoted" name'}


def test_distro_facts() -> None:
    distro = distro_from_text('ID=Ubuntu\nVERSION_ID="22.04"\nID_LIKE=debian\n')
    assert distro == Distro(
        id="ubuntu",
        version_id="22.04",
        id_like=("debian",),
        location="etc/os-release",
    )
    assert distro.distro_qualifier == "ubuntu-22.04"
    assert distro.supplier == "Organization: Canonical"
    assert Distro(id="debian").distro_qualifier is None
    assert Distro(id="unknownix").supplier is None
    assert distro_from_text("NAME=x\n") is None


def test_fallback_path(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "usr/lib/os-release").write_text("ID=alpine\nVERSION_ID=3.19.1\n")
    distro = detect(DirView(tmp_path))
    assert distro is not None and distro.location == "usr/lib/os-release"


def test_os_release_symlink_is_followed_inside_root(tmp_path: Path) -> None:
    (tmp_path / "usr/lib").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "usr/lib/os-release").write_text("ID=debian\nVERSION_ID=12\n")
    (tmp_path / "etc/os-release").symlink_to("../usr/lib/os-release")
    distro = detect(DirView(tmp_path))
    assert distro is not None and distro.id == "debian" and distro.version_id == "12"


def test_none_without_os_release(tmp_path: Path) -> None:
    assert detect(DirView(tmp_path)) is None
