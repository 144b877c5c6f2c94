"""Hostile layouts and archives: every lie ends in a rejection (exit 1), never in a hang or a pass.

Covers SECURITY.md NT-E3/E4 (blob digest/size), NT-F10 (manifest over the cap), NT-F11-style
nesting, missing blobs, docker-archive layers that do not match the config's diff_id, and file
system tricks a layout directory can play (symlinked or FIFO blobs).
"""

from __future__ import annotations

import io
import json
import os
import struct
import tarfile
from pathlib import Path

import pytest

from supplychain.errors import (
    ExitCode,
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    UsageError,
)
from supplychain.model import Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci.archive import index_tar
from supplychain.oci.layout import LayoutWriter, blob_path
from supplychain.oci.limits import Limits
from supplychain.oci.platform import PlatformSelection
from supplychain.oci.source import open_image_source
from tests.oci.sources_util import (
    add_image,
    add_index,
    docker_config,
    gz,
    simple_layout,
    tar_of,
    write_docker_archive,
)

ALL = PlatformSelection.all()


def _blob(root: Path, digest: Digest) -> Path:
    return root / blob_path(digest)


def _read_all_layers(text: str) -> None:
    with open_image_source(text) as src:
        for image in src.images(ALL):
            for layer in image.layers:
                with src.open_layer(layer) as stream:
                    stream.read()


def test_layer_blob_not_matching_digest(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    layer = images[0].layers[1]
    path = _blob(tmp_path, layer.digest)
    data = bytearray(path.read_bytes())
    data[-9] ^= 0xFF  # same size, different bytes
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=str(layer.digest)) as err:
        _read_all_layers(f"oci:{tmp_path}")
    assert err.value.exit_code == ExitCode.REJECTED


