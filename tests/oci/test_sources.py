"""Image sources over OCI layouts, OCI archives and docker-archives: identity, platforms, layers."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from supplychain.errors import (
    IntegrityError,
    InvalidInputError,
    LimitExceededError,
    UsageError,
)
from supplychain.model import Digest, Platform
from supplychain.oci import mediatypes as mt
from supplychain.oci import platform as platform_mod
from supplychain.oci.layout import LayoutWriter
from supplychain.oci.platform import PlatformSelection, SelectionMode, host_platform
from supplychain.oci.source import (
    RootfsSource,
    SourceKind,
    VerifiedStream,
    open_image_source,
    open_source,
    parse_source_text,
)
from tests.oci.sources_util import (
    SAMPLE_DOCKER,
    SAMPLE_OCI,
    add_image,
    add_index,
    docker_config,
    simple_layout,
    tar_directory,
    tar_of,
    write_docker_archive,
)

AMD64 = PlatformSelection.parse(["linux/amd64"])


# --- source text ----------------------------------------------------------------------------


def test_parse_source_text_kinds(tmp_path: Path) -> None:
    layout = tmp_path / "lay:out"
    layout.mkdir()
    assert parse_source_text(f"oci:{layout}").location == str(layout)
    spec = parse_source_text(f"oci:{layout}:v1.2")
    assert (spec.kind, spec.location, spec.tag) == (SourceKind.OCI_LAYOUT, str(layout), "v1.2")
    hexpart = "a" * 64
    spec = parse_source_text(f"oci:{layout}@sha256:{hexpart}")
    assert spec.digest == Digest("sha256", hexpart) and spec.tag is None
    archive = tmp_path / "img.tar"
    archive.write_bytes(b"")
    spec = parse_source_text(f"docker-archive:{archive}:docker.io/library/x:1")
    assert (spec.kind, spec.tag) == (SourceKind.DOCKER_ARCHIVE, "docker.io/library/x:1")
    assert parse_source_text(f"oci-archive:{archive}").kind is SourceKind.OCI_ARCHIVE
    assert parse_source_text("dir:/srv").kind is SourceKind.DIR
    assert parse_source_text("localhost:5000/a/b:1").kind is SourceKind.REGISTRY


@pytest.mark.parametrize("text", ["", "oci:", "oci:dir@sha256:ABC", "oci:d@md5:00", "x" * 5000])
def test_malformed_source_text_is_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        parse_source_text(text)


def test_missing_layout_and_archive_are_usage_errors(tmp_path: Path) -> None:
    for text in (f"oci:{tmp_path}/nope", f"docker-archive:{tmp_path}/nope.tar", "dir:/no/such"):
        with pytest.raises(UsageError, match="no such"):
            open_source(text)
    with pytest.raises(UsageError, match="not a directory"):
        open_source(f"oci:{SAMPLE_DOCKER}")


def test_dir_source_is_a_rootfs(tmp_path: Path) -> None:
    source = open_source(f"dir:{tmp_path}")
    assert isinstance(source, RootfsSource) and source.path == str(tmp_path)
    with pytest.raises(UsageError, match="no manifest"):
        open_image_source(f"dir:{tmp_path}")


# --- the committed sample -------------------------------------------------------------------


def test_sample_layout_identity_and_platforms() -> None:
    with open_image_source(f"oci:{SAMPLE_OCI}") as src:
        index_json = json.loads((SAMPLE_OCI / "index.json").read_bytes())
        entry = index_json["manifests"][0]
        assert str(src.digest) == entry["digest"]
        raw = (SAMPLE_OCI / "blobs" / "sha256" / entry["digest"][7:]).read_bytes()
        assert src.top.raw == raw and Digest.of(raw) == src.digest
        assert src.media_type == mt.OCI_INDEX and src.is_index
        assert src.tag == "latest"
        assert [str(p) for p in src.platforms()] == ["linux/amd64", "linux/arm64/v8"]
        images = src.images(PlatformSelection.all())
        assert [str(i.platform) for i in images] == ["linux/amd64", "linux/arm64/v8"]
        for image in images:
            assert len(image.layers) == 3
            assert image.config.platform.architecture == image.platform.architecture
            assert [layer.diff_id for layer in image.layers] == list(image.config.diff_ids)


def test_sample_layers_stream_verified_and_match_diff_ids() -> None:
    with open_image_source(f"oci:{SAMPLE_OCI}:latest") as src:
        (image,) = src.images(PlatformSelection.parse(["linux/arm64"]))
        assert str(image.platform) == "linux/arm64/v8"
        for layer in image.layers:
            with src.open_layer(layer) as stream:
                data = stream.read()
            assert stream.verified
            assert hashlib.sha256(data).hexdigest() == layer.digest.hex
            assert hashlib.sha256(gzip.decompress(data)).hexdigest() == layer.diff_id.hex


def test_docker_archive_is_the_same_amd64_image() -> None:
    with open_image_source(f"oci:{SAMPLE_OCI}") as oci:
        (amd64,) = oci.images(AMD64)
    with open_image_source(f"docker-archive:{SAMPLE_DOCKER}") as docker:
        assert docker.digest is None  # legacy archives store no manifest
        assert docker.kind is SourceKind.DOCKER_ARCHIVE
        assert docker.tag == "supplychain-sample:latest"
        (image,) = docker.images(PlatformSelection.host())
        assert image.manifest_synthesized
        assert image.config.digest == amd64.config.digest
        assert [x.diff_id for x in image.layers] == [x.diff_id for x in amd64.layers]
        for layer in image.layers:
            assert layer.media_type == mt.DOCKER_LAYER_TAR and layer.digest == layer.diff_id
            with (
                docker.open_layer(layer) as stream,
                tarfile.open(fileobj=stream, mode="r|") as tar,  # stops before the padding
            ):
                names = [m.name for m in tar]
            assert stream.verified and names


def test_docker_archive_select_by_tag(tmp_path: Path) -> None:
    layer = tar_of({"f": b"1"})
    cfg = docker_config([f"sha256:{hashlib.sha256(layer).hexdigest()}"])
    path = write_docker_archive(tmp_path / "a.tar", cfg, [layer], repo_tags=["docker.io/me/x:1"])
    with open_image_source(f"docker-archive:{path}:me/x:1") as src:
        assert src.tag == "me/x:1"
    with pytest.raises(UsageError, match=r"tags: docker\.io/me/x:1"):
        open_image_source(f"docker-archive:{path}:other:2")


def test_oci_archive_reads_in_place(tmp_path: Path) -> None:
    archive = tar_directory(SAMPLE_OCI, tmp_path / "sample.tar")
    with (
        open_image_source(f"oci-archive:{archive}") as src,
        open_image_source(f"oci:{SAMPLE_OCI}") as ref,
    ):
        assert src.kind is SourceKind.OCI_ARCHIVE
        assert src.digest == ref.digest
        for image in src.images(PlatformSelection.all()):
            for layer in image.layers:
                with src.open_layer(layer) as stream:
                    stream.read()
                assert stream.verified


def test_docker25_archive_with_oci_layout_inside(tmp_path: Path) -> None:
    layout = tmp_path / "lay"
    index, _ = simple_layout(layout, tag="latest")
    (layout / "manifest.json").write_text("[]")
    archive = tar_directory(layout, tmp_path / "d25.tar")
    with open_image_source(f"docker-archive:{archive}") as src:
        assert src.digest == index.digest and src.kind is SourceKind.DOCKER_ARCHIVE


# --- choosing the image and the platform -----------------------------------------------------


def test_layout_tags_and_digests(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    one = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    two = add_image(writer, Platform("linux", "amd64"), [{"a": b"2"}])
    tag = "org.opencontainers.image.ref.name"
    writer.write_index(
        [
            one.manifest.__class__(**{**one.manifest.__dict__, "annotations": {tag: "one"}}),
            two.manifest.__class__(**{**two.manifest.__dict__, "annotations": {tag: "two"}}),
        ]
    )
    with pytest.raises(UsageError, match="tags: one, two"):
        open_image_source(f"oci:{tmp_path}")
    with open_image_source(f"oci:{tmp_path}:two") as src:
        assert src.digest == two.manifest.digest and not src.is_index
    with open_image_source(f"oci:{tmp_path}@{one.manifest.digest}") as src:
        assert src.digest == one.manifest.digest
    with pytest.raises(UsageError, match="no image tagged 'three'"):
        open_image_source(f"oci:{tmp_path}:three")
    with pytest.raises(InvalidInputError, match="no blob"):
        open_image_source(f"oci:{tmp_path}@sha256:{'0' * 64}")


def test_platform_manifest_by_digest_and_conflicting_platform(tmp_path: Path) -> None:
    _, images = simple_layout(tmp_path)
    arm = images[1].manifest.digest
    with open_image_source(f"oci:{tmp_path}@{arm}") as src:
        assert src.platforms() == [Platform("linux", "arm64", "v8")]
        (image,) = src.images(PlatformSelection.host())  # one image: nothing to choose
        assert image.platform.architecture == "arm64"
        with pytest.raises(UsageError, match="not linux/amd64"):
            src.images(AMD64)


def test_platform_not_in_index_lists_available(tmp_path: Path) -> None:
    simple_layout(tmp_path)
    with open_image_source(f"oci:{tmp_path}") as src:
        with pytest.raises(UsageError, match=r"available: linux/amd64, linux/arm64/v8"):
            src.images(PlatformSelection.parse(["linux/s390x"]))
        both = src.images(PlatformSelection.parse(["linux/arm64/v8", "linux/amd64"]))
        assert [str(i.platform) for i in both] == ["linux/arm64/v8", "linux/amd64"]


def test_host_default_selection(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    simple_layout(tmp_path)
    monkeypatch.setattr(platform_mod.host, "machine", lambda: "aarch64")
    assert host_platform() == Platform("linux", "arm64", "v8")
    with open_image_source(f"oci:{tmp_path}") as src:
        (image,) = src.images(PlatformSelection.host())
        assert str(image.platform) == "linux/arm64/v8"
    monkeypatch.setattr(platform_mod.host, "machine", lambda: "riscv64")
    with open_image_source(f"oci:{tmp_path}") as src, pytest.raises(UsageError):
        src.images(PlatformSelection.host())


@pytest.mark.parametrize(
    ("want", "have", "match"),
    [
        ("linux/arm64", Platform("linux", "arm64", "v8"), True),
        ("linux/arm64/v8", Platform("linux", "arm64"), True),
        ("linux/arm", Platform("linux", "arm", "v7"), True),
        ("linux/arm", Platform("linux", "arm", "v6"), False),
        ("linux/amd64", Platform("linux", "amd64", "v1"), True),
        ("linux/amd64", Platform("linux", "amd64", "v3"), False),
        ("windows/amd64", Platform("linux", "amd64"), False),
    ],
)
def test_variant_defaults(want: str, have: Platform, match: bool) -> None:
    assert platform_mod.same_platform(Platform.parse(want), have) is match


def test_platform_selection_parse() -> None:
    assert PlatformSelection.parse(None).mode is SelectionMode.HOST
    assert PlatformSelection.parse(["all"]).mode is SelectionMode.ALL
    assert PlatformSelection.parse("linux/amd64").wanted == (Platform("linux", "amd64"),)
    for bad in (["all", "linux/amd64"], ["linux"], ["linux/amd64/v1/x"], ["/amd64"]):
        with pytest.raises(UsageError):
            PlatformSelection.parse(bad)


def test_attestation_and_artifact_entries_are_not_platforms(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    attestation = add_image(writer, Platform("unknown", "unknown"), [{"x": b"att"}])
    artifact_manifest = writer.add_json(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "artifactType": "application/example",
            "config": {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_DIGEST, "size": 2},
            "layers": [],
        },
        mt.OCI_MANIFEST,
    )
    writer.add_blob(mt.EMPTY_JSON, mt.OCI_EMPTY)
    index = add_index(writer, [image.manifest, attestation.manifest, artifact_manifest])
    writer.write_index([index])
    with open_image_source(f"oci:{tmp_path}") as src:
        assert src.platforms() == [Platform("linux", "amd64")]


def test_nested_index_is_followed_to_the_limit(tmp_path: Path) -> None:
    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"a": b"1"}])
    inner = add_index(writer, [image.manifest])
    outer = add_index(writer, [inner])
    writer.write_index([outer])
    with open_image_source(f"oci:{tmp_path}") as src:
        assert src.platforms() == [Platform("linux", "amd64")]
    too_deep = add_index(writer, [outer])
    writer.write_index([too_deep])
    with (
        open_image_source(f"oci:{tmp_path}") as src,
        pytest.raises(LimitExceededError, match="nested"),
    ):
        src.platforms()


# --- verified streams -----------------------------------------------------------------------


def _stream(data: bytes, digest_of: bytes, size: int | None) -> VerifiedStream:
    return VerifiedStream(io.BytesIO(data), digest=Digest.of(digest_of), size=size, what="blob")


def test_verified_stream_accepts_exact_bytes_in_small_reads() -> None:
    stream = _stream(b"hello world", b"hello world", 11)
    assert stream.read(3) == b"hel"
    assert stream.read() == b"lo world"
    assert stream.verified


def test_verified_stream_finish_checks_unread_rest() -> None:
    stream = _stream(b"hello world", b"hello there", 11)
    assert stream.read(5) == b"hello"
    with pytest.raises(IntegrityError, match="expected sha256:"):
        stream.finish()
    with pytest.raises(IntegrityError), _stream(b"abc", b"abd", 3) as s2:
        s2.read(1)  # the with block drains and verifies on exit


@pytest.mark.parametrize(
    ("data", "size", "message"),
    [(b"abcd", 3, "more bytes than"), (b"ab", 3, "ended after 2 bytes")],
)
def test_verified_stream_size_mismatch(data: bytes, size: int, message: str) -> None:
    stream = _stream(data, data[:size], size)
    with pytest.raises(IntegrityError, match=message):
        stream.read()


def test_verified_stream_never_reads_past_size_plus_one() -> None:
    class Endless(io.RawIOBase):
        served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: object) -> int:
            view = memoryview(buffer)  # type: ignore[arg-type]
            view[:] = b"\0" * len(view)
            self.served += len(view)
            return len(view)

    endless = Endless()
    stream = VerifiedStream(endless, digest=Digest.of(b""), size=1000, what="endless")  # type: ignore[arg-type]
    with pytest.raises(IntegrityError, match="more bytes"):
        while stream.read(64 * 1024):
            pass
    assert endless.served <= 1001


def test_bare_local_path_is_not_sent_to_docker_hub() -> None:
    with pytest.raises(UsageError, match=r"oci:"):
        open_source(str(SAMPLE_OCI))
    with pytest.raises(UsageError, match=r"docker-archive:"):
        open_source(str(SAMPLE_DOCKER))


def test_local_sources_do_not_import_requests() -> None:
    """Opening a layout or archive must not pay for the HTTP stack (import time and memory)."""
    import subprocess
    import sys

    code = (
        "import sys, supplychain.oci.source, supplychain.oci.layout, supplychain.oci.archive\n"
        "print('requests' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert done.stdout.decode().strip() == "False"
