"""Hostile and ordinary layers through scan + squash (SECURITY.md §4.4, SBOM.md §B.2)."""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from supplychain._internal.tarstream import Kind
from supplychain.catalog.fileview import FileView, LayerRef
from supplychain.catalog.layers.limits import LayerLimits
from supplychain.catalog.layers.scan import CaptureSet, normalise_member, scan_layer
from supplychain.catalog.layers.spool import Spool
from supplychain.errors import IntegrityError, UnsupportedError
from tests.catalog.layers.helpers import diff_id, scan, squash


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    with Spool(str(tmp_path)) as sp:
        yield sp


def _codes(view_or_index: object) -> set[str]:
    return {f.code for f in view_or_index.findings}  # type: ignore[attr-defined]


def _listing(root: Path) -> set[str]:
    return {str(p) for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("name", "path", "problem"),
    [
        ("./etc//passwd", "etc/passwd", ""),
        ("/etc/cron.d/x", "etc/cron.d/x", "absolute path stored as relative"),
        ("../../etc/passwd", "", "path has a '..' component"),
        ("a/../../b", "", "path has a '..' component"),
        ("a\0b", "", "name contains a NUL byte"),
        ("./", "", ""),
        ("back\\slash", "back\\slash", ""),
    ],
)
def test_normalise_member(name: str, path: str, problem: str) -> None:
    assert normalise_member(name) == (path, problem)


def test_view_is_a_fileview(ml: ModuleType, spool: Spool) -> None:
    assert isinstance(squash([ml.tar_bytes([])], spool), FileView)


def test_traversal_member_is_dropped_and_reported(ml: ModuleType, spool: Spool) -> None:
    """NT-T1."""
    index = scan(ml.hostile_layers()["traversal"], spool)
    assert list(index.records) == ["ok"]
    assert "sbom.layer.unsafe-path" in _codes(index)


def test_absolute_member_is_stored_relative_and_reported(ml: ModuleType, spool: Spool) -> None:
    """NT-T2."""
    view = squash([ml.hostile_layers()["absolute"]], spool)
    assert view.read("etc/cron.d/x") == b"* * * * * root sh\n"
    index = scan(ml.hostile_layers()["absolute"], spool)
    assert "sbom.layer.absolute-path" in _codes(index)


def test_symlink_to_root_stays_in_the_image(ml: ModuleType, spool: Spool) -> None:
    """NT-T3: ``a -> /`` then ``a/etc/shadow``: lands on the image's etc/shadow."""
    view = squash([ml.hostile_layers()["symlink-escape"]], spool)
    assert view.read("etc/shadow") == b"inside\n"
    assert view.read("a/etc/shadow") == b"inside\n"
    assert view.readlink("a") == "/"
    assert view.read("a/a/a/../../etc/shadow") == b"inside\n"


def test_symlink_escaping_with_dotdot_resolves_at_root(ml: ModuleType, spool: Spool) -> None:
    tar = ml.tar_bytes(
        [
            ml.Entry("etc/passwd", data=b"image\n"),
            ml.Entry("usr/x", "symlink", link="../../../../../etc/passwd"),
        ]
    )
    view = squash([tar], spool)
    assert view.read("usr/x") == b"image\n"


def test_41_hop_symlink_chain_is_not_followed(ml: ModuleType, spool: Spool) -> None:
    """NT-T4: 40 hops resolve, 41 do not."""
    view = squash([ml.hostile_layers()["symlink-chain"]], spool)
    assert not view.exists("l0")
    assert view.read("l1") == b"end of chain\n"
    assert view.kind_of("l0") is Kind.SYMLINK


def test_symlink_loop_is_not_a_file(ml: ModuleType, spool: Spool) -> None:
    view = squash(
        [ml.tar_bytes([ml.Entry("a", "symlink", link="b"), ml.Entry("b", "symlink", link="a")])],
        spool,
    )
    assert not view.is_file("a")
    assert sorted(view.paths()) == ["a", "b"]


def test_hardlink_out_of_the_archive_is_skipped(ml: ModuleType, spool: Spool) -> None:
    """NT-T5."""
    index = scan(ml.hostile_layers()["hardlink-escape"], spool)
    assert index.records == {}
    assert "sbom.layer.unsafe-link" in _codes(index)


def test_hardlink_to_missing_entry_is_skipped(ml: ModuleType, spool: Spool) -> None:
    view = squash([ml.tar_bytes([ml.Entry("h", "hardlink", link="nowhere")])], spool)
    assert not view.exists("h")
    assert "sbom.layer.hardlink-dangling" in _codes(view)


