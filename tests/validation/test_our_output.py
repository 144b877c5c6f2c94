"""Our own SBOMs against the artifacthub profile (VALIDATION.md §1: a golden requirement)."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from supplychain.cli.main import run
from supplychain.formats.cyclonedx import write_cyclonedx
from supplychain.formats.spdx import write_spdx
from supplychain.model.sbom import Sbom
from supplychain.validation import load_profile, validate_document
from supplychain.validation.findings import Severity
from tests.catalog.golang.conftest import load_generator
from tests.conftest import require_binary
from tests.formats import sample

PROFILE = load_profile("artifacthub")
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "testdata" / "images"


def with_supplier_and_author(sbom: Sbom) -> Sbom:
    """What `--supplier`/`--author` are meant to add (SBOM.md): every package gets a supplier,
    the root a declared licence, the document an Organization creator."""
    packages = tuple(
        dataclasses.replace(
            p,
            supplier=p.supplier or "Organization: Acme",
            license_declared=p.license_declared or ("Apache-2.0" if p.ref == sbom.root else None),
        )
        for p in sbom.packages
    )
    return dataclasses.replace(
        sbom, packages=packages, creators=(*sbom.creators, "Organization: Acme")
    )


def errors(doc: dict[str, object], kind: str) -> list[str]:
    report = validate_document(doc, PROFILE, file_name="x.spdx.json", kind=kind)
    return [
        f"{f.rule} {f.path} {f.message}" for f in report.findings if f.severity >= Severity.ERROR
    ]


def test_spdx_writer_output_passes_the_artifacthub_profile() -> None:
    doc = json.loads(write_spdx(with_supplier_and_author(sample.image_sbom())))
    assert errors(doc, "spdx-json") == []


def test_cyclonedx_writer_output_passes_schema_and_ntia_rules() -> None:
    doc = json.loads(write_cyclonedx(with_supplier_and_author(sample.image_sbom())))
    assert errors(doc, "cyclonedx-json") == []


def test_without_supplier_the_writer_output_is_rejected_for_the_right_reasons() -> None:
    doc = json.loads(write_spdx(sample.image_sbom()))
    report = validate_document(doc, PROFILE, file_name="x.spdx.json")
    assert report.rule_ids(Severity.ERROR) == {
        "AH-PKG-002",
        "AH-NTIA-001",
        "AH-NTIA-002",
        "AH-LIC-004",
    }


def _rootfs(tmp_path: Path) -> Path:
    root = tmp_path / "rootfs"
    dist = root / "usr/lib/python3/dist-packages/requests-2.31.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache-2.0\n"
        "Author: Kenneth Reitz\n"
    )
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID=12\nNAME="Debian"\n')
    return root


def test_supplychain_sbom_dir_output_passes_the_artifacthub_profile(tmp_path: Path) -> None:
    """A directory has no artifact digest: its root is a SOURCE package with a generic purl and
    no checksum, which the profile accepts; supplier and licence come from the flags."""
    out = tmp_path / "app.spdx.json"
    args = ["-q", "sbom", f"dir:{_rootfs(tmp_path)}", "--name", "app", "--version", "1.0.0"]
    args += ["--supplier", "Acme", "--license", "MIT", "--author", "Person: Jo", "-o", str(out)]
    assert run(args) == 0
    doc = json.loads(out.read_text())
    assert errors(doc, "spdx-json") == []
    root = _described(doc)
    assert root["primaryPackagePurpose"] == "SOURCE"
    assert "checksums" not in root
    assert root["externalRefs"][0]["referenceLocator"] == "pkg:generic/app@1.0.0"


def test_supplychain_sbom_dir_output_without_flags_fails_only_for_supplier_and_licence(
    tmp_path: Path,
) -> None:
    out = tmp_path / "app.spdx.json"
    args = ["-q", "sbom", f"dir:{_rootfs(tmp_path)}", "--name", "app", "--version", "1.0.0"]
    assert run([*args, "-o", str(out)]) == 0
    report = validate_document(json.loads(out.read_text()), PROFILE, file_name=out.name)
    assert report.rule_ids(Severity.ERROR) == {
        "AH-PKG-002",
        "AH-LIC-004",
        "AH-NTIA-001",
        "AH-NTIA-002",
    }


def _described(doc: dict[str, Any]) -> dict[str, Any]:
    (target,) = [
        r["relatedSpdxElement"]
        for r in doc["relationships"]
        if r["relationshipType"] == "DESCRIBES" and r["spdxElementId"] == "SPDXRef-DOCUMENT"
    ]
    package: dict[str, Any] = next(p for p in doc["packages"] if p["SPDXID"] == target)
    return package


def _with_purpose(doc: dict[str, Any], purpose: str | None) -> dict[str, Any]:
    mutated = copy.deepcopy(doc)
    root = _described(mutated)
    root.pop("checksums", None)
    if purpose is None:
        root.pop("primaryPackagePurpose", None)
    else:
        root["primaryPackagePurpose"] = purpose
    return mutated


@pytest.mark.parametrize(
    ("purpose", "flagged"),
    [("SOURCE", False), ("CONTAINER", True), ("APPLICATION", True), (None, True)],
)
def test_root_sha256_is_required_unless_the_root_is_source(
    purpose: str | None, flagged: bool
) -> None:
    """AH-PKG-006 scoping: only a SOURCE root may lack a SHA256; an image, a binary or a root
    that states no purpose still must carry one (fail closed)."""
    doc = json.loads(write_spdx(with_supplier_and_author(sample.image_sbom())))
    report = validate_document(_with_purpose(doc, purpose), PROFILE, file_name="x.spdx.json")
    hits = [f for f in report.findings if f.rule == "AH-PKG-006"]
    assert bool(hits) is flagged, hits


def test_a_source_root_with_a_wrong_sha256_is_still_rejected_against_the_artifact() -> None:
    doc = json.loads(write_spdx(with_supplier_and_author(sample.image_sbom())))
    root = _described(doc)
    root["primaryPackagePurpose"] = "SOURCE"
    root["checksums"] = [{"algorithm": "SHA256", "checksumValue": "AB" * 32}]
    report = validate_document(doc, PROFILE, file_name="x.spdx.json")
    assert "AH-PKG-006" in report.rule_ids(Severity.ERROR)


def test_a_profile_can_require_a_root_sha256_of_source_roots_too(tmp_path: Path) -> None:
    strict = tmp_path / "strict.yaml"
    strict.write_text(
        "profile: strict\nversion: 1\nextends: artifacthub\nrules:\n"
        "  AH-PKG-006: {params: {root_sha256_exempt_purposes: []}}\n"
    )
    doc = json.loads(write_spdx(with_supplier_and_author(sample.image_sbom())))
    mutated = _with_purpose(doc, "SOURCE")
    assert "AH-PKG-006" not in validate_document(mutated, PROFILE).rule_ids(Severity.ERROR)
    report = validate_document(mutated, load_profile(str(strict)))
    assert "AH-PKG-006" in report.rule_ids(Severity.ERROR)


def test_supplychain_sbom_image_output_passes_the_artifacthub_profile(tmp_path: Path) -> None:
    layout = SAMPLE_DIR / "sample-oci"
    out = tmp_path / "image.spdx.json"
    assert run(["-q", "sbom", f"oci:{layout}", "--no-cache", "-o", str(out)]) == 0
    assert errors(json.loads(out.read_text()), "spdx-json") == []


def test_supplychain_sbom_image_output_without_labels_fails_only_for_supplier_and_licence(
    tmp_path: Path,
) -> None:
    """Strip the publisher's labels: only what the publisher must state (supplier, licence) is
    missing; `--supplier`/`--license` then supply it and the document passes."""
    namespace = runpy.run_path(str(SAMPLE_DIR / "build.py"))
    namespace["LABELS"].clear()
    namespace["LABELS"]["org.opencontainers.image.title"] = "unlabelled sample"
    namespace["build"](tmp_path)
    layout = tmp_path / "sample-oci"
    out = tmp_path / "image.spdx.json"
    assert run(["-q", "sbom", f"oci:{layout}", "--no-cache", "-o", str(out)]) == 0
    report = validate_document(json.loads(out.read_text()), PROFILE, file_name=out.name)
    assert report.rule_ids(Severity.ERROR) == {
        "AH-PKG-002",
        "AH-LIC-004",
        "AH-NTIA-001",
        "AH-NTIA-002",
    }
    fixed = tmp_path / "fixed.spdx.json"
    args = ["-q", "sbom", f"oci:{layout}", "--no-cache", "-o", str(fixed)]
    args += ["--supplier", "Organization: Acme", "--license", "MIT"]
    assert run(args) == 0
    assert errors(json.loads(fixed.read_text()), "spdx-json") == []


@pytest.fixture(scope="module")
def go_app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A main module on a forge path with a forge dependency and a vanity one (built by the real
    go from a file proxy), and its binary: (module directory, binary)."""
    require_binary("go")
    gen = load_generator()
    base = tmp_path_factory.mktemp("goapp")
    lib, text = "github.com/acme/lib", "golang.org/x/text"
    fixture = gen.Fixture(
        "forge",
        deps=[
            gen.Dep(lib, "v1.2.0", requires=[(text, "v0.3.0")], imports=[text]),
            gen.Dep(text, "v0.3.0"),
        ],
        mains=[gen.Main("app", "github.com/acme/app", "1.19", imports=[lib])],
    )
    (directory,) = gen.prepare(fixture, base / "src", base / "cache")
    binary = base / "app-bin"
    env = gen.go_env(base / "cache", "off")
    gen.run(["go", "build", "-trimpath", "-buildvcs=false", "-o", str(binary), "."], directory, env)
    return directory, binary


