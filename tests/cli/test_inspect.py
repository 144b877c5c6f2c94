"""``supplychain inspect`` on every local source kind: output, JSON keys, errors and exit codes.

Registry sources run against the real registry fixture (and the lying proxy) at the end.
"""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pytest

from supplychain.cli import inspect as inspect_mod
from supplychain.cli.main import run
from supplychain.errors import ExitCode
from supplychain.model import Descriptor, Digest
from supplychain.oci import mediatypes as mt
from supplychain.oci.auth import Anonymous
from supplychain.oci.copy import copy_image
from supplychain.oci.limits import Limits
from supplychain.oci.referrers import Referrers, add_entry, fallback_tag, referrer_entry
from supplychain.oci.registry import RegistryClient
from supplychain.oci.source import open_image_source
from tests.fixtures.hostile import HostileProxy
from tests.fixtures.registry import RegistryServer, free_port
from tests.oci.sources_util import (
    SAMPLE_DOCKER,
    SAMPLE_OCI,
    add_image,
    gz,
    tar_directory,
    tar_of,
)

SAMPLE_INDEX_DIGEST = json.loads((SAMPLE_OCI / "index.json").read_bytes())["manifests"][0]["digest"]

REPORT_KEYS = {
    "schemaVersion",
    "source",
    "kind",
    "tag",
    "digest",
    "mediaType",
    "size",
    "platforms",
    "selection",
    "selectionMode",
    "images",
    "artifact",
    "referrers",
    "verified",
}


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert run(["inspect", "--format", "json", *args]) == ExitCode.OK
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_readme_command_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["inspect", "--platform", "linux/amd64", f"oci:{SAMPLE_OCI}"]) == 0
    out = capsys.readouterr().out
    assert f"digest:      {SAMPLE_INDEX_DIGEST}" in out
    assert "platforms:   linux/amd64, linux/arm64/v8" in out
    assert "application/vnd.oci.image.layer.v1.tar+gzip" in out
    assert out.count("    0  sha256:") == 1  # one platform's layers


def test_json_all_platforms(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "--platform", "all", f"oci:{SAMPLE_OCI}")
    assert set(report) == REPORT_KEYS
    assert report["digest"] == SAMPLE_INDEX_DIGEST
    assert report["kind"] == "oci-layout" and report["tag"] == "latest"
    assert report["platforms"] == ["linux/amd64", "linux/arm64/v8"]
    assert report["selection"] == "all" and report["referrers"] is None
    assert report["selectionMode"] == "all"
    images = report["images"]
    assert isinstance(images, list) and len(images) == 2
    for image in images:
        assert set(image) == {
            "platform",
            "digest",
            "mediaType",
            "config",
            "created",
            "layers",
            "totalSize",
        }
        blob = SAMPLE_OCI / "blobs" / "sha256" / image["digest"].split(":")[1]
        assert Digest.of(blob.read_bytes()) == Digest.parse(image["digest"])
        assert image["totalSize"] == sum(layer["size"] for layer in image["layers"])
        for layer in image["layers"]:
            path = SAMPLE_OCI / "blobs" / "sha256" / layer["digest"].split(":")[1]
            assert path.stat().st_size == layer["size"]


def test_docker_archive(capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "--verify", f"docker-archive:{SAMPLE_DOCKER}")
    assert report["digest"] is None and report["kind"] == "docker-archive"
    assert report["verified"] is True
    (image,) = report["images"]  # type: ignore[misc]
    assert image["digest"] is None
    assert run(["inspect", f"docker-archive:{SAMPLE_DOCKER}"]) == 0
    assert "no manifest" in capsys.readouterr().out


def test_oci_archive_same_digest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = tar_directory(SAMPLE_OCI, tmp_path / "s.tar")
    report = _json(capsys, "--platform", "linux/arm64", "--verify", f"oci-archive:{archive}")
    assert report["digest"] == SAMPLE_INDEX_DIGEST and report["kind"] == "oci-archive"
    assert [i["platform"] for i in report["images"]] == ["linux/arm64/v8"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "args",
    [
        ["oci:"],
        ["Not A Ref!"],
        ["oci:/no/such/dir"],
        ["docker-archive:/no/such.tar"],
        ["--platform", "linux", "oci:SAMPLE"],
        ["--platform", "linux/s390x", "oci:SAMPLE"],
        ["--format", "yaml", "oci:SAMPLE"],
        ["dir:/"],
    ],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.replace("oci:SAMPLE", f"oci:{SAMPLE_OCI}") for a in args]
    assert run(["inspect", *args]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) >= 1


