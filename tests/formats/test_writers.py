"""Both writers: every document validated, deterministic bytes, the §F/§G details."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from supplychain.errors import UsageError
from supplychain.formats.cyclonedx import write_cyclonedx
from supplychain.formats.spdx import document_uuid, write_spdx
from supplychain.model.sbom import Sbom
from tests.formats.sample import image_sbom


def assert_valid_spdx(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "doc.spdx.json"
    path.write_bytes(data)
    messages = validate_full_spdx_document(parse_file(str(path)))
    assert [m.validation_message for m in messages] == []


def assert_valid_cyclonedx(data: bytes) -> None:
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode()) is None


def test_spdx_document_validates(tmp_path: Path) -> None:
    assert_valid_spdx(write_spdx(image_sbom()), tmp_path)


def test_cyclonedx_document_validates() -> None:
    assert_valid_cyclonedx(write_cyclonedx(image_sbom()))


def test_spdx_is_byte_identical_for_same_input() -> None:
    assert write_spdx(image_sbom(extra=30)) == write_spdx(image_sbom(extra=30))


def test_cyclonedx_is_byte_identical_for_same_input() -> None:
    assert write_cyclonedx(image_sbom(extra=30)) == write_cyclonedx(image_sbom(extra=30))


def test_only_created_derived_fields_change_with_the_clock() -> None:
    later = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    a = json.loads(write_spdx(image_sbom()))
    b = json.loads(write_spdx(image_sbom(later)))
    assert a["documentNamespace"] != b["documentNamespace"]
    assert b["creationInfo"]["created"] == "2025-01-02T03:04:05Z"
    for doc in (a, b):
        doc.pop("documentNamespace")
        doc["creationInfo"].pop("created")
        for pkg in doc["packages"]:
            for ann in pkg.get("annotations", []):
                ann.pop("annotationDate")
    assert a == b
    c1 = json.loads(write_cyclonedx(image_sbom()))
    c2 = json.loads(write_cyclonedx(image_sbom(later)))
    assert c1["serialNumber"] != c2["serialNumber"]
    for doc in (c1, c2):
        doc.pop("serialNumber")
        doc["metadata"].pop("timestamp")
    assert c1 == c2


def test_namespace_is_uuid5_of_content_and_shared_with_cyclonedx() -> None:
    sbom = image_sbom()
    spdx = json.loads(write_spdx(sbom))
    cdx = json.loads(write_cyclonedx(sbom))
    uuid = str(document_uuid(sbom))
    assert spdx["documentNamespace"].endswith(uuid)
    assert spdx["documentNamespace"].startswith("https://spdx.org/spdxdocs/supplychain/")
    assert cdx["serialNumber"] == f"urn:uuid:{uuid}"
    assert str(document_uuid(image_sbom(extra=1))) != uuid


def test_bad_namespace_base_is_usage_error() -> None:
    for base in ("http://x.example", "https://u:p@x.example", "https://x.example/#a"):
        with pytest.raises(UsageError):
            write_spdx(image_sbom(), namespace_base=base)


def _by_name(doc: dict[str, object], name: str) -> dict[str, object]:
    packages = doc["packages"]
    assert isinstance(packages, list)
    return next(p for p in packages if p["name"] == name)


def test_spdx_package_fields() -> None:
    doc = json.loads(write_spdx(image_sbom()))
    assert doc["spdxVersion"] == "SPDX-2.3"
    assert doc["creationInfo"]["creators"][0].startswith("Tool: supplychain-")
    libc = _by_name(doc, "libc6")
    assert libc["licenseConcluded"] == "NOASSERTION"  # never copied from declared
    assert libc["licenseDeclared"] == "LGPL-2.1-or-later AND LicenseRef-libc-notice-0a1b2c3d"
    assert libc["filesAnalyzed"] is False
    assert libc["downloadLocation"] == "NOASSERTION"
    assert libc["externalRefs"] == [
        {
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12",
        }
    ]
    assert libc["annotations"][0]["comment"].startswith("supplychain:layer=0:sha256:")
    assert "primaryPackagePurpose" not in libc  # OS packages: omitted (§F.3)
    assert _by_name(doc, "debian")["primaryPackagePurpose"] == "OPERATING_SYSTEM"
    jar = _by_name(doc, "snakeyaml")
    assert [c["algorithm"] for c in jar["checksums"]] == ["SHA1", "SHA256"]
    assert doc["hasExtractedLicensingInfos"] == [
        {"licenseId": "LicenseRef-libc-notice-0a1b2c3d", "extractedText": "Some notice text."}
    ]


def test_spdx_relationships_rooted_sorted_and_clean() -> None:
    doc = json.loads(write_spdx(image_sbom()))
    rels = [
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in doc["relationships"]
    ]
    assert rels[0][0] == "SPDXRef-DOCUMENT" and rels[0][1] == "DESCRIBES"
    assert sum(1 for r in rels if r[1] == "DESCRIBES") == 1
    assert rels[1:] == sorted(set(rels[1:]))
    assert all(r[1] in ("DESCRIBES", "CONTAINS", "DEPENDS_ON") for r in rels)
    ids = {p["SPDXID"] for p in doc["packages"]}
    for a, _, b in rels[1:]:
        assert a in ids and (b in ids or b in ("NONE", "NOASSERTION"))
    assert "documentDescribes" not in doc


def test_unknown_licence_ref_gets_extracted_info(tmp_path: Path) -> None:
    sbom = image_sbom()
    pkgs = tuple(
        p if p.name != "bash" else _with_license(p, "LicenseRef-mystery-12345678")
        for p in sbom.packages
    )
    sbom = Sbom(**{**sbom.__dict__, "packages": pkgs})
    data = write_spdx(sbom)
    assert_valid_spdx(data, tmp_path)
    ids = [e["licenseId"] for e in json.loads(data)["hasExtractedLicensingInfos"]]
    assert "LicenseRef-mystery-12345678" in ids


def _with_license(pkg, expr):  # type: ignore[no-untyped-def]
    import dataclasses

    return dataclasses.replace(pkg, license_declared=expr)


def test_cyclonedx_details() -> None:
    sbom = image_sbom()
    doc = json.loads(write_cyclonedx(sbom))
    assert doc["specVersion"] == "1.6"
    root = doc["metadata"]["component"]
    assert root["type"] == "container"
    assert root["bom-ref"] == sbom.root
    assert root["hashes"] == [{"alg": "SHA-256", "content": "3f" * 32}]
    # Canonical purl kept (the library would leave '/' raw in repository_url).
    assert "repository_url=ghcr.io%2Facme%2Fapp" in root["purl"]
    refs = {c["bom-ref"] for c in doc["components"]}
    assert sbom.root not in refs
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    assert set(deps) == refs | {sbom.root}  # every component registered, leaves too
    bash = next(c for c in doc["components"] if c["name"] == "bash")
    libc = next(c for c in doc["components"] if c["name"] == "libc6")
    assert deps[bash["bom-ref"]] == [libc["bom-ref"]]
    assert deps[libc["bom-ref"]] == []
    jar = next(c for c in doc["components"] if c["name"] == "snakeyaml")
    assert doc["compositions"] == [
        {"aggregate": "incomplete", "assemblies": [sbom.root]},
        {"aggregate": "unknown", "dependencies": [jar["bom-ref"]]},
    ]
    req = next(c for c in doc["components"] if c["name"] == "requests")
    assert req["supplier"] == {"name": "Kenneth Reitz"}
    assert req["licenses"] == [{"expression": "Apache-2.0"}]


def go_module_sbom() -> Sbom:
    """Shape of the Go engineer's module SBOM (SBOM.md §E.4): application root, h1 annotations."""
    from supplychain.model.sbom import (
        NOASSERTION,
        NONE,
        Package,
        Purpose,
        RelType,
        SbomBuilder,
        package_ref,
    )

    b = SbomBuilder("example.com/app", datetime(2025, 1, 1, tzinfo=timezone.utc))
    b.root = b.add_package(
        Package(
            ref=package_ref("GoModule", "example.com/app", "pkg:golang/example.com/app"),
            name="example.com/app",
            version="v0.0.0-20250101120000-0123456789ab",
            purl="pkg:golang/example.com/app@v0.0.0-20250101120000-0123456789ab",
            kind="golang",
            purpose=Purpose.APPLICATION,
            properties=(("supplychain:golang:toolchain", "go1.22.4"),),
        )
    )
    lib = b.add_package(
        Package(
            ref=package_ref("Package-golang", "example.com/lib", "lib"),
            name="example.com/lib",
            version="v1.2.0",
            purl="pkg:golang/example.com/lib@v1.2.0",
            kind="golang",
            purpose=Purpose.LIBRARY,
            properties=(("supplychain:golang:h1", "h1:" + "A" * 43 + "="),),
        )
    )
    util = b.add_package(
        Package(
            ref=package_ref("Package-golang", "github.com/acme/util", "util"),
            name="github.com/acme/util",
            version="v1.1.2",
            purl="pkg:golang/github.com/acme/util@v1.1.2",
            kind="golang",
            purpose=Purpose.LIBRARY,
        )
    )
    b.relate(b.root, RelType.DEPENDS_ON, lib)
    b.relate(lib, RelType.DEPENDS_ON, util)
    b.relate(util, RelType.DEPENDS_ON, NONE)
    b.relate(lib, RelType.DEPENDS_ON, NOASSERTION)
    return b.build()


