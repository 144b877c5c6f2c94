"""`validate artifacthub`: the AHP-PUB rules on chart directories and on images in a real
registry (docker-registry started by the fixture)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from supplychain.cli.main import run
from supplychain.errors import InvalidInputError
from supplychain.oci.registry import RegistryClient
from supplychain.validation import load_profile, validate_target
from supplychain.validation.findings import Severity
from supplychain.validation.publish import dir_target, image_target
from tests.conftest import require_binary
from tests.fixtures.registry import RegistryServer, push_tiny_image, push_tiny_index

PROFILE = load_profile("artifacthub-publish")
CHART = """apiVersion: v2
name: mychart
version: 1.2.3
annotations:
  artifacthub.io/license: Apache-2.0
  artifacthub.io/category: security
  artifacthub.io/prerelease: "false"
  artifacthub.io/images: |
    - name: nginx
      image: nginx:1.25.3
  artifacthub.io/changes: |
    - kind: added
      description: first release
  artifacthub.io/signKey: |
    fingerprint: 0011223344556677
    url: https://example.com/key.asc
"""
PKG = """version: 1.0.0
name: tool
displayName: Tool
createdAt: 2025-01-01T00:00:00Z
description: A tool
license: MIT
maintainers:
  - name: Ann
    email: ann@example.com
changes:
  - kind: fixed
    description: a bug
containersImages:
  - name: tool
    image: ghcr.io/acme/tool:1.0.0
"""
REPO = """repositoryID: 8a1f3c52-6d0e-4b7a-9c21-5e4f3d2b1a09
owners:
  - name: Ann
    email: ann@example.com
