"""All catalogers over a rootfs → neutral SBOM → both formats, validated, deterministic."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from supplychain.catalog.catalog import (
    add_to_sbom,
    catalog_view,
    default_catalogers,
    sbom_for_directory,
    wanted,
)
from supplychain.catalog.fileview import DirView
from supplychain.formats.cyclonedx import write_cyclonedx
from supplychain.formats.spdx import write_spdx
from supplychain.model.sbom import Package, Purpose, RelType, SbomBuilder, package_ref
from tests.formats.test_writers import assert_valid_cyclonedx, assert_valid_spdx

CREATED = datetime(2024, 6, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("tree", ["debian", "distroless", "alpine", "rhel"])
def test_every_tree_gives_valid_documents(
    tree: str, trees: dict[str, Path], tmp_path: Path
) -> None:
    sbom = sbom_for_directory(str(trees[tree]), created=CREATED, name=tree)
    assert_valid_spdx(write_spdx(sbom), tmp_path)
    assert_valid_cyclonedx(write_cyclonedx(sbom))


def test_debian_document_shape(trees: dict[str, Path]) -> None:
    sbom = sbom_for_directory(str(trees["debian"]), created=CREATED, name="debian")
    doc = json.loads(write_spdx(sbom))
    names = {p["SPDXID"]: p["name"] for p in doc["packages"]}
    rels = {
        (
            names.get(r["spdxElementId"], r["spdxElementId"]),
            r["relationshipType"],
            names.get(r["relatedSpdxElement"], r["relatedSpdxElement"]),
        )
        for r in doc["relationships"]
    }
    # The dpkg-installed Python package is linked, not duplicated.
    assert ("python3-six", "CONTAINS", "six") in rels
    assert sum(1 for n in names.values() if n == "six") == 1
    # Same jar found at two places: one package (merged), contained by the fat jar.
    assert sum(1 for n in names.values() if n == "snakeyaml") == 1
    assert ("demo-app", "CONTAINS", "snakeyaml") in rels
    # Rooted: the root contains everything and depends on what nothing else depends on.
    assert ("debian", "DEPENDS_ON", "bash") in rels
    assert ("debian", "DEPENDS_ON", "libc6") not in rels  # bash depends on it
    assert ("debian", "CONTAINS", "libc6") in rels
    os_pkg = next(p for p in doc["packages"] if p["name"] == "debian" and p.get("versionInfo"))
    assert os_pkg["primaryPackagePurpose"] == "OPERATING_SYSTEM"
    # Every package reachable from the document over DESCRIBES/CONTAINS/DEPENDS_ON.
    graph: dict[str, set[str]] = {}
    for r in doc["relationships"]:
        graph.setdefault(r["spdxElementId"], set()).add(r["relatedSpdxElement"])
    seen, todo = set(), ["SPDXRef-DOCUMENT"]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    assert set(names) <= seen


def test_output_is_byte_identical_across_runs(trees: dict[str, Path]) -> None:
    first = sbom_for_directory(str(trees["debian"]), created=CREATED, name="debian")
    second = sbom_for_directory(str(trees["debian"]), created=CREATED, name="debian")
    assert write_spdx(first) == write_spdx(second)
    assert write_cyclonedx(first) == write_cyclonedx(second)


def test_no_host_paths_in_output(trees: dict[str, Path]) -> None:
    sbom = sbom_for_directory(str(trees["debian"]), created=CREATED, name="debian")
    for data in (write_spdx(sbom), write_cyclonedx(sbom)):
        assert str(trees["debian"]).encode() not in data


def test_findings_do_not_stop_the_scan(trees: dict[str, Path]) -> None:
    found = catalog_view(DirView(trees["debian"]))
    assert [f.subject for f in found.result.findings] == ["opt/lib/broken.jar"]
    assert len(found.result.packages) > 20


def test_two_platforms_keep_separate_refs(trees: dict[str, Path], tmp_path: Path) -> None:
    """One document over an index: the same package in two platforms is two packages."""
    builder = SbomBuilder("index", CREATED)
    builder.root = builder.add_package(
        Package(ref=package_ref("Index", "app", "idx"), name="app", purpose=Purpose.CONTAINER)
    )
    found = catalog_view(DirView(trees["alpine"]))
    for arch in ("amd64", "arm64"):
        image = builder.add_package(
            Package(
                ref=package_ref(f"Image-linux-{arch}", "app", arch),
                name=f"app-{arch}",
                purpose=Purpose.CONTAINER,
            )
        )
        builder.relate(builder.root, RelType.CONTAINS, image)
        builder.relate(builder.root, RelType.DEPENDS_ON, image)
        add_to_sbom(builder, found, image, scope=f"sha256:{arch}")
    sbom = builder.build()
    assert sum(1 for p in sbom.packages if p.name == "musl") == 2
    assert_valid_spdx(write_spdx(sbom), tmp_path)
    assert_valid_cyclonedx(write_cyclonedx(sbom))


def test_wanted_covers_every_metadata_file(trees: dict[str, Path]) -> None:
    """The layer streamer captures only wanted files: nothing a cataloger reads may be missed."""
    catalogers = default_catalogers()
    view = DirView(trees["debian"])
    for path in view.paths():
        if path.endswith(("METADATA", "PKG-INFO", "status", "package.json", ".jar", ".list")):
            if "/src/" in path or path.startswith("srv/app/package.json"):
                continue
            assert wanted(path, catalogers), path
    assert not wanted("usr/lib/python3/dist-packages/six.py", catalogers)


def test_ntia_structure(trees: dict[str, Path], tmp_path: Path) -> None:
    """NTIA checker: author, timestamp, rooted dependency graph, no floating components.

    Missing suppliers are not faked: packages whose metadata names none stay NOASSERTION and
    the checker lists exactly those.
    """
    from ntia_conformance_checker import SbomChecker

    sbom = sbom_for_directory(str(trees["debian"]), created=CREATED, name="debian", version="1")
    path = tmp_path / "debian.spdx.json"
    path.write_bytes(write_spdx(sbom))
    checker = SbomChecker(str(path))
    assert checker.parsing_error == []
    assert checker.doc_author and checker.doc_timestamp
    assert checker.dependency_relationships
    assert checker.floating_component_ids == set()
    assert checker.components_without_names == []
    assert checker.components_without_versions == []
    without_supplier = {spdx_id for _, spdx_id in checker.components_without_suppliers}
    assert without_supplier == {f"SPDXRef-{p.ref}" for p in sbom.packages if p.supplier is None}