def test_go_module_documents(tmp_path: Path) -> None:
    sbom = go_module_sbom()
    spdx = write_spdx(sbom)
    cdx = write_cyclonedx(sbom)
    assert_valid_spdx(spdx, tmp_path)
    assert_valid_cyclonedx(cdx)
    doc = json.loads(cdx)
    assert doc["metadata"]["component"]["type"] == "application"
    assert "hashes" not in json.dumps(doc)  # an h1: sum is never a hash
    props = doc["components"][0]["properties"]
    assert {"name": "supplychain:golang:h1", "value": "h1:" + "A" * 43 + "="} in props
    spdx_doc = json.loads(spdx)
    assert all("checksums" not in p for p in spdx_doc["packages"])


def test_hostile_metadata_values_never_invalidate_the_document(tmp_path: Path) -> None:
    import dataclasses

    sbom = image_sbom()
    evil = tuple(
        dataclasses.replace(
            p,
            homepage="javascript:alert(1) not a url",
            download_location="file:///etc/passwd\nX",
            supplier="Tool: evil\nPerson: x",
        )
        if p.name == "bash"
        else p
        for p in sbom.packages
    )
    data = write_spdx(dataclasses.replace(sbom, packages=evil))
    assert_valid_spdx(data, tmp_path)
    bash = _by_name(json.loads(data), "bash")
    assert "homepage" not in bash
    assert bash["downloadLocation"] == "NOASSERTION"
    assert bash["supplier"] == "NOASSERTION"
    assert_valid_cyclonedx(write_cyclonedx(dataclasses.replace(sbom, packages=evil)))