"""


def chart_dir(tmp_path: Path, chart: str = CHART, pkg: str = PKG, repo: str = REPO) -> Path:
    (tmp_path / "Chart.yaml").write_text(chart)
    (tmp_path / "artifacthub-pkg.yml").write_text(pkg)
    (tmp_path / "artifacthub-repo.yml").write_text(repo)
    return tmp_path


def ids(target: object) -> dict[str, str]:
    report = validate_target(target, PROFILE)
    return {f.rule: f.severity.label for f in report.findings if f.severity >= Severity.WARNING}


def test_good_directory_passes(tmp_path: Path) -> None:
    assert ids(dir_target(chart_dir(tmp_path))) == {}


@pytest.mark.parametrize(
    ("file", "old", "new", "rule"),
    [
        (
            "Chart.yaml",
            "artifacthub.io/license: Apache-2.0",
            "artifacthub.io/license: Apache 2",
            "AHP-PUB-003",
        ),
        ("Chart.yaml", "url: https://example.com/key.asc", "note: none", "AHP-PUB-005"),
        ("Chart.yaml", '"false"', '"nope"', "AHP-PUB-008"),
        ("Chart.yaml", "category: security", "category: games", "AHP-PUB-008"),
        ("Chart.yaml", "image: nginx:1.25.3", "img: nginx", "AHP-PUB-008"),
        ("Chart.yaml", "kind: added", "kind: invented", "AHP-PUB-008"),
        ("Chart.yaml", "version: 1.2.3\n", "", "AHP-PUB-008"),
        ("artifacthub-pkg.yml", "version: 1.0.0", "version: one", "AHP-PUB-007"),
        ("artifacthub-pkg.yml", "displayName: Tool\n", "", "AHP-PUB-007"),
        (
            "artifacthub-pkg.yml",
            "createdAt: 2025-01-01T00:00:00Z",
            "createdAt: yesterday",
            "AHP-PUB-007",
        ),
        ("artifacthub-pkg.yml", "kind: fixed", "kind: broke", "AHP-PUB-007"),
        ("artifacthub-pkg.yml", "email: ann@example.com", "email: ann", "AHP-PUB-007"),
        ("artifacthub-pkg.yml", "ghcr.io/acme/tool:1.0.0", "Not An Image", "AHP-PUB-007"),
        ("artifacthub-pkg.yml", "license: MIT", "licence: MIT", "AHP-PUB-007"),
        ("artifacthub-pkg.yml", "license: MIT", "license: MIT or BSD", "AHP-PUB-003"),
        ("artifacthub-repo.yml", "8a1f3c52-6d0e-4b7a-9c21-5e4f3d2b1a09", "my-repo", "AHP-PUB-006"),
        ("artifacthub-repo.yml", "email: ann@example.com", "mail: x", "AHP-PUB-006"),
        ("artifacthub-repo.yml", "owners:", "owner:", "AHP-PUB-006"),
    ],
)
def test_one_field_mutation(tmp_path: Path, file: str, old: str, new: str, rule: str) -> None:
    path = chart_dir(tmp_path)
    text = (path / file).read_text()
    assert old in text
    (path / file).write_text(text.replace(old, new))
    assert set(ids(dir_target(path))) == {rule}


def test_unparseable_yaml_is_reported(tmp_path: Path) -> None:
    path = chart_dir(tmp_path, pkg="name: [unclosed\n")
    assert ids(dir_target(path)) == {"AHP-PUB-007": "error"}


def test_packaged_chart_without_provenance_warns(tmp_path: Path) -> None:
    path = chart_dir(tmp_path)
    (path / "mychart-1.2.3.tgz").write_bytes(b"\x1f\x8b")
    assert ids(dir_target(path)) == {"AHP-PUB-005": "warning"}
    (path / "mychart-1.2.3.tgz.prov").write_text("-----BEGIN PGP SIGNED MESSAGE-----\nno sig\n")
    assert ids(dir_target(path)) == {"AHP-PUB-005": "error"}
    (path / "mychart-1.2.3.tgz.prov").write_text("-----BEGIN PGP SIGNATURE-----\n...\n")
    assert ids(dir_target(path)) == {}


def test_empty_directory_is_invalid_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="nothing Artifact Hub would read"):
        dir_target(tmp_path)


def test_cli_on_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = chart_dir(tmp_path)
    assert run(["validate", "artifacthub", str(path)]) == 0
    (path / "artifacthub-repo.yml").write_text("repositoryID: nope\n")
    capsys.readouterr()
    assert run(["validate", "artifacthub", "--format", "json", str(path)]) == 1
    (report,) = json.loads(capsys.readouterr().out)["reports"]
    assert report["profile"] == "artifacthub-publish"
    assert [f["rule"] for f in report["findings"]] == ["AHP-PUB-006"]
    assert run(["validate", "artifacthub", str(tmp_path / "missing-dir-or-ref")]) in (1, 2)


# --- images in a real registry ----------------------------------------------------------------

AH_KEYS = {
    "org.opencontainers.image.created": "2025-06-01T12:00:00Z",
    "org.opencontainers.image.description": "A tiny image",
    "io.artifacthub.package.readme-url": "https://example.com/README.md",
    "io.artifacthub.package.license": "Apache-2.0",
}


@pytest.fixture
def client(registry: RegistryServer) -> RegistryClient:
    require_binary("docker-registry")
    return RegistryClient(registry.host)


def _sign_with_tag(client: RegistryClient, repo: str, digest: str) -> None:
    push_tiny_image(client, repo, tag=digest.replace(":", "-") + ".sig", seed="sig", layer_count=1)


def test_image_with_manifest_annotations_and_cosign_tag(
    client: RegistryClient, registry: RegistryServer
) -> None:
    repo = registry.repo("ahimg")
    image = push_tiny_image(client, repo, tag="1.0.0", annotations=AH_KEYS)
    _sign_with_tag(client, repo, image.digest)
    target = image_target(f"{registry.host}/{repo}:1.0.0")
    assert target.image is not None
    assert target.image.source == "manifest annotations"
    assert target.image.signature == "cosign tag"
    assert ids(target) == {}


def test_image_missing_keys_and_unsigned(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("ahimg")
    push_tiny_image(client, repo, tag="1.0.0")
    target = image_target(f"{registry.host}/{repo}:1.0.0")
    assert target.image is not None and target.image.source == "config labels"
    report = validate_target(target, PROFILE)
    assert report.rule_ids(Severity.ERROR) == {"AHP-PUB-001"}
    (unsigned,) = [f for f in report.findings if f.rule == "AHP-PUB-004"]
    assert unsigned.severity is Severity.INFO and "not show it as signed" in unsigned.message


def test_bad_optional_keys_and_licence(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("ahimg")
    annotations = dict(AH_KEYS)
    annotations["io.artifacthub.package.category"] = "games"
    annotations["io.artifacthub.package.maintainers"] = "ann@example.com"
    annotations["io.artifacthub.package.license"] = "Apache 2"
    annotations["org.opencontainers.image.created"] = "June 2025"
    image = push_tiny_image(client, repo, tag="1.0.0", annotations=annotations)
    _sign_with_tag(client, repo, image.digest)
    assert ids(image_target(f"{registry.host}/{repo}:1.0.0")) == {
        "AHP-PUB-001": "error",
        "AHP-PUB-002": "error",
        "AHP-PUB-003": "warning",
    }


def test_index_platforms_without_index_annotations(
    client: RegistryClient, registry: RegistryServer
) -> None:
    """AH reads only the first platform: metadata missing on the index is read from there."""
    repo = registry.repo("ahidx")
    push_tiny_index(client, repo, tag="2.0.0")
    target = image_target(f"{registry.host}/{repo}:2.0.0")
    assert target.image is not None and target.image.source == "config labels"
    # the tiny images carry different `seed` labels, but that is not an AH key
    assert target.image.inconsistent_keys == []
    assert "AHP-PUB-001" in ids(target)


def test_cli_image_and_artifact_cross_check(
    client: RegistryClient, registry: RegistryServer, tmp_path: Path
) -> None:
    from tests.validation.corpus import make_corpus

    repo = registry.repo("mychart")
    image = push_tiny_image(client, repo, tag="1.2.3", annotations=AH_KEYS)
    _sign_with_tag(client, repo, image.digest)
    ref = f"{registry.host}/{repo}:1.2.3"
    assert run(["validate", "artifacthub", ref]) == 0
    doc = make_corpus.good()
    doc["packages"][0]["checksums"][0]["checksumValue"] = image.digest.split(":")[1]
    doc["packages"][0]["name"] = repo.rsplit("/", 1)[-1]
    sbom = tmp_path / "image.spdx.json"
    sbom.write_text(json.dumps(doc))
    assert run(["validate", "sbom", "--artifact", ref, str(sbom)]) == 0
    doc["packages"][0]["versionInfo"] = "9.9.9"
    sbom.write_text(json.dumps(doc))
    assert run(["validate", "sbom", "--artifact", ref, str(sbom)]) == 1
    assert hashlib.sha256(image.raw).hexdigest() == image.digest.split(":")[1]


def test_alias_bomb_in_chart_yaml_is_a_finding(tmp_path: Path) -> None:
    from tests.validation.test_profiles import ALIAS_BOMB

    path = chart_dir(tmp_path, chart=ALIAS_BOMB)
    assert ids(dir_target(path)) == {"AHP-PUB-008": "error"}


def _push_referrer(
    client: RegistryClient,
    repo: str,
    subject: str,
    subject_raw: bytes,
    *,
    artifact_type: str,
    annotations: dict[str, str] | None = None,
) -> None:
    """A referrer artifact (OCI 1.1 manifest with ``subject``), pushed the way our signer does."""
    from supplychain.oci import mediatypes as mt
    from supplychain.oci.referrers import Referrers

    empty = b"{}"
    payload = json.dumps({"artifact": artifact_type}).encode()
    for blob in (empty, payload):
        client.push_blob(repo, blob)

    def desc(media_type: str, blob: bytes) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(blob).hexdigest()
        return {"mediaType": media_type, "digest": digest, "size": len(blob)}

    doc: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": desc("application/vnd.oci.empty.v1+json", empty),
        "layers": [desc("application/octet-stream", payload)],
        "subject": {"mediaType": mt.OCI_MANIFEST, "digest": subject, "size": len(subject_raw)},
    }
    if annotations:
        doc["annotations"] = annotations
    Referrers(client).push(repo, json.dumps(doc).encode(), mt.OCI_MANIFEST)


@pytest.mark.parametrize(
    ("artifact_type", "annotations", "signature"),
    [
        ("application/vnd.dev.cosign.artifact.sig.v1+json", None, "cosign referrer"),
        (
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            {"dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"},
            "bundle referrer",
        ),
        ("application/spdx+json", None, "unsigned"),  # an SBOM is not a signature
        (
            "application/vnd.dev.sigstore.bundle.v0.3+json",
            {"dev.sigstore.bundle.predicateType": "https://spdx.dev/Document"},
            "unsigned",  # an SBOM attestation does not count either
        ),
    ],
)
def test_signature_referrers_as_artifact_hub_sees_them(
    client: RegistryClient,
    registry: RegistryServer,
    artifact_type: str,
    annotations: dict[str, str] | None,
    signature: str,
) -> None:
    repo = registry.repo("ahsig")
    image = push_tiny_image(client, repo, tag="1.0.0", annotations=AH_KEYS)
    _push_referrer(
        client, repo, image.digest, image.raw, artifact_type=artifact_type, annotations=annotations
    )
    target = image_target(f"{registry.host}/{repo}:1.0.0")
    assert target.image is not None and target.image.signature == signature
    assert ids(target) == {}  # signed: nothing; unsigned: an info finding only
    report = validate_target(target, PROFILE)
    unsigned = [f for f in report.findings if f.rule == "AHP-PUB-004"]
    assert bool(unsigned) is (signature == "unsigned")


def test_oci_layout_image(capsys: pytest.CaptureFixture[str]) -> None:
    """A layout is read the same way (index → first platform → labels); signatures are a
    registry lookup, so they are reported as not checked (info), not as unsigned."""
    layout = Path(__file__).resolve().parents[2] / "testdata" / "images" / "sample-oci"
    target = image_target(f"oci:{layout}")
    assert target.image is not None
    assert target.image.source == "config labels"
    assert target.image.signature.startswith("not checked")
    assert ids(target) == {"AHP-PUB-001": "error"}
    assert run(["validate", "artifacthub", "--format", "sarif", f"oci:{layout}"]) == 1
    sarif = json.loads(capsys.readouterr().out)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"AHP-PUB-001", "AHP-PUB-004"}


def _push_index(
    client: RegistryClient, repo: str, children: list[object], annotations: dict[str, str] | None
) -> None:
    from supplychain.oci import mediatypes as mt

    doc: dict[str, object] = {
        "schemaVersion": 2,
        "mediaType": mt.OCI_INDEX,
        "manifests": [
            {
                "mediaType": child.media_type,  # type: ignore[attr-defined]
                "digest": child.digest,  # type: ignore[attr-defined]
                "size": len(child.raw),  # type: ignore[attr-defined]
                "platform": {"os": "linux", "architecture": arch},
            }
            for child, arch in zip(children, ("amd64", "arm64"), strict=True)
        ],
    }
    if annotations:
        doc["annotations"] = annotations
    client.put_manifest(repo, json.dumps(doc).encode(), mt.OCI_INDEX, tag="3.0.0")


def test_index_annotations_win(client: RegistryClient, registry: RegistryServer) -> None:
    repo = registry.repo("ahidx")
    children = [
        push_tiny_image(client, repo, tag=None, seed=arch, architecture=arch)
        for arch in ("amd64", "arm64")
    ]
    _push_index(client, repo, children, AH_KEYS)
    target = image_target(f"{registry.host}/{repo}:3.0.0")
    assert target.image is not None and target.image.source == "index annotations"
    assert "AHP-PUB-001" not in ids(target)


def test_platform_images_that_disagree(client: RegistryClient, registry: RegistryServer) -> None:
    """No index metadata: AH reads only the first platform, so differing keys are an error."""
    repo = registry.repo("ahidx")
    children = []
    for arch in ("amd64", "arm64"):
        annotations = dict(AH_KEYS)
        annotations["org.opencontainers.image.description"] = f"built for {arch}"
        children.append(
            push_tiny_image(
                client, repo, tag=None, seed=arch, architecture=arch, annotations=annotations
            )
        )
    _push_index(client, repo, children, None)
    target = image_target(f"{registry.host}/{repo}:3.0.0")
    assert target.image is not None and target.image.source == "manifest annotations"
    assert target.image.inconsistent_keys == ["org.opencontainers.image.description"]
    report = validate_target(target, PROFILE)
    messages = [f.message for f in report.findings if f.rule == "AHP-PUB-001"]
    assert len(messages) == 1 and "differs between platform images" in messages[0]
