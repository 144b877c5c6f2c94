"""``supplychain copy``: local sources into the real registry, digest kept, errors mapped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supplychain.cli.main import run
from supplychain.errors import ExitCode
from tests.fixtures.registry import RegistryServer
from tests.oci.sources_util import SAMPLE_DOCKER, SAMPLE_OCI

SAMPLE_INDEX_DIGEST = json.loads((SAMPLE_OCI / "index.json").read_bytes())["manifests"][0]["digest"]

pytestmark = pytest.mark.registry


def test_copy_layout_then_inspect(
    registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = f"{registry.host}/{registry.repo('cli-copy')}"
    assert run(["copy", f"oci:{SAMPLE_OCI}", f"{dest}:v1"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"{dest}@{SAMPLE_INDEX_DIGEST}"
    assert "3 manifest(s): 6 blob(s) uploaded" in err
    assert run(["copy", "--format", "json", f"oci:{SAMPLE_OCI}", f"{dest}:v2"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["digest"] == SAMPLE_INDEX_DIGEST
    assert again["blobsUploaded"] == 0 and again["blobsSkipped"] == 6
    assert run(["inspect", "--format", "json", f"{dest}:v2"]) == 0
    assert json.loads(capsys.readouterr().out)["digest"] == SAMPLE_INDEX_DIGEST


def test_copy_one_platform_and_docker_archive(
    registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = f"{registry.host}/{registry.repo('cli-copy-one')}"
    args = ["copy", "--format", "json", "--platform", "linux/arm64"]
    assert run([*args, f"oci:{SAMPLE_OCI}", f"{dest}:arm"]) == 0
    arm = json.loads(capsys.readouterr().out)
    assert arm["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert run(["copy", f"docker-archive:{SAMPLE_DOCKER}", f"{dest}:docker"]) == 0
    pinned = capsys.readouterr().out.strip()
    assert run(["inspect", "--verify", pinned]) == 0
    assert "verified:" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["oci:/no/such", "HOST/x:1"],
        ["oci:SAMPLE", "HOST/x@sha256:" + "a" * 64],
        ["oci:SAMPLE", "Bad Ref"],
        ["--platform", "linux/s390x", "oci:SAMPLE", "HOST/x:1"],
    ],
)
def test_copy_usage_errors(
    args: list[str], registry: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a.replace("SAMPLE", str(SAMPLE_OCI)).replace("HOST", registry.host) for a in args]
    assert run(["copy", *args]) == ExitCode.USAGE
    assert "Traceback" not in capsys.readouterr().err


def test_registry_to_layout_and_back(
    registry: RegistryServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = f"{registry.host}/{registry.repo('cli-pull')}"
    assert run(["copy", f"oci:{SAMPLE_OCI}", f"{dest}:v1"]) == 0
    capsys.readouterr()
    layout = tmp_path / "pulled"
    assert run(["copy", f"{dest}:v1", f"oci:{layout}:mine"]) == 0
    assert capsys.readouterr().out.strip() == f"oci:{layout}@{SAMPLE_INDEX_DIGEST}"
    # the pulled layout holds the same blobs, byte for byte, and is tagged
    committed = {p.name for p in (SAMPLE_OCI / "blobs" / "sha256").iterdir()}
    pulled = {p.name for p in (layout / "blobs" / "sha256").iterdir()}
    assert pulled == committed
    assert run(["inspect", "--verify", "--platform", "all", f"oci:{layout}:mine"]) == 0
    capsys.readouterr()
    # a second tag in the same layout keeps the first
    assert run(["copy", "--platform", "linux/amd64", f"{dest}:v1", f"oci:{layout}:amd"]) == 0
    capsys.readouterr()
    tags = json.loads((layout / "index.json").read_bytes())["manifests"]
    assert [t["annotations"]["org.opencontainers.image.ref.name"] for t in tags] == ["mine", "amd"]
    assert run(["copy", f"oci:{SAMPLE_OCI}", f"oci:{layout}@sha256:{'a' * 64}"]) == ExitCode.USAGE


def test_layout_destination_never_keeps_a_corrupt_blob(tmp_path: Path) -> None:
    import io

    from supplychain.errors import IntegrityError
    from supplychain.model import Descriptor, Digest
    from supplychain.oci.layout import LayoutWriter

    writer = LayoutWriter(tmp_path)
    good = b"x" * 100
    descriptor = Descriptor("application/octet-stream", Digest.of(good), 100)
    with pytest.raises(IntegrityError):
        writer.add_blob_stream(io.BytesIO(b"y" * 100), descriptor)
    with pytest.raises(IntegrityError):
        writer.add_blob_stream(io.BytesIO(good + b"!"), descriptor)
    assert list((tmp_path / "blobs" / "sha256").iterdir()) == []
    writer.add_blob_stream(io.BytesIO(good), descriptor)
    assert (tmp_path / "blobs" / "sha256" / descriptor.digest.hex).read_bytes() == good
