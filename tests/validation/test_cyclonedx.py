"""CycloneDX documents: schema validation (AH-CDX-001) and NTIA in CycloneDX terms (AH-CDX-002)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from supplychain.validation import load_profile, validate_document, validate_file
from supplychain.validation.findings import Severity

PROFILE = load_profile("artifacthub")


def good() -> dict[str, Any]:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": "urn:uuid:8a1f3c52-6d0e-4b7a-9c21-5e4f3d2b1a09",
        "version": 1,
        "metadata": {
            "timestamp": "2025-06-01T12:00:00Z",
            "tools": {
                "components": [{"type": "application", "name": "supplychain", "version": "0.1.0"}]
            },
            "component": {
                "type": "application",
                "bom-ref": "root",
                "name": "app",
                "version": "1.0.0",
            },
        },
        "components": [
            {
                "type": "library",
                "bom-ref": "pkg:npm/left-pad@1.3.0",
                "name": "left-pad",
                "version": "1.3.0",
                "supplier": {"name": "npm"},
                "purl": "pkg:npm/left-pad@1.3.0",
            }
        ],
        "dependencies": [{"ref": "root", "dependsOn": ["pkg:npm/left-pad@1.3.0"]}],
    }


def ids(doc: dict[str, Any]) -> set[str]:
    report = validate_document(doc, PROFILE, kind="cyclonedx-json")
    return report.rule_ids(Severity.WARNING)


def test_good_cyclonedx_passes() -> None:
    assert ids(good()) == set()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("specVersion",), "9.9", {"AH-CDX-001"}),
        (("components", 0, "type"), "gadget", {"AH-CDX-001"}),
        (("components", 0, "unknownField"), 1, {"AH-CDX-001"}),
        (("metadata", "timestamp"), ..., {"AH-CDX-002"}),
        (("components", 0, "version"), ..., {"AH-CDX-002"}),
        (("components", 0, "supplier"), ..., {"AH-CDX-002"}),
        (("components", 0, "purl"), ..., {"AH-CDX-002"}),
        (("dependencies",), ..., {"AH-CDX-002"}),
    ],
)
def test_one_field_mutations(path: tuple[Any, ...], value: object, expected: set[str]) -> None:
    doc = good()
    node: Any = doc
    for part in path[:-1]:
        node = node[part]
    if value is ...:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    assert ids(doc) == expected


def test_cyclonedx_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "bom.cdx.json"
    path.write_text(json.dumps(good()))
    report = validate_file(path, PROFILE)
    assert not report.failed
    assert all(not f.rule.startswith(("AH-DOC", "AH-PKG")) for f in report.findings)