def test_hardlinks_share_content_within_and_across_layers(ml: ModuleType, spool: Spool) -> None:
    lower = ml.tar_bytes([ml.Entry("usr/bin/python3.11", data=b"\x7fELF python")])
    upper = ml.tar_bytes(
        [
            ml.Entry("usr/bin/python3", "hardlink", link="usr/bin/python3.11"),
            ml.Entry("new", data=b"N"),
            ml.Entry("new2", "hardlink", link="new"),
        ]
    )
    view = squash([lower, upper], spool)
    assert view.read("usr/bin/python3") == b"\x7fELF python"
    assert view.read("new2") == b"N"
    layer = view.layer_of("usr/bin/python3")
    assert layer is not None and layer.index == 1


def test_devices_are_recorded_never_read(ml: ModuleType, spool: Spool) -> None:
    """NT-T6."""
    view = squash([ml.hostile_layers()["devices"]], spool)
    assert view.kind_of("dev/null") is Kind.CHAR
    assert view.kind_of("dev/sda") is Kind.BLOCK
    assert view.kind_of("run/fifo") is Kind.FIFO
    assert not view.is_file("dev/null")
    with pytest.raises(FileNotFoundError):
        view.read("dev/null")


def test_nul_names_are_dropped(ml: ModuleType, spool: Spool) -> None:
    index = scan(ml.hostile_layers()["nul-name"], spool)
    assert list(index.records) == ["fine"]


def test_duplicates_last_wins_and_is_reported(ml: ModuleType, spool: Spool) -> None:
    """NT-T10."""
    tar = ml.hostile_layers()["duplicates"]
    view = squash([tar], spool)
    assert view.read("bin/sh") == b"#!malicious\n"
    assert "sbom.layer.duplicate" in _codes(scan(tar, spool))


def test_whiteout_removes_lower_entry_and_subtree(ml: ModuleType, spool: Spool) -> None:
    lower = ml.tar_bytes(
        [
            ml.Entry("var/lib/dpkg/status", data=b"Package: x\n"),
            ml.Entry("var/lib/dpkg/info/x.list"),
        ]
    )
    upper = ml.tar_bytes([ml.Entry("var/lib/.wh.dpkg")])
    view = squash([lower, upper], spool)
    assert not view.exists("var/lib/dpkg/status")
    assert list(view.paths()) == []
    assert view.is_dir("var/lib")


def test_opaque_dir_after_siblings_hides_only_lower_children(ml: ModuleType, spool: Spool) -> None:
    """NT-T12: the opaque marker comes after same-layer siblings in tar order."""
    lower = ml.tar_bytes([ml.Entry("etc/old", data=b"o"), ml.Entry("etc/keep/deep", data=b"d")])
    upper = ml.tar_bytes([ml.Entry("etc/new", data=b"n"), ml.Entry("etc/.wh..wh..opq")])
    view = squash([lower, upper], spool)
    assert sorted(view.paths()) == ["etc/new"]


def test_same_layer_whiteout_does_not_hide_same_layer_file(ml: ModuleType, spool: Spool) -> None:
    """NT-T13."""
    lower = ml.tar_bytes([ml.Entry("a", data=b"lower")])
    upper = ml.tar_bytes([ml.Entry("a", data=b"upper"), ml.Entry(".wh.a")])
    view = squash([lower, upper], spool)
    assert view.read("a") == b"upper"
    only = squash([ml.tar_bytes([ml.Entry("b", data=b"b"), ml.Entry(".wh.b")])], spool)
    assert only.read("b") == b"b"


def test_aufs_metadata_and_markers_are_hidden(ml: ModuleType, spool: Spool) -> None:
    tar = ml.tar_bytes([ml.Entry(".wh..wh.plnk/123"), ml.Entry(".wh..wh.aufs"), ml.Entry("x")])
    view = squash([tar], spool)
    assert sorted(view.paths()) == ["x"]


def test_file_replaces_directory_and_drops_its_subtree(ml: ModuleType, spool: Spool) -> None:
    lower = ml.tar_bytes([ml.Entry("opt/app/lib/x", data=b"x")])
    upper = ml.tar_bytes([ml.Entry("opt/app", data=b"now a file")])
    view = squash([lower, upper], spool)
    assert view.read("opt/app") == b"now a file"
    assert sorted(view.paths()) == ["opt/app"]


def test_directories_merge_and_attribution_follows_the_last_writer(
    ml: ModuleType, spool: Spool
) -> None:
    lower = ml.tar_bytes([ml.Entry("etc/a", data=b"1"), ml.Entry("etc/b", data=b"1")])
    upper = ml.tar_bytes([ml.Entry("etc", "dir", mode=0o755), ml.Entry("etc/b", data=b"2")])
    view = squash([lower, upper], spool)
    assert sorted(view.paths()) == ["etc/a", "etc/b"]
    assert view.layer_of("etc/a") == LayerRef(0, str(diff_id(lower)))
    assert view.layer_of("etc/b") == LayerRef(1, str(diff_id(upper)))
    assert view.layer_of("etc") == LayerRef(1, str(diff_id(upper)))
    assert view.layer_of("") is None


