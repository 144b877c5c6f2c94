"""Relationship rules (SPDX §11): DESCRIBES, dangling ends, forward DEPENDS_ON, reachability."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import DOCUMENT_ID, SPECIAL_TARGETS, list_of_dicts

RELATIONSHIP_TYPES = frozenset(
    [
        "VARIANT_OF",
        "COPY_OF",
        "PATCH_FOR",
        "TEST_DEPENDENCY_OF",
        "CONTAINED_BY",
        "DATA_FILE_OF",
        "OPTIONAL_COMPONENT_OF",
        "ANCESTOR_OF",
        "GENERATES",
        "CONTAINS",
        "OPTIONAL_DEPENDENCY_OF",
        "FILE_ADDED",
        "REQUIREMENT_DESCRIPTION_FOR",
        "DEV_DEPENDENCY_OF",
        "DEPENDENCY_OF",
        "BUILD_DEPENDENCY_OF",
        "DESCRIBES",
        "PREREQUISITE_FOR",
        "HAS_PREREQUISITE",
        "PROVIDED_DEPENDENCY_OF",
        "DYNAMIC_LINK",
        "DESCRIBED_BY",
        "METAFILE_OF",
        "DEPENDENCY_MANIFEST_OF",
        "PATCH_APPLIED",
        "RUNTIME_DEPENDENCY_OF",
        "TEST_OF",
        "TEST_TOOL_OF",
        "DEPENDS_ON",
        "SPECIFICATION_FOR",
        "FILE_MODIFIED",
        "DISTRIBUTION_ARTIFACT",
        "AMENDS",
        "DOCUMENTATION_OF",
        "GENERATED_FROM",
        "STATIC_LINK",
        "OTHER",
        "BUILD_TOOL_OF",
        "TEST_CASE_OF",
        "PACKAGE_OF",
        "DESCENDANT_OF",
        "FILE_DELETED",
        "EXPANDED_FROM_ARCHIVE",
        "DEV_TOOL_OF",
        "EXAMPLE_OF",
    ]
)
REVERSE_DEPENDENCIES = frozenset(t for t in RELATIONSHIP_TYPES if t.endswith("DEPENDENCY_OF"))


@rule(
    "AH-REL-001",
    title="exactly one SPDXRef-DOCUMENT DESCRIBES a package",
    source="SPDX §11 (DESCRIBES); Annex K.2.2",
    params={"deprecated_form": "warning"},
)
def describes(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    described = view.described()
    if not described:
        yield Hit("no 'SPDXRef-DOCUMENT DESCRIBES <package>' relationship", "/relationships")
    elif len(described) > 1:
        yield Hit(
            f"{len(described)} DESCRIBES relationships; the profile wants one root package",
            described[1].pointer,
        )
    for rel in described:
        if rel.target in view.elements and not view.is_package(rel.target):
            yield Hit(
                f"DESCRIBES targets {rel.target}, which is not a package", rel.pointer, rel.target
            )
    if "documentDescribes" in ctx.doc:
        yield Hit(
            "deprecated documentDescribes field; use a DESCRIBES relationship",
            "/documentDescribes",
            level="deprecated_form",
        )
    for rel in view.relations:
        if rel.type == "DESCRIBED_BY" and rel.target == DOCUMENT_ID:
            yield Hit(
                "'X DESCRIBED_BY SPDXRef-DOCUMENT' is the indirect form; use DESCRIBES",
                rel.pointer,
                rel.source,
                level="deprecated_form",
            )


@rule(
    "AH-REL-002",
    title="both ends of every relationship exist; NONE/NOASSERTION only on the right",
    source="SPDX §11.1",
)
def dangling(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view

    def known(spdx_id: str) -> bool:
        if spdx_id == DOCUMENT_ID or spdx_id in view.elements:
            return True
        if spdx_id.startswith("DocumentRef-") and ":" in spdx_id:
            return spdx_id.split(":", 1)[0] in view.external_docs
        return False

    for rel in view.relations:
        if rel.source in SPECIAL_TARGETS:
            yield Hit(f"{rel.source} cannot be the left side of a relationship", rel.pointer)
        elif not known(rel.source):
            yield Hit(f"spdxElementId {rel.source!r} is not defined", rel.pointer, rel.source)
        if rel.target not in SPECIAL_TARGETS and not known(rel.target):
            yield Hit(f"relatedSpdxElement {rel.target!r} is not defined", rel.pointer, rel.source)


@rule("AH-REL-003", title="relationshipType from the SPDX 2.3 list, exact spelling", source="SCH")
def relationship_type(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for index, rel in enumerate(list_of_dicts(ctx.doc.get("relationships"))):
        rtype = rel.get("relationshipType")
        if not isinstance(rtype, str) or rtype not in RELATIONSHIP_TYPES:
            yield Hit(
                f"relationshipType {rtype!r} is not an SPDX 2.3 relationship type",
                f"/relationships/{index}/relationshipType",
                rel.get("spdxElementId") if isinstance(rel.get("spdxElementId"), str) else None,
            )


@rule(
    "AH-REL-004",
    title="dependencies as forward DEPENDS_ON; the root has at least one",
    source="seed; NTIA dependency relationship; sbomqs",
)
def forward_dependencies(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    for rel in view.relations:
        if rel.type in REVERSE_DEPENDENCIES:
            yield Hit(
                f"{rel.type} is a reverse dependency; write "
                f"'{rel.target} DEPENDS_ON {rel.source}' instead",
                rel.pointer + "/relationshipType",
                rel.source,
            )
    root = view.root()
    if root is None:
        return
    root_id, element = root
    edges = [r for r in view.outgoing.get(root_id, ()) if r.type == "DEPENDS_ON"]
    if not any(view.is_package(r.target) or r.target in SPECIAL_TARGETS for r in edges):
        yield Hit(
            "the described package has no DEPENDS_ON (use 'DEPENDS_ON NONE' for none)",
            element.pointer,
            root_id,
        )


@rule(
    "AH-REL-005",
    title="every package reachable from the document over DESCRIBES/CONTAINS/DEPENDS_ON",
    source="NCC graph_utils (floating components)",
)
def reachability(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    reached = ctx.view.reachable()
    for spdx_id, element in ctx.view.packages():
        if spdx_id not in reached:
            yield Hit(
                f"package {spdx_id} is not reachable from SPDXRef-DOCUMENT (floating)",
                element.pointer,
                spdx_id,
            )


@rule(
    "AH-REL-006",
    title="no self-loop, no duplicate relationship, no DEPENDS_ON cycle through the root",
    source="hygiene",
    severity="warning",
)
def hygiene(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    seen: set[tuple[str, str, str]] = set()
    for rel in view.relations:
        if rel.source == rel.target:
            yield Hit(f"{rel.source} {rel.type} itself", rel.pointer, rel.source)
        triple = (rel.source, rel.type, rel.target)
        if triple in seen:
            yield Hit(f"duplicate relationship {' '.join(triple)}", rel.pointer, rel.source)
        seen.add(triple)
    root = view.root()
    if root is None:
        return
    root_id = root[0]
    # Iterative DFS over DEPENDS_ON from the root: any edge back to the root is a cycle.
    stack = [root_id]
    visited = {root_id}
    while stack:
        node = stack.pop()
        for rel in view.outgoing.get(node, ()):
            if rel.type != "DEPENDS_ON" or rel.source == rel.target:
                continue
            if rel.target == root_id:
                yield Hit(
                    f"DEPENDS_ON cycle back to the root through {rel.source}",
                    rel.pointer,
                    rel.source,
                )
            elif rel.target not in visited:
                visited.add(rel.target)
                stack.append(rel.target)
