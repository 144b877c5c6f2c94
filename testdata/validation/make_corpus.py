"""Generate the validation corpus: one good SPDX 2.3 document, one-field mutations of it, and
real-world-shaped documents with other tools' typical defects, each with the rule ids we
expect (errors and warnings; info findings are not listed).

Run: python testdata/validation/make_corpus.py [OUTDIR]   (default: testdata/validation/corpus)
The tests import this module instead of reading the files, so the corpus can never drift from
the expectations; the files are for people and for other tools (spdx-tools, NCC) to compare.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Doc = dict[str, Any]
ROOT = "SPDXRef-Package-mychart"
DEP = "SPDXRef-Package-nginx"
ROOT_SHA256 = "3f5a6c0e8b1d2a4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d"
NAMESPACE = "https://sbom.example.com/spdxdocs/mychart-1.2.3-8a1f3c52-6d0e-4b7a-9c21-5e4f3d2b1a09"


def good() -> Doc:
    """Valid SPDX 2.3 that passes the artifacthub profile with no error and no warning."""
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "mychart-1.2.3",
        "documentNamespace": NAMESPACE,
        "creationInfo": {
            "created": "2025-06-01T12:00:00Z",
            "creators": ["Tool: supplychain-0.1.0", "Organization: Example Corp"],
            "licenseListVersion": "3.27",
        },
        "packages": [
            {
                "name": "mychart",
                "SPDXID": ROOT,
                "versionInfo": "1.2.3",
                "supplier": "Organization: Example Corp",
                "downloadLocation": "https://charts.example.com/mychart-1.2.3.tgz",
                "filesAnalyzed": False,
                "checksums": [{"algorithm": "SHA256", "checksumValue": ROOT_SHA256}],
                "licenseConcluded": "Apache-2.0",
                "licenseDeclared": "Apache-2.0",
                "copyrightText": "Copyright 2025 Example Corp",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": f"pkg:oci/mychart@sha256:{ROOT_SHA256}",
                    }
                ],
                "primaryPackagePurpose": "APPLICATION",
            },
            {
                "name": "nginx",
                "SPDXID": DEP,
                "versionInfo": "1.25.3",
                "supplier": "Organization: NGINX",
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "BSD-2-Clause",
                "copyrightText": "NOASSERTION",
                "externalRefs": [
                    {
                        "referenceCategory": "PACKAGE-MANAGER",
                        "referenceType": "purl",
                        "referenceLocator": "pkg:docker/nginx@1.25.3",
                    }
                ],
                "primaryPackagePurpose": "CONTAINER",
            },
        ],
        "relationships": [
            rel("SPDXRef-DOCUMENT", "DESCRIBES", ROOT),
            rel(ROOT, "DEPENDS_ON", DEP),
        ],
    }


def rel(a: str, kind: str, b: str) -> dict[str, str]:
    return {"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b}


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    """A mutation setting ``path`` (dotted, ints for list indexes); value ``...`` deletes."""

    def apply(doc: Doc) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        node: Any = doc
        for part in parents:
            node = node[part]
        if value is ...:
            del node[last]
        else:
            node[last] = value

    return apply


def _do(*steps: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        for step in steps:
            step(doc)

    return apply


def _add_file(abs_path: bool = False, sha1: bool = True) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        checksums = [{"algorithm": "SHA256", "checksumValue": "a" * 64}]
        if sha1:
            checksums.append({"algorithm": "SHA1", "checksumValue": "b" * 40})
        doc["files"] = [
            {
                "SPDXID": "SPDXRef-File-readme",
                "fileName": "/README.md" if abs_path else "./README.md",
                "checksums": checksums,
            }
        ]
        doc["packages"][0]["filesAnalyzed"] = True
        doc["packages"][0]["packageVerificationCode"] = {"packageVerificationCodeValue": "c" * 40}
        doc["relationships"].append(rel(ROOT, "CONTAINS", "SPDXRef-File-readme"))

    return apply


def _append_rel(a: str, kind: str, b: str) -> Callable[[Doc], None]:
    return lambda doc: doc["relationships"].append(rel(a, kind, b))


def _extra_package(**fields: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        pkg = copy.deepcopy(doc["packages"][1])
        pkg.update({"SPDXID": "SPDXRef-Package-extra", "name": "extra"})
        pkg.update(fields)
        doc["packages"].append(pkg)

    return apply


P0, P1 = "packages.0", "packages.1"
# name → (mutation, expected rule ids at warning or error). One field changed per case.
MUTATIONS: dict[str, tuple[Callable[[Doc], None], set[str]]] = {
    "v22": (_set("spdxVersion", "SPDX-2.2"), {"AH-DOC-001"}),
    "v24": (_set("spdxVersion", "SPDX-2.4"), {"AH-DOC-001"}),
    "datalicense": (_set("dataLicense", "MIT"), {"AH-DOC-002"}),
    "doc_spdxid_wrong": (_set("SPDXID", "SPDXRef-DOC"), {"AH-DOC-002"}),
    "name_missing": (_set("name", ...), {"AH-DOC-002", "AH-FMT-002"}),
    "name_newline": (_set("name", "a\nb"), {"AH-DOC-002"}),
    "ns_fragment": (_set("documentNamespace", NAMESPACE + "#x"), {"AH-DOC-003"}),
    "ns_noscheme": (
        _set("documentNamespace", "sbom.example.com/x-" + NAMESPACE[-36:]),
        {"AH-DOC-003"},
    ),
    "ns_urn": (_set("documentNamespace", "urn:uuid:" + NAMESPACE[-36:]), set()),
    "ns_constant": (_set("documentNamespace", "https://sbom.example.com/mychart"), {"AH-DOC-003"}),
    "ns_http": (_set("documentNamespace", "http" + NAMESPACE[5:]), {"AH-DOC-003"}),
    "ns_userinfo": (_set("documentNamespace", "https://u:p@" + NAMESPACE[8:]), {"AH-DOC-003"}),
    "created_missing": (
        _set("creationInfo.created", ...),
        {"AH-DOC-005", "AH-FMT-002", "AH-NTIA-001"},
    ),
    "created_dateonly": (_set("creationInfo.created", "2025-06-01"), {"AH-DOC-005", "AH-FMT-002"}),
    "created_fraction": (
        _set("creationInfo.created", "2025-06-01T12:00:00.123Z"),
        {"AH-DOC-005", "AH-FMT-002"},
    ),
    "created_offset": (
        _set("creationInfo.created", "2025-06-01T12:00:00+02:00"),
        {"AH-DOC-005", "AH-FMT-002"},
    ),
    "created_noZ": (
        _set("creationInfo.created", "2025-06-01T12:00:00"),
        {"AH-DOC-005", "AH-FMT-002"},
    ),
    "created_feb30": (_set("creationInfo.created", "2025-02-30T00:00:00Z"), {"AH-DOC-005"}),
    "created_future": (_set("creationInfo.created", "2999-01-01T00:00:00Z"), {"AH-DOC-005"}),
    "creators_empty": (
        _set("creationInfo.creators", []),
        {"AH-DOC-006", "AH-DOC-007", "AH-FMT-002", "AH-NTIA-001"},
    ),
    "creators_missing": (
        _set("creationInfo.creators", ...),
        {"AH-DOC-006", "AH-DOC-007", "AH-FMT-002", "AH-NTIA-001"},
    ),
    "creator_noprefix": (
        _set("creationInfo.creators.1", "Example Corp"),
        {"AH-DOC-006", "AH-DOC-007"},
    ),
    "creator_tool_email": (
        _set("creationInfo.creators.0", "Tool: x-1.0 (a@b.com)"),
        {"AH-DOC-006"},
    ),
    "tool_only_creator": (
        _set("creationInfo.creators", ["Tool: supplychain-0.1.0"]),
        {"AH-DOC-007"},
    ),
    "org_only_creator": (
        _set("creationInfo.creators", ["Organization: Example Corp"]),
        {"AH-DOC-007"},
    ),
    "licenselistversion_3part": (_set("creationInfo.licenseListVersion", "3.27.0"), {"AH-DOC-008"}),
    "licenselistversion_old": (_set("creationInfo.licenseListVersion", "3.20"), {"AH-DOC-008"}),
    "spdxid_underscore": (
        _do(
            _set(f"{P1}.SPDXID", "SPDXRef-Package_nginx"),
            _set("relationships.1.relatedSpdxElement", "SPDXRef-Package_nginx"),
        ),
        {"AH-ID-001", "AH-FMT-002"},
    ),
    "dup_ids": (_extra_package(SPDXID=DEP), {"AH-ID-001"}),
    "no_describes": (
        _set("relationships.0.relationshipType", "CONTAINS"),
        {"AH-REL-001", "AH-NTIA-001"},
    ),
    "no_relationships": (_set("relationships", ...), {"AH-REL-001", "AH-REL-005", "AH-NTIA-001"}),
    "documentDescribes_field": (_set("documentDescribes", [ROOT]), {"AH-REL-001"}),
    "two_describes": (_append_rel("SPDXRef-DOCUMENT", "DESCRIBES", DEP), {"AH-REL-001"}),
    "describes_file": (
        _do(_add_file(), _set("relationships.0.relatedSpdxElement", "SPDXRef-File-readme")),
        {"AH-REL-001", "AH-REL-005", "AH-NTIA-001"},
    ),
    "rel_dangling": (
        _set("relationships.1.relatedSpdxElement", "SPDXRef-Package-gone"),
        {"AH-REL-002", "AH-REL-004", "AH-REL-005", "AH-NTIA-001"},
    ),
    "noassertion_left": (_append_rel("NOASSERTION", "DEPENDS_ON", DEP), {"AH-REL-002"}),
    "rel_noassertion": (_append_rel(DEP, "DEPENDS_ON", "NOASSERTION"), set()),
    "rel_none": (_append_rel(DEP, "DEPENDS_ON", "NONE"), set()),
    "rel_badtype": (
        _set("relationships.1.relationshipType", "DEPENDS-ON"),
        {"AH-REL-003", "AH-FMT-002", "AH-REL-004", "AH-REL-005", "AH-NTIA-001", "AH-NTIA-002"},
    ),
    "dependency_of_only": (
        _set("relationships.1", rel(DEP, "DEPENDENCY_OF", ROOT)),
        {"AH-REL-004", "AH-REL-005", "AH-NTIA-001", "AH-NTIA-002"},
    ),
    "root_no_depends": (
        _set("relationships.1", rel(ROOT, "CONTAINS", DEP)),
        {"AH-REL-004", "AH-NTIA-002"},
    ),
    "root_depends_none": (
        _do(
            _set("relationships.1", rel(ROOT, "DEPENDS_ON", "NONE")),
            _append_rel(ROOT, "CONTAINS", DEP),
        ),
        set(),
    ),
    "orphan_pkg": (_extra_package(), {"AH-REL-005", "AH-NTIA-001"}),
    "self_loop": (_append_rel(DEP, "DEPENDS_ON", DEP), {"AH-REL-006"}),
    "dup_triple": (_append_rel(ROOT, "DEPENDS_ON", DEP), {"AH-REL-006"}),
    "root_cycle": (_append_rel(DEP, "DEPENDS_ON", ROOT), {"AH-REL-006"}),
    "pkg_no_name": (_set(f"{P1}.name", ...), {"AH-PKG-001", "AH-FMT-002", "AH-NTIA-001"}),
    "pkg_no_version": (_set(f"{P1}.versionInfo", ...), {"AH-PKG-001", "AH-NTIA-001"}),
    "version_noassertion": (_set(f"{P1}.versionInfo", "NOASSERTION"), {"AH-PKG-001"}),
    "placeholder_version": (_set(f"{P1}.versionInfo", "(devel)"), {"AH-PKG-008"}),
    "supplier_noassertion": (
        _set(f"{P1}.supplier", "NOASSERTION"),
        {"AH-PKG-002", "AH-NTIA-001", "AH-NTIA-002"},
    ),
    "supplier_missing": (_set(f"{P1}.supplier", ...), {"AH-PKG-002", "AH-NTIA-001", "AH-NTIA-002"}),
    "pkg_supplier_noprefix": (_set(f"{P1}.supplier", "NGINX"), {"AH-PKG-002"}),
    "pkg_no_download": (_set(f"{P1}.downloadLocation", ...), {"AH-PKG-003", "AH-FMT-002"}),
    "pkg_download_oci": (_set(f"{P0}.downloadLocation", "oci://ghcr.io/x/mychart"), {"AH-PKG-003"}),
    "pkg_download_scp": (_set(f"{P0}.downloadLocation", "git@github.com:x/y.git"), {"AH-PKG-003"}),
    "pkg_download_gitplus": (
        _set(f"{P0}.downloadLocation", "git+https://github.com/x/y.git@v1.2.3"),
        set(),
    ),
    "download_userinfo": (
        _set(f"{P0}.downloadLocation", "https://u:p@charts.example.com/x.tgz"),
        {"AH-PKG-003"},
    ),
    "pkg_homepage_bad": (_set(f"{P0}.homepage", "example dot com"), {"AH-PKG-003"}),
    "pkg_filesanalyzed_default": (_set(f"{P1}.filesAnalyzed", ...), {"AH-PKG-004"}),
    "pkg_fa_true_with_vcode_bad": (
        _do(_add_file(), _set(f"{P0}.packageVerificationCode.packageVerificationCodeValue", "xyz")),
        {"AH-PKG-004"},
    ),
    "pkg_fa_false_with_vcode": (
        _set(f"{P1}.packageVerificationCode", {"packageVerificationCodeValue": "c" * 40}),
        {"AH-PKG-004"},
    ),
    "files_ok": (_add_file(), set()),
    "pkg_purl_bad": (_set(f"{P1}.externalRefs.0.referenceLocator", "nginx@1.25.3"), {"AH-PKG-005"}),
    "pkg_reftype_bad": (
        _set(f"{P1}.externalRefs.0.referenceType", "purll"),
        {"AH-PKG-005", "AH-NTIA-002"},
    ),
    "pkg_refcat_underscore": (
        _set(f"{P1}.externalRefs.0.referenceCategory", "PACKAGE_MANAGER"),
        {"AH-PKG-005"},
    ),
    "helm_purl": (
        _set(f"{P0}.externalRefs.0.referenceLocator", "pkg:helm/mychart@1.2.3"),
        {"AH-PKG-005"},
    ),
    "oci_purl_tag": (
        _set(f"{P0}.externalRefs.0.referenceLocator", "pkg:oci/mychart@1.2.3"),
        {"AH-PKG-005"},
    ),
    "no_purl_no_cpe": (_set(f"{P1}.externalRefs", ...), {"AH-PKG-005", "AH-NTIA-002"}),
    "pkg_purpose_bad": (_set(f"{P0}.primaryPackagePurpose", "CHART"), {"AH-FMT-002"}),
    "purpose_os_hyphen": (_set(f"{P1}.primaryPackagePurpose", "OPERATING-SYSTEM"), {"AH-FMT-002"}),
    "root_no_purpose": (_set(f"{P0}.primaryPackagePurpose", ...), {"AH-PKG-007"}),
    "cksum_upper": (_set(f"{P0}.checksums.0.checksumValue", ROOT_SHA256.upper()), {"AH-PKG-006"}),
    "cksum_len": (_set(f"{P0}.checksums.0.checksumValue", ROOT_SHA256[:40]), {"AH-PKG-006"}),
    "cksum_alg_dash": (
        _set(f"{P0}.checksums.0.algorithm", "SHA-256"),
        {"AH-FMT-002", "AH-PKG-006"},
    ),
    "cksum_blake3_64hex": (
        _set(f"{P1}.checksums", [{"algorithm": "BLAKE3", "checksumValue": "d" * 64}]),
        set(),
    ),
    "cksum_other_bad": (
        _set(f"{P1}.checksums", [{"algorithm": "SHA1", "checksumValue": "d" * 39}]),
        {"AH-PKG-006"},
    ),
    "root_no_checksum": (_set(f"{P0}.checksums", ...), {"AH-PKG-006"}),
    "file_no_sha1": (_add_file(sha1=False), {"AH-FILE-001"}),
    "file_abs_path": (_add_file(abs_path=True), {"AH-FILE-001"}),
    "lic_space": (_set(f"{P1}.licenseDeclared", "BSD 2-Clause"), {"AH-LIC-001"}),
    "lic_with_bad": (_set(f"{P1}.licenseDeclared", "GPL-2.0-only WITH MIT"), {"AH-LIC-001"}),
    "lic_with_ok": (
        _set(f"{P1}.licenseDeclared", "GPL-2.0-only WITH Classpath-exception-2.0"),
        set(),
    ),
    "lic_unbalanced": (_set(f"{P1}.licenseDeclared", "(MIT OR BSD-2-Clause"), {"AH-LIC-001"}),
    "lic_empty": (_set(f"{P1}.licenseDeclared", ""), {"AH-LIC-001"}),
    "lic_lower_op": (_set(f"{P1}.licenseDeclared", "MIT or BSD-2-Clause"), {"AH-LIC-001"}),
    "lic_none": (_set(f"{P1}.licenseDeclared", "NONE"), set()),
    "plus_suffix_ok": (_set(f"{P1}.licenseDeclared", "Apache-2.0+"), set()),
    "mpl_no_copyleft_ok": (_set(f"{P1}.licenseDeclared", "MPL-2.0-no-copyleft-exception"), set()),
    "lic_lower": (_set(f"{P1}.licenseDeclared", "mit"), {"AH-LIC-003"}),
    "lic_deprecated_gpl20": (_set(f"{P1}.licenseDeclared", "GPL-2.0"), {"AH-LIC-003"}),
    "lic_deprecated_plus": (_set(f"{P1}.licenseDeclared", "GPL-2.0+"), {"AH-LIC-003"}),
    "lic_undeclared_ref": (_set(f"{P1}.licenseDeclared", "LicenseRef-internal"), {"AH-LIC-002"}),
    "lic_scancode_only": (
        _set(f"{P1}.licenseDeclared", "LicenseRef-scancode-public-domain"),
        {"AH-LIC-002"},
    ),
    "licref_ok": (
        _do(
            _set(f"{P1}.licenseDeclared", "LicenseRef-internal"),
            _set(
                "hasExtractedLicensingInfos",
                [{"licenseId": "LicenseRef-internal", "extractedText": "text"}],
            ),
        ),
        set(),
    ),
    "licref_bad_id": (
        _set("hasExtractedLicensingInfos", [{"licenseId": "LicenseRef-a_b", "extractedText": "t"}]),
        {"AH-LIC-002"},
    ),
    "licref_no_text": (
        _set("hasExtractedLicensingInfos", [{"licenseId": "LicenseRef-x"}]),
        {"AH-LIC-002", "AH-FMT-002"},
    ),
    "root_declared_noassertion": (_set(f"{P0}.licenseDeclared", "NOASSERTION"), {"AH-LIC-004"}),
    "root_concluded_absent": (_set(f"{P0}.licenseConcluded", ...), {"AH-LIC-004"}),
    "unknown_field": (_set("packageSupplier", "x"), {"AH-FMT-002"}),
}


# Real-world-shaped documents: typical output of other tools, with the ids we expect.
def trivy_shaped() -> Doc:
    """http:// namespace, reverse DEPENDENCY_OF edges, NOASSERTION suppliers and versions."""
    doc = good()
    doc["documentNamespace"] = (
        "http://aquasecurity.github.io/trivy/container_image/x-" + NAMESPACE[-36:]
    )
    doc["packages"][1]["supplier"] = "NOASSERTION"
    doc["packages"][1]["versionInfo"] = "NOASSERTION"
    doc["relationships"][1] = rel(DEP, "DEPENDENCY_OF", ROOT)
    return doc