def _corrupt_copy(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    target = tmp_path / "corrupt"
    shutil.copytree(SAMPLE_OCI, target)
    index = json.loads((target / "index.json").read_bytes())
    return target, index


def test_corrupt_layer_detected_with_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target, _ = _corrupt_copy(tmp_path)
    report = _json(capsys, "--platform", "linux/amd64", f"oci:{target}")
    layer = report["images"][0]["layers"][2]  # type: ignore[index]
    path = target / "blobs" / "sha256" / layer["digest"].split(":")[1]
    data = bytearray(path.read_bytes())
    data[20] ^= 0x01
    path.write_bytes(bytes(data))
    # without --verify the layer is not read: inspect still answers from manifests
    assert run(["inspect", "--platform", "linux/amd64", f"oci:{target}"]) == 0
    capsys.readouterr()
    code = run(["inspect", "--verify", "--platform", "linux/amd64", f"oci:{target}"])
    assert code == ExitCode.REJECTED
    err = capsys.readouterr().err
    assert layer["digest"] in err and "Traceback" not in err


def test_diff_id_mismatch_detected_with_verify(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A well-formed layout whose config promises another uncompressed tar than the layer holds.
    from supplychain.model import Platform
    from supplychain.oci.layout import LayoutWriter

    writer = LayoutWriter(tmp_path)
    image = add_image(
        writer,
        Platform("linux", "amd64"),
        [{"a": b"1"}],
        diff_ids=[str(Digest.of(tar_of({"a": b"2"})))],
    )
    writer.write_index([image.manifest])
    assert run(["inspect", f"oci:{tmp_path}"]) == 0
    capsys.readouterr()
    assert run(["inspect", "--verify", f"oci:{tmp_path}"]) == ExitCode.REJECTED
    assert "diff_id" in capsys.readouterr().err


def test_gzip_bomb_layer_stops_at_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from supplychain.model import Platform
    from supplychain.oci.layout import LayoutWriter
    from supplychain.oci.platform import PlatformSelection

    writer = LayoutWriter(tmp_path)
    image = add_image(writer, Platform("linux", "amd64"), [{"zeros": b"\0" * (4 * 1024 * 1024)}])
    writer.write_index([image.manifest])
    assert len(gz(image.tars[0])) < 64 * 1024
    with open_image_source(f"oci:{tmp_path}", limits=Limits(layer_blob=1024 * 1024)) as src:
        from supplychain.errors import LimitExceededError

        with pytest.raises(LimitExceededError, match="decompresses to more than"):
            inspect_mod.build_report(src, PlatformSelection.all(), verify=True)


def test_corrupt_manifest_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target, index = _corrupt_copy(tmp_path)
    digest = index["manifests"][0]["digest"]  # type: ignore[index]
    path = target / "blobs" / "sha256" / digest.split(":")[1]
    path.write_bytes(path.read_bytes().replace(b"amd64", b"arm64"))
    assert run(["inspect", f"oci:{target}"]) == ExitCode.REJECTED
    err = capsys.readouterr().err
    assert err.startswith("supplychain: error:") and digest in err


def test_debug_shows_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target, index = _corrupt_copy(tmp_path)
    (target / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]).unlink()  # type: ignore[index]
    assert run(["--debug", "inspect", f"oci:{target}"]) == ExitCode.REJECTED
    assert "Traceback" in capsys.readouterr().err


# --- registry sources (real registry on loopback) --------------------------------------------


@pytest.fixture
def pushed_sample(registry: RegistryServer) -> str:
    """The sample layout copied into a fresh repository; returns ``host/repo``."""
    repo = registry.repo("inspect")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        copy_image(layout, RegistryClient(registry.host, credentials=Anonymous()), repo, tag="v1")
    return f"{registry.host}/{repo}"


@pytest.mark.registry
def test_registry_inspect_json(pushed_sample: str, capsys: pytest.CaptureFixture[str]) -> None:
    report = _json(capsys, "--platform", "all", "--verify", f"{pushed_sample}:v1")
    assert report["kind"] == "registry"
    assert report["digest"] == SAMPLE_INDEX_DIGEST  # copy kept the bytes, HEAD == GET
    assert report["source"] == pushed_sample and report["tag"] == "v1"
    assert report["platforms"] == ["linux/amd64", "linux/arm64/v8"]
    assert report["verified"] is True


@pytest.mark.registry
def test_registry_inspect_text_by_digest(
    pushed_sample: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run(["inspect", "--platform", "linux/arm64", f"{pushed_sample}@{SAMPLE_INDEX_DIGEST}"])
    assert code == 0
    out = capsys.readouterr().out
    assert f"digest:      {SAMPLE_INDEX_DIGEST}" in out
    assert "selected:    linux/arm64" in out


@pytest.mark.registry
def test_registry_missing_tag_and_down(
    registry: RegistryServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["inspect", f"{registry.host}/{registry.repo('none')}:x"]) == ExitCode.UNCHECKED
    assert "not found" in capsys.readouterr().err
    # Registry down: fewer, faster retries than the defaults keep the test short; the exit code
    # is what the defaults give too (connection refused after retries = could not check).
    fast = Limits(backoff_initial=0.01, backoff_max=0.02)
    monkeypatch.setattr(
        inspect_mod, "open_image_source", functools.partial(open_image_source, limits=fast)
    )
    assert run(["inspect", f"127.0.0.1:{free_port()}/repo:tag"]) == ExitCode.UNCHECKED
    err = capsys.readouterr().err
    assert err.startswith("supplychain: error:") and "Traceback" not in err


@pytest.mark.registry
def test_registry_corrupt_blob_exit_1(
    pushed_sample: str,
    registry: RegistryServer,
    hostile: HostileProxy,
    capsys: pytest.CaptureFixture[str],
) -> None:
    proxied = pushed_sample.replace(registry.host, hostile.host)
    hostile.add("corrupt_body", path=r"/blobs/sha256:")
    assert run(["inspect", f"{proxied}:v1"]) == ExitCode.REJECTED  # the config is a blob
    assert "does not match" in capsys.readouterr().err


def _push_referrer(
    client: RegistryClient, repo: str, subject: Descriptor, artifact_type: str, seed: bytes
) -> Descriptor:
    """An artifact manifest whose ``subject`` is ``subject``, pushed by digest (no tag)."""
    client.push_blob(repo, mt.EMPTY_JSON)
    layer = client.push_blob(repo, seed)
    document = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": {"mediaType": mt.OCI_EMPTY, "digest": mt.EMPTY_DIGEST, "size": 2},
        "layers": [
            {"mediaType": "application/json", "digest": str(layer.digest), "size": len(seed)}
        ],
        "subject": subject.to_json(),
        "annotations": {"org.example.seed": seed.decode()},
    }
    raw = json.dumps(document).encode()
    return Referrers(client).push(repo, raw, mt.OCI_MANIFEST).descriptor


@pytest.mark.registry
def test_registry_referrers_listed_after_subject_check(
    pushed_sample: str, registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    client = RegistryClient(registry.host, credentials=Anonymous())
    repo = pushed_sample.split("/", 1)[1]
    index = client.get_manifest(repo, "v1")
    genuine = _push_referrer(client, repo, index.descriptor, "application/vnd.example.sbom", b"1")
    # A decoy listed in the index's fallback tag whose own subject is another manifest: a hint
    # the registry (or an attacker with push rights) can plant, never shown as a referrer.
    other = client.get_manifest(repo, Digest.parse(json.loads(index.raw)["manifests"][0]["digest"]))
    decoy = _push_referrer(client, repo, other.descriptor, "application/vnd.example.evil", b"2")
    tag = fallback_tag(index.digest)
    existing = client.get_manifest(repo, tag)
    decoy_manifest = client.get_manifest(repo, decoy.digest).manifest
    raw = add_entry(existing, referrer_entry(decoy_manifest), what=tag)
    assert raw is not None
    client.put_manifest(repo, raw, mt.OCI_INDEX, tag=tag)

    report = _json(capsys, f"{pushed_sample}:v1")
    referrers = report["referrers"]
    assert isinstance(referrers, list) and len(referrers) == 1
    (found,) = referrers
    assert found["digest"] == str(genuine.digest)
    assert found["artifactType"] == "application/vnd.example.sbom"
    assert found["annotations"] == {"org.example.seed": "1"}
    assert run(["inspect", f"{pushed_sample}:v1"]) == 0
    out = capsys.readouterr().out
    assert f"{genuine.digest}  application/vnd.example.sbom" in out
    assert str(decoy.digest) not in out


def _layout_with_layer(root: Path, blob: bytes, media_type: str, tar: bytes) -> None:
    """One image whose single layer is ``blob`` (declared ``media_type``, diff_id of ``tar``)."""
    from supplychain.model import Platform
    from supplychain.oci.layout import LayoutWriter

    writer = LayoutWriter(root)
    config = writer.add_json(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [str(Digest.of(tar))]},
        },
        mt.OCI_CONFIG,
    )
    layer = writer.add_blob(blob, media_type)
    manifest = writer.add_json(
        {
            "schemaVersion": 2,
            "mediaType": mt.OCI_MANIFEST,
            "config": config.to_json(),
            "layers": [layer.to_json()],
        },
        mt.OCI_MANIFEST,
        platform=Platform("linux", "amd64"),
    )
    writer.write_index([manifest])