def test_layer_blob_longer_or_shorter_than_declared(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    path = _blob(tmp_path, images[0].layers[0].digest)
    original = path.read_bytes()
    path.write_bytes(original + b"extra")
    with pytest.raises(IntegrityError, match="size"):
        _read_all_layers(f"oci:{tmp_path}")
    path.write_bytes(original[:-1])
    with pytest.raises(IntegrityError, match="size"):
        _read_all_layers(f"oci:{tmp_path}")


def test_manifest_blob_not_matching_digest_rejected_on_open(tmp_path: Path) -> None:
    index, _ = simple_layout(tmp_path)
    path = _blob(tmp_path, index.digest)
    path.write_bytes(path.read_bytes().replace(b'"schemaVersion": 2', b'"schemaVersion":  2')[:-1])
    with pytest.raises(IntegrityError):
        open_image_source(f"oci:{tmp_path}")


def test_config_blob_tampered(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    path = _blob(tmp_path, images[1].config.digest)
    path.write_bytes(path.read_bytes().replace(b"arm64", b"amd64"))
    with open_image_source(f"oci:{tmp_path}") as src, pytest.raises(IntegrityError):
        src.images(ALL)


def test_missing_blob_is_rejected(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    _blob(tmp_path, images[0].config.digest).unlink()
    with (
        open_image_source(f"oci:{tmp_path}") as src,
        pytest.raises(InvalidInputError, match="missing") as err,
    ):
        src.images(ALL)
    assert err.value.exit_code == ExitCode.REJECTED
    _, images = simple_layout(tmp_path)
    _blob(tmp_path, images[1].layers[0].digest).unlink()
    with pytest.raises(InvalidInputError, match="missing"):
        _read_all_layers(f"oci:{tmp_path}")


def test_partial_layout_holds_only_some_platforms(tmp_path: Path) -> None:
    # docker save (Docker >= 25) keeps the whole index but only the pulled platform's image.
    _, images = simple_layout(tmp_path)
    shared = {d.digest for d in images[0].layers}
    for blob in (images[1].manifest, images[1].config, *images[1].layers):
        if blob.digest not in shared:
            _blob(tmp_path, blob.digest).unlink()
    with open_image_source(f"oci:{tmp_path}") as src:
        assert [str(p) for p in src.platforms()] == ["linux/amd64", "linux/arm64/v8"]
        (image,) = src.images(PlatformSelection.parse(["linux/amd64"]))
        assert image.platform == Platform("linux", "amd64")
        for selection in (ALL, PlatformSelection.parse(["linux/arm64"])):
            with pytest.raises(UsageError, match=r"does not hold .* holds: linux/amd64\)"):
                src.images(selection)


def test_manifest_over_the_size_cap(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    document = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [image.manifest.to_json()],
        "annotations": {"org.example.pad": "x" * (9 * 1024 * 1024)},
    }
    big = writer.add_json(document, mt.OCI_INDEX)
    writer.write_index([big.__class__(big.media_type, big.digest, big.size)])
    with pytest.raises(LimitExceededError, match="limit"):
        open_image_source(f"oci:{tmp_path}")
    # a descriptor that under-declares the size is caught while reading, not trusted
    writer.write_index([big.__class__(big.media_type, big.digest, 100)])
    with pytest.raises(IntegrityError, match="more bytes than the declared size 100"):
        open_image_source(f"oci:{tmp_path}")


def test_index_json_over_the_cap(tmp_path: Path) -> None:
    simple_layout(tmp_path)
    (tmp_path / "index.json").write_bytes(b" " * (1024 * 1024 + 1) + b"{}")
    with pytest.raises(LimitExceededError):
        open_image_source(f"oci:{tmp_path}", limits=Limits(manifest_read=1024 * 1024))


def test_index_entry_count_capped(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    index = add_index(writer, [image.manifest] * 11)
    writer.write_index([index])
    with pytest.raises(LimitExceededError, match="over the limit of 10"):
        open_image_source(f"oci:{tmp_path}", limits=Limits(index_descriptors=10))


def test_deeply_nested_indexes(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    nested = image.manifest
    for _ in range(5):
        nested = add_index(writer, [nested])
    writer.write_index([nested])
    with open_image_source(f"oci:{tmp_path}") as src, pytest.raises(LimitExceededError):
        src.images(ALL)


def test_config_diff_ids_disagree_with_layer_count(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(
        writer, Platform("linux", "amd64"), [{"a": b"1"}], diff_ids=["sha256:" + "1" * 64] * 2
    )
    writer.write_index([image.manifest])
    with (
        open_image_source(f"oci:{tmp_path}") as src,
        pytest.raises(InvalidInputError, match="1 layers but the config lists 2"),
    ):
        src.images(ALL)


def test_index_platform_contradicting_config(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    lying = image.manifest.__class__(
        image.manifest.media_type,
        image.manifest.digest,
        image.manifest.size,
        platform=Platform("linux", "arm64"),
    )
    writer.write_index([add_index(writer, [lying])])
    with (
        open_image_source(f"oci:{tmp_path}") as src,
        pytest.raises(
            InvalidInputError, match="index says linux/arm64 but the config says linux/amd64"
        ),
    ):
        src.images(ALL)


def test_symlinked_blob_is_refused(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    path = _blob(tmp_path, images[0].config.digest)
    secret = tmp_path / "outside"
    secret.write_bytes(path.read_bytes())  # even with matching bytes: links are not followed
    path.unlink()
    path.symlink_to(secret)
    with (
        open_image_source(f"oci:{tmp_path}") as src,
        pytest.raises(InvalidInputError, match="symbolic link"),
    ):
        src.images(ALL)


def test_fifo_blob_does_not_hang(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    path = _blob(tmp_path, images[0].layers[0].digest)
    path.unlink()
    os.mkfifo(path)
    with pytest.raises(InvalidInputError, match="not a regular file"):
        _read_all_layers(f"oci:{tmp_path}")


def test_not_a_layout(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no oci-layout"):
        open_image_source(f"oci:{tmp_path}")
    (tmp_path / "oci-layout").write_text('{"imageLayoutVersion": "9.9"}')
    with pytest.raises(InvalidInputError, match="imageLayoutVersion"):
        open_image_source(f"oci:{tmp_path}")


def test_index_json_with_duplicate_keys(tmp_path: Path) -> None:
    simple_layout(tmp_path)
    text = (tmp_path / "index.json").read_text()
    (tmp_path / "index.json").write_text(
        text.replace('"schemaVersion": 2,', '"schemaVersion": 2, "schemaVersion": 2,')
    )
    with pytest.raises(InvalidInputError, match="duplicate key"):
        open_image_source(f"oci:{tmp_path}")


# --- docker-archive -------------------------------------------------------------------------


def _archive(tmp_path: Path, layer: bytes, claimed: bytes) -> Path:
    diff_id = Digest.of(claimed)
    return write_docker_archive(tmp_path / "img.tar", docker_config([str(diff_id)]), [layer])


def test_docker_archive_layer_not_matching_diff_id(tmp_path: Path) -> None:
    real = tar_of({"etc/passwd": b"root:x:0:0"})
    claimed = tar_of({"etc/passwd": b"root:x:0:1"})
    path = _archive(tmp_path, real, claimed)
    with pytest.raises(IntegrityError, match="expected sha256:") as err:
        _read_all_layers(f"docker-archive:{path}")
    assert err.value.exit_code == ExitCode.REJECTED


def test_docker_archive_config_name_must_match_its_hash(tmp_path: Path) -> None:
    layer = tar_of({"a": b"1"})
    path = write_docker_archive(
        tmp_path / "img.tar",
        docker_config([str(Digest.of(layer))]),
        [layer],
        config_name="f" * 64 + ".json",
    )
    with pytest.raises(IntegrityError, match="config"):
        open_image_source(f"docker-archive:{path}")


def test_docker_archive_gzip_layer_bound_by_diff_id(tmp_path: Path) -> None:
    # docker load accepts gzip layers; their digest is taken on open, their diff_id checked
    # by whoever decompresses them (here inspect --verify).
    from supplychain.cli import inspect as inspect_mod

    layer = tar_of({"a": b"1"})
    config = docker_config([str(Digest.of(layer))])
    path = write_docker_archive(tmp_path / "img.tar", config, [gz(layer)])
    with open_image_source(f"docker-archive:{path}") as src:
        (image,) = src.images(ALL)
        assert image.layers[0].media_type == mt.DOCKER_LAYER_GZIP
        assert image.layers[0].digest == Digest.of(gz(layer))
        inspect_mod.build_report(src, ALL, verify=True)
    lying = write_docker_archive(
        tmp_path / "lying.tar", docker_config([str(Digest.of(tar_of({"a": b"2"})))]), [gz(layer)]
    )
    with (
        open_image_source(f"docker-archive:{lying}") as src,
        pytest.raises(IntegrityError, match="diff_id"),
    ):
        inspect_mod.build_report(src, ALL, verify=True)


def test_docker_archive_missing_layer(tmp_path: Path) -> None:
    layer = tar_of({"a": b"1"})
    config = docker_config([str(Digest.of(layer))])
    manifest = [{"Config": "c.json", "RepoTags": [], "Layers": ["gone/layer.tar"]}]
    with tarfile.open(tmp_path / "m.tar", "w") as tar:
        for name, data in (("c.json", config), ("manifest.json", json.dumps(manifest).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    with pytest.raises(InvalidInputError, match="missing"):
        open_image_source(f"docker-archive:{tmp_path / 'm.tar'}")


def test_not_a_docker_archive(tmp_path: Path) -> None:
    path = tmp_path / "x.tar"
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("hello")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(InvalidInputError, match="not a docker-archive"):
        open_image_source(f"docker-archive:{path}")


def test_tar_with_bad_checksum(tmp_path: Path) -> None:
    path = tmp_path / "bad.tar"
    header = bytearray(tar_of({"a": b"x"})[:512])
    header[0:1] = b"b"  # name changed, checksum not
    path.write_bytes(bytes(header) + b"\0" * 1024)
    with pytest.raises(InvalidInputError, match="checksum"):
        index_tar(str(path), what="bad.tar")


def test_tar_with_huge_pax_header_is_refused_before_reading(tmp_path: Path) -> None:
    # A PAX header claiming 64 MiB, in a file that is only a few blocks long: the size field is
    # checked against the cap before anything is read.
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = 64 * 1024 * 1024
    header = bytearray(info.tobuf(format=tarfile.USTAR_FORMAT))
    path = tmp_path / "pax.tar"
    with open(path, "wb") as handle:  # sparse: the claimed size exists, costs no disk
        handle.write(bytes(header))
        handle.truncate(len(header) + 64 * 1024 * 1024)
    with pytest.raises(LimitExceededError, match="extended tar header"):
        index_tar(str(path), what="pax.tar")


def test_tar_entry_running_past_end(tmp_path: Path) -> None:
    data = bytearray(tar_of({"a": b"x" * 600}))
    path = tmp_path / "short.tar"
    path.write_bytes(bytes(data[:1024]))
    with pytest.raises(InvalidInputError, match="past the end"):
        index_tar(str(path), what="short.tar")


def test_docker_archive_symlinked_layer_inside_archive(tmp_path: Path) -> None:
    # Old `docker save` writes duplicate layers as symlinks to another layer dir: allowed
    # within the archive, and the bytes are still checked.
    layer = tar_of({"a": b"1"})
    config = docker_config([str(Digest.of(layer))] * 2)
    manifest = [{"Config": "c.json", "RepoTags": [], "Layers": ["l0/layer.tar", "l1/layer.tar"]}]
    path = tmp_path / "links.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in (
            ("c.json", config),
            ("l0/layer.tar", layer),
            ("manifest.json", json.dumps(manifest).encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("l1/layer.tar")
        link.type = tarfile.SYMTYPE
        link.linkname = "../l0/layer.tar"
        tar.addfile(link)
    _read_all_layers(f"docker-archive:{path}")
    escaping = tmp_path / "escape.tar"
    with tarfile.open(path) as src, tarfile.open(escaping, "w") as out:
        for member in src.getmembers():
            if member.name == "l1/layer.tar":
                member.linkname = "../../../etc/passwd"
            out.addfile(member, src.extractfile(member) if member.isfile() else None)
    with pytest.raises(InvalidInputError, match="missing"):
        open_image_source(f"docker-archive:{escaping}")


def test_base256_size_field_is_parsed(tmp_path: Path) -> None:
    header = bytearray(tar_of({"a": b"x"})[:512])
    header[124:136] = b"\x80" + (1).to_bytes(11, "big")
    header[148:156] = b" " * 8
    checksum = sum(header)
    header[148:156] = f"{checksum:06o}\0 ".encode()
    path = tmp_path / "b256.tar"
    path.write_bytes(bytes(header) + b"x" + b"\0" * 511 + b"\0" * 1024)
    members = index_tar(str(path), what="b256")
    assert members["a"].size == 1
    assert struct.calcsize("<I") == 4  # keep struct import honest for the header math above


def test_entry_cap_counts_nested_indexes_together(tmp_path: Path) -> None:
    # 4 inner indexes of 4 entries each: under a per-index cap of 5, over a total of 5.
    writer = LayoutWriter(tmp_path)
    inner = []
    for n in range(4):
        images = [
            add_image(writer, Platform("linux", "amd64"), [{"a": f"{n}-{i}".encode()}]).manifest
            for i in range(4)
        ]
        inner.append(add_index(writer, images))
    writer.write_index([add_index(writer, inner)])
    with open_image_source(f"oci:{tmp_path}") as src:
        assert len(src.platforms()) == 16
    with (
        open_image_source(f"oci:{tmp_path}", limits=Limits(index_descriptors=5)) as src,
        pytest.raises(LimitExceededError, match="in all"),
    ):
        src.platforms()


def test_index_entry_that_is_really_a_manifest(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    lying = image.manifest.__class__(mt.OCI_INDEX, image.manifest.digest, image.manifest.size)
    writer.write_index([add_index(writer, [lying])])
    with open_image_source(f"oci:{tmp_path}") as src, pytest.raises(InvalidInputError):
        src.platforms()