def syft_shaped() -> Doc:
    """Undeclared LicenseRefs, packages floating outside the graph, no DESCRIBES."""
    doc = good()
    doc["packages"][1]["licenseDeclared"] = "LicenseRef-Custom-1"
    doc["relationships"] = [rel(ROOT, "CONTAINS", DEP)]
    return doc


REAL_WORLD: dict[str, tuple[Callable[[], Doc], set[str]]] = {
    "good": (good, set()),
    "trivy_shaped": (
        trivy_shaped,
        {
            "AH-DOC-003",
            "AH-PKG-001",
            "AH-PKG-002",
            "AH-REL-004",
            "AH-REL-005",
            "AH-NTIA-001",
            "AH-NTIA-002",
        },
    ),
    "syft_shaped": (
        syft_shaped,
        {"AH-LIC-002", "AH-REL-001", "AH-REL-005", "AH-NTIA-001"},
    ),
}


def mutated(name: str) -> Doc:
    doc = good()
    MUTATIONS[name][0](doc)
    return doc


def big(count: int) -> Doc:
    """``count`` packages + ``count`` DEPENDS_ON edges, the AH-PERF-001 shape."""
    doc = good()
    template = doc["packages"][1]
    packages = [doc["packages"][0]]
    relationships = [doc["relationships"][0]]
    for index in range(count):
        pkg = dict(template)
        pkg["SPDXID"] = f"SPDXRef-Package-p{index}"
        pkg["name"] = f"p{index}"
        pkg["versionInfo"] = f"1.{index}.0"
        pkg["externalRefs"] = [
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": f"pkg:npm/p{index}@1.{index}.0",
            }
        ]
        packages.append(pkg)
        relationships.append(rel(ROOT, "DEPENDS_ON", pkg["SPDXID"]))
    doc["packages"] = packages
    doc["relationships"] = relationships
    return doc


def write(outdir: Path) -> None:
    outdir.mkdir(parents=True, exist_ok=True)
    expected: dict[str, list[str]] = {}
    for name, (_, ids) in MUTATIONS.items():
        (outdir / f"mut-{name}.spdx.json").write_text(json.dumps(mutated(name), indent=1) + "\n")
        expected[f"mut-{name}.spdx.json"] = sorted(ids)
    for name, (make, ids) in REAL_WORLD.items():
        (outdir / f"{name}.spdx.json").write_text(json.dumps(make(), indent=1) + "\n")
        expected[f"{name}.spdx.json"] = sorted(ids)
    (outdir / "expected.json").write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("corpus"))