def _go_sbom(tmp_path: Path, source: str, *flags: str) -> dict[str, Any]:
    out = tmp_path / "go.spdx.json"
    assert run(["-q", "sbom", source, *flags, "-o", str(out)]) == 0
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


PUBLISHER = ("--supplier", "Organization: Acme", "--license", "Apache-2.0", "--version", "v1.0.0")


def test_gobin_output_passes_the_artifacthub_profile(
    go_app: tuple[Path, Path], tmp_path: Path
) -> None:
    _, binary = go_app
    doc = _go_sbom(tmp_path, f"gobin:{binary}", *PUBLISHER, "--author", "Person: Jo")
    assert errors(doc, "spdx-json") == []
    root = _described(doc)
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    assert root["checksums"] == [{"algorithm": "SHA256", "checksumValue": digest}]
    assert root["versionInfo"] == "v1.0.0"
    assert root["supplier"] == "Organization: Acme"
    assert root["licenseDeclared"] == "Apache-2.0"
    suppliers = {p["name"]: p.get("supplier") for p in doc["packages"]}
    assert suppliers["github.com/acme/lib"] == "Organization: acme"
    assert suppliers["golang.org/x/text"] == "Organization: Go"


def test_gomod_output_passes_the_artifacthub_profile(
    go_app: tuple[Path, Path], tmp_path: Path
) -> None:
    directory, _ = go_app
    doc = _go_sbom(tmp_path, f"gomod:{directory}", *PUBLISHER)
    assert errors(doc, "spdx-json") == []
    root = _described(doc)
    assert root["primaryPackagePurpose"] == "SOURCE" and "checksums" not in root
    assert root["versionInfo"] == "v1.0.0"
    assert root["licenseDeclared"] == "Apache-2.0"


@pytest.mark.parametrize("kind", ["gomod", "gobin"])
def test_go_output_without_publisher_flags_fails_only_for_supplier_and_licence(
    go_app: tuple[Path, Path], tmp_path: Path, kind: str
) -> None:
    """Without the flags only what the publisher must state is missing: the licence, and the
    supplier where the module path names no owner (here the forge owner is derived; removing it
    from the root shows the supplier rules firing)."""
    directory, binary = go_app
    source = f"gomod:{directory}" if kind == "gomod" else f"gobin:{binary}"
    doc = _go_sbom(tmp_path, source)
    report = validate_document(doc, PROFILE, file_name="go.spdx.json")
    assert report.rule_ids(Severity.ERROR) == {"AH-LIC-004"}
    _described(doc).pop("supplier")
    report = validate_document(doc, PROFILE, file_name="go.spdx.json")
    assert report.rule_ids(Severity.ERROR) == {
        "AH-PKG-002",
        "AH-LIC-004",
        "AH-NTIA-001",
        "AH-NTIA-002",
    }
