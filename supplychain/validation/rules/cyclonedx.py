"""CycloneDX JSON documents: the official schema (via cyclonedx-python-lib) and the NTIA
minimum elements read the CycloneDX way, so one profile can judge both formats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import indexed_dicts, list_of_dicts

_SPEC_VERSIONS = {"1.2", "1.3", "1.4", "1.5", "1.6"}


@rule(
    "AH-CDX-001",
    title="valid against the CycloneDX JSON schema of its specVersion",
    source="CycloneDX specification (cyclonedx-python-lib bundled schemas)",
    oracle="schema",
    formats=("cyclonedx",),
)
def cyclonedx_schema(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    version = ctx.doc.get("specVersion")
    if version not in _SPEC_VERSIONS:
        yield Hit(f"specVersion {version!r} is not one of {sorted(_SPEC_VERSIONS)}", "/specVersion")
        return
    validator = JsonStrictValidator(SchemaVersion.from_version(str(version)))
    errors = validator.validate_str(json.dumps(ctx.doc), all_errors=True) or []
    for error in errors:
        data = error.data
        path = "/" + "/".join(str(p) for p in getattr(data, "absolute_path", []))
        message = str(getattr(data, "message", error))
        yield Hit(message[:200], "" if path == "/" else path)


def _components(ctx: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every component with its pointer, nested ones included (iteratively)."""
    stack = [(f"/components/{i}", c) for i, c in indexed_dicts(ctx.doc.get("components"))]
    while stack:
        pointer, component = stack.pop()
        yield pointer, component
        for index, child in indexed_dicts(component.get("components")):
            stack.append((f"{pointer}/components/{index}", child))


@rule(
    "AH-CDX-002",
    title="NTIA minimum elements in CycloneDX terms",
    source="NTIA minimum elements; CycloneDX guide to NTIA (author, timestamp, dependencies)",
    formats=("cyclonedx",),
)
def cyclonedx_ntia(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    metadata = ctx.doc.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    if not isinstance(metadata.get("timestamp"), str):
        yield Hit("NTIA: metadata.timestamp is missing", "/metadata")
    tools = metadata.get("tools")
    if not metadata.get("authors") and not metadata.get("manufacture") and not tools:
        yield Hit("NTIA: no author (metadata.authors, manufacture or tools)", "/metadata")
    root = metadata.get("component")
    root_ref = root.get("bom-ref") if isinstance(root, dict) else None
    if not isinstance(root_ref, str):
        yield Hit("NTIA: metadata.component with a bom-ref is missing", "/metadata")
    else:
        edges = [d for d in list_of_dicts(ctx.doc.get("dependencies")) if d.get("ref") == root_ref]
        if not edges:
            yield Hit(
                f"NTIA: no dependencies entry for the root {root_ref}", "/dependencies", root_ref
            )
    for pointer, component in _components(ctx):
        ref = component.get("bom-ref") if isinstance(component.get("bom-ref"), str) else None
        label = ref or component.get("name") or pointer
        if not component.get("name"):
            yield Hit(f"NTIA: component {label} has no name", pointer, ref)
        if not component.get("version"):
            yield Hit(f"NTIA: component {label} has no version", pointer, ref)
        supplier = component.get("supplier")
        if not (isinstance(supplier, dict) and supplier.get("name")) and not component.get(
            "publisher"
        ):
            yield Hit(f"NTIA: component {label} has no supplier", pointer, ref)
        if not component.get("purl") and not component.get("cpe") and not component.get("swid"):
            yield Hit(f"NTIA: component {label} has no purl, CPE or SWID", pointer, ref)
