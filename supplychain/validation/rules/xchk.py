"""Cross-checks between the SBOM's root package and the artifact's Artifact Hub metadata."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.licenses import check_expression, is_single_id, normalise
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import text

_NOT_EVALUATED = "not evaluated: no --artifact given"


@rule(
    "AH-XCHK-001",
    title="Artifact Hub licence metadata is valid SPDX and equals the root licenseDeclared",
    source="artifacthub/hub docs/helm_annotations.md; web/src/layout/package/License.tsx",
    params={"compound": "warning", "not_evaluated": "info"},
)
def licence_matches(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    facts = ctx.artifact
    if facts is None:
        yield Hit(_NOT_EVALUATED, "", level="not_evaluated")
        return
    if not facts.license:
        yield Hit(
            f"{facts.subject}: no licence in the Artifact Hub metadata ({facts.license_key})", ""
        )
        return
    check = check_expression(facts.license)
    for problem in check.errors:
        yield Hit(f"{facts.license_key} {facts.license!r}: {problem}", "")
    if not check.errors and not is_single_id(facts.license):
        yield Hit(
            f"{facts.license_key} {facts.license!r} is compound; "
            "Artifact Hub links single ids only",
            "",
            level="compound",
        )
    root = ctx.view.root()
    if root is None:
        return
    declared = text(root[1].body.get("licenseDeclared"))
    if declared is not None and normalise(declared) != normalise(facts.license):
        yield Hit(
            f"root licenseDeclared {declared!r} differs from {facts.license_key} {facts.license!r}",
            root[1].pointer + "/licenseDeclared",
            root[0],
        )


@rule(
    "AH-XCHK-002",
    title="root name and version equal the chart's or the image package's",
    source="artifacthub/hub internal/tracker/source/container/container.go, helm/helm.go",
    params={"not_evaluated": "info"},
)
def name_version_match(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    facts = ctx.artifact
    if facts is None:
        yield Hit(_NOT_EVALUATED, "", level="not_evaluated")
        return
    root = ctx.view.root()
    if root is None:
        return
    root_id, element = root
    name = text(element.body.get("name")) or ""
    if facts.kind == "image":
        name = name.rstrip("/").rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    if facts.name is not None and name != facts.name:
        yield Hit(
            f"root name {name!r} is not the {facts.kind} name {facts.name!r}",
            element.pointer + "/name",
            root_id,
        )
    version = text(element.body.get("versionInfo"))
    if facts.version is not None and version != facts.version:
        yield Hit(
            f"root versionInfo {version!r} is not the {facts.kind} version {facts.version!r}",
            element.pointer + "/versionInfo",
            root_id,
        )


@rule(
    "AH-XCHK-003",
    title="the SBOM is not older than the artifact",
    source="artifacthub/hub container.go (org.opencontainers.image.created)",
    severity="warning",
    params={"not_evaluated": "info"},
)
def not_older(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    facts = ctx.artifact
    if facts is None:
        yield Hit(_NOT_EVALUATED, "", level="not_evaluated")
        return
    info = ctx.doc.get("creationInfo")
    value = info.get("created") if isinstance(info, dict) else None
    if facts.created is None or not isinstance(value, str):
        return
    try:
        created = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return  # AH-DOC-005 reports it
    if created < facts.created:
        yield Hit(
            f"SBOM created {value} is older than the {facts.kind} ({facts.created.isoformat()})",
            "/creationInfo/created",
        )