def test_zstd_layers_verify_across_frames(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import zstandard

    tar = tar_of({"a": b"x" * 5000, "b": b"y" * 5000})
    compressor = zstandard.ZstdCompressor()
    two_frames = compressor.compress(tar[:4096]) + compressor.compress(tar[4096:])
    _layout_with_layer(tmp_path, two_frames, mt.OCI_LAYER_ZSTD, tar)
    assert run(["inspect", "--verify", f"oci:{tmp_path}"]) == 0
    assert "verified:" in capsys.readouterr().out


def test_gzip_media_type_with_zstd_bytes_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # NT-T14: decompression follows the declared media type; other bytes are rejected.
    import zstandard

    tar = tar_of({"a": b"1"})
    _layout_with_layer(tmp_path, zstandard.ZstdCompressor().compress(tar), mt.OCI_LAYER_GZIP, tar)
    assert run(["inspect", "--verify", f"oci:{tmp_path}"]) == ExitCode.REJECTED
    assert "not valid gzip" in capsys.readouterr().err


def test_zstd_bomb_stops_at_cap_with_bounded_memory(tmp_path: Path) -> None:
    import tracemalloc

    import zstandard

    from supplychain.errors import LimitExceededError
    from supplychain.oci.limits import Limits
    from supplychain.oci.platform import PlatformSelection

    # 256 MiB of zeros is ~8 KiB of zstd: one input chunk that a decompressobj would inflate
    # whole. Output is read 1 MiB at a time and counted against a 16 MiB cap.
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    zeros = b"\0" * (1024 * 1024)
    bomb = b"".join(compressor.compress(zeros) for _ in range(256)) + compressor.flush()
    assert len(bomb) < 64 * 1024
    _layout_with_layer(tmp_path, bomb, mt.OCI_LAYER_ZSTD, tar_of({"a": b""}))
    tracemalloc.start()
    try:
        with (
            open_image_source(f"oci:{tmp_path}", limits=Limits(layer_blob=16 * 1024 * 1024)) as src,
            pytest.raises(LimitExceededError, match="decompresses to more than"),
        ):
            inspect_mod.build_report(src, PlatformSelection.all(), verify=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 32 * 1024 * 1024


@pytest.mark.registry
def test_registry_artifact_manifest_shown_as_artifact(
    pushed_sample: str, registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    client = RegistryClient(registry.host, credentials=Anonymous())
    repo = pushed_sample.split("/", 1)[1]
    index = client.get_manifest(repo, "v1")
    pushed = _push_referrer(client, repo, index.descriptor, "application/vnd.example.sig", b"s")
    report = _json(capsys, f"{pushed_sample}@{pushed.digest}")
    assert report["digest"] == str(pushed.digest)
    assert report["images"] == [] and report["platforms"] == []
    artifact = report["artifact"]
    assert isinstance(artifact, dict)
    assert artifact["artifactType"] == "application/vnd.example.sig"
    assert [layer["size"] for layer in artifact["layers"]] == [1]
    assert run(["inspect", f"{pushed_sample}@{pushed.digest}"]) == 0
    assert "artifact:    application/vnd.example.sig" in capsys.readouterr().out


@pytest.mark.registry
def test_registry_inspect_with_docker_config_credentials(
    basic_registry: RegistryServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import base64

    from supplychain.oci.auth import Credentials, StaticCredentials
    from tests.fixtures.registry import PASSWORD, USERNAME

    creds = StaticCredentials({basic_registry.host: Credentials(USERNAME, PASSWORD)})
    repo = basic_registry.repo("auth-inspect")
    with open_image_source(f"oci:{SAMPLE_OCI}") as layout:
        copy_image(layout, RegistryClient(basic_registry.host, credentials=creds), repo, tag="v1")
    ref = f"{basic_registry.host}/{repo}:v1"

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(empty))
    assert run(["inspect", ref]) == ExitCode.UNCHECKED  # no login: could not check
    assert "login" in capsys.readouterr().err

    config = tmp_path / "docker"
    config.mkdir()
    token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    (config / "config.json").write_text(
        json.dumps({"auths": {basic_registry.host: {"auth": token}}})
    )
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    assert run(["-vv", "inspect", ref]) == 0
    out, err = capsys.readouterr()
    assert SAMPLE_INDEX_DIGEST in out
    assert PASSWORD not in out + err and token not in out + err


@pytest.mark.parametrize("text", ["/nonexist/image", "./nonexist", "../nonexist"])
def test_missing_local_path_says_so(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["inspect", text]) == 2
    err = capsys.readouterr().err
    assert "no such file or directory" in err and len(err.strip().splitlines()) == 1
