"""``supplychain copy``: local sources into the real registry, digest kept, errors mapped."""

from __future__ import annotations

import json

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
