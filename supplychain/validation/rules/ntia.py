"""NTIA minimum elements: NCC's semantics re-implemented in O(N + E) (AH-NTIA-001), the
NCC oracle on request, and the stricter sbomqs reading (AH-NTIA-002)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import list_of_dicts

# ntia-conformance-checker 6.0.0 graph_utils: the forward edges it follows from the document.
NCC_REACH_TYPES = frozenset(
    {"DESCRIBES", "CONTAINS", "DEPENDS_ON", "DYNAMIC_LINK", "STATIC_LINK", "HAS_PREREQUISITE"}
)


def _blank(value: Any, *, noassertion: bool = False) -> bool:
    if not isinstance(value, str) or not value.strip():
        return True
    return noassertion and value.strip() == "NOASSERTION"


@rule(
    "AH-NTIA-001",
    title="NTIA minimum elements with ntia-conformance-checker's semantics",
    source="NTIA minimum elements; ntia-conformance-checker 6.0.0",
    params={"oracle": "requested"},
)
def ntia_minimum(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    info = ctx.doc.get("creationInfo")
    info = info if isinstance(info, dict) else {}
    creators = info.get("creators")
    creators = creators if isinstance(creators, list) else []
    if not [c for c in creators if isinstance(c, str) and c.strip()]:
        yield Hit("NTIA: no SBOM author (creators)", "/creationInfo/creators")
    if _blank(info.get("created")):
        yield Hit("NTIA: no SBOM timestamp (created)", "/creationInfo/created")
    if not any(view.is_package(r.target) for r in view.described()):
        yield Hit("NTIA: no dependency relationship (DESCRIBES a package)", "/relationships")
    reached = view.reachable(NCC_REACH_TYPES)
    for spdx_id, element in view.packages():
        body = element.body
        if spdx_id not in reached:
            yield Hit(
                f"NTIA: package {spdx_id} is floating (unreachable, so unchecked)",
                element.pointer,
                spdx_id,
            )
            continue
        if _blank(body.get("name")):
            yield Hit(f"NTIA: package {spdx_id} has no name", element.pointer, spdx_id)
        if _blank(body.get("versionInfo")):
            yield Hit(f"NTIA: package {spdx_id} has no version", element.pointer, spdx_id)
        if _blank(body.get("supplier"), noassertion=True):
            yield Hit(f"NTIA: package {spdx_id} has no supplier", element.pointer, spdx_id)
    if params["oracle"] == "always" or "ntia" in ctx.oracles:
        yield from _ncc_oracle(ctx)


def _ncc_oracle(ctx: Context) -> Iterator[Hit]:
    """ntia-conformance-checker itself, as a cross-check of the re-implementation above."""
    if ctx.raw_path is None:
        return
    try:
        from ntia_conformance_checker import SbomChecker

        checker = SbomChecker(ctx.raw_path, validate=False, compliance="ntia")
    except Exception as exc:  # the oracle's own failures are findings, never crashes
        yield Hit(f"ntia-conformance-checker could not read the document: {type(exc).__name__}", "")
        return
    if getattr(checker, "compliant", False):
        return
    for attribute in (
        "components_without_names",
        "components_without_versions",
        "components_without_suppliers",
    ):
        for _name, spdx_id in getattr(checker, attribute, []) or []:
            yield Hit(
                f"ntia-conformance-checker: {attribute.replace('_', ' ')}: {spdx_id}",
                ctx.view.pointer_of(spdx_id),
                spdx_id,
            )
    for attribute in ("doc_author", "doc_timestamp", "dependency_relationships"):
        if getattr(checker, attribute, True) is False:
            yield Hit(f"ntia-conformance-checker: {attribute.replace('_', ' ')} missing", "")


@rule(
    "AH-NTIA-002",
    title="sbomqs NTIA: root has a direct DEPENDS_ON; purl or CPE; supplier or originator",
    source="interlynk-io/sbomqs docs/reference/ntia-compliance.md",
)
def sbomqs_ntia(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    root = view.root()
    if root is not None:
        root_id, element = root
        if not any(r.type == "DEPENDS_ON" for r in view.outgoing.get(root_id, ())):
            yield Hit(
                f"the described package {root_id} has no direct DEPENDS_ON",
                element.pointer,
                root_id,
            )
    for spdx_id, element in view.packages():
        body = element.body
        types = {
            r.get("referenceType")
            for r in list_of_dicts(body.get("externalRefs"))
            if isinstance(r.get("referenceType"), str)
        }
        if not types & {"purl", "cpe23Type", "cpe22Type"}:
            yield Hit(f"package {spdx_id} has neither a purl nor a CPE", element.pointer, spdx_id)
        if _blank(body.get("supplier"), noassertion=True) and _blank(
            body.get("originator"), noassertion=True
        ):
            yield Hit(
                f"package {spdx_id} has neither supplier nor originator", element.pointer, spdx_id
            )