def test_entry_under_symlinked_dir_lands_in_the_target(ml: ModuleType, spool: Spool) -> None:
    lower = ml.tar_bytes([ml.Entry("usr/lib", "dir"), ml.Entry("lib", "symlink", link="usr/lib")])
    upper = ml.tar_bytes([ml.Entry("lib/libx.so", data=b"x")])
    view = squash([lower, upper], spool)
    assert sorted(view.paths()) == ["lib", "usr/lib/libx.so"]


def test_only_wanted_members_are_captured(ml: ModuleType, spool: Spool) -> None:
    tar = ml.tar_bytes([ml.Entry("want", data=b"w"), ml.Entry("other", data=b"o")])
    view = squash([tar], spool, wants=lambda p: p == "want")
    assert view.read("want") == b"w"
    assert view.size("other") == 1
    with pytest.raises(UnsupportedError, match="not captured"):
        view.read("other")


def test_magic_capture_keeps_only_members_with_a_marker(ml: ModuleType, spool: Spool) -> None:
    go = b"\x7fELF" + b"\0" * 100 + b"\xff Go buildinf:" + b"\0" * 50
    c_binary = b"\x7fELF" + b"\0" * 200
    tar = ml.tar_bytes([ml.Entry("bin/app", data=go), ml.Entry("bin/ls", data=c_binary)])
    capture = CaptureSet(lambda p: False, (b"\x7fELF",), (b"\xff Go buildinf:",))
    index = scan(tar, spool, capture=capture)
    assert index.records["bin/app"].content is not None
    assert index.records["bin/ls"].content is None


def test_big_members_are_spooled_privately_and_removed(ml: ModuleType, tmp_path: Path) -> None:
    payload = os.urandom(3000) + b"\xff Go buildinf:" + os.urandom(3000)
    tar = ml.tar_bytes([ml.Entry("bin/app", data=b"\x7fELF" + payload)])
    limits = LayerLimits(in_memory=1024)
    capture = CaptureSet(lambda p: False, (b"\x7fELF",), (b"\xff Go buildinf:",))
    with Spool(str(tmp_path)) as sp:
        index = scan(tar, sp, capture=capture, limits=limits)
        content = index.records["bin/app"].content
        assert content is not None and content.path is not None
        assert stat.S_IMODE(os.stat(sp.path).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(content.path).st_mode) == 0o600
        assert content.read() == b"\x7fELF" + payload
        spool_dir = sp.path
    assert not os.path.exists(spool_dir)


def test_over_the_analysis_limit_is_reported_not_read(ml: ModuleType, spool: Spool) -> None:
    tar = ml.tar_bytes([ml.Entry("big.jar", data=b"x" * 5000)])
    index = scan(tar, spool, limits=LayerLimits(spool=4096))
    assert index.records["big.jar"].content is None
    assert "sbom.layer.not-analysed" in _codes(index)


def test_diff_id_mismatch_is_an_integrity_error(ml: ModuleType, spool: Spool) -> None:
    tar = ml.tar_bytes([ml.Entry("a", data=b"a")])
    other = ml.tar_bytes([ml.Entry("b", data=b"b")])
    with pytest.raises(IntegrityError, match="diff_id"):
        scan_layer(
            io.BytesIO(ml.gzip_bytes(tar)),
            compression="gzip",
            diff_id=diff_id(other),
            label="layer 0",
            capture=CaptureSet(lambda p: True),
            spool=spool,
        )


def test_hostile_layers_create_nothing_outside_the_spool(ml: ModuleType, tmp_path: Path) -> None:
    """NT-T15: before/after listing; inside the spool only counter-named regular files."""
    cwd_before = set(os.listdir(Path.cwd()))
    before = _listing(tmp_path)
    layers = dict(ml.hostile_layers())
    big = ml.tar_bytes([ml.Entry("../../../escape.jar", data=b"PK" * 5000)])
    layers["big"] = big
    limits = LayerLimits(in_memory=16)
    seen: set[str] = set()
    with Spool(str(tmp_path)) as sp:
        for tar in layers.values():
            with contextlib.suppress(Exception):  # caps raise; what counts is what was written
                scan(tar, sp, limits=limits)
            seen |= _listing(Path(sp.path))
        spool_dir = sp.path
    assert all(Path(p).name.startswith("m") and Path(p).name[1:].isdigit() for p in seen)
    assert _listing(tmp_path) == before
    assert set(os.listdir(Path.cwd())) == cwd_before
    assert not os.path.exists(spool_dir)
