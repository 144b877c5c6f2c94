"""Licence rules (SPDX Annex D, §10): expression syntax, declared LicenseRefs, canonical ids."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.licenses import LICENSE_REF, ExpressionCheck, check_expression
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import indexed_dicts

_SINGLE_FIELDS = ("licenseConcluded", "licenseDeclared")
_LIST_FIELDS = ("licenseInfoFromFiles", "licenseInfoInFiles", "licenseInfoInSnippets")


def licence_values(ctx: Context) -> Iterator[tuple[str, str | None, str, ExpressionCheck]]:
    """(value, SPDXID, pointer, check) for every licence field of every element."""
    for spdx_id, element in ctx.view.elements.items():
        body = element.body
        for key in _SINGLE_FIELDS:
            value = body.get(key)
            if isinstance(value, str):
                yield value, spdx_id, f"{element.pointer}/{key}", check_expression(value)
        for key in _LIST_FIELDS:
            values = body.get(key)
            if isinstance(values, list):
                for index, value in enumerate(values):
                    if isinstance(value, str):
                        pointer = f"{element.pointer}/{key}/{index}"
                        yield value, spdx_id, pointer, check_expression(value)


@rule(
    "AH-LIC-001",
    title="licence fields are NONE, NOASSERTION or a valid Annex D expression",
    source="SPDX Annex D; §7.13, §7.15",
)
def expression_syntax(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    for value, spdx_id, pointer, check in licence_values(ctx):
        for problem in check.errors:
            yield Hit(f"{spdx_id} licence {value!r}: {problem}", pointer, spdx_id)
        for doc_ref in sorted(check.document_refs - view.external_docs):
            yield Hit(
                f"{spdx_id} licence {value!r}: DocumentRef-{doc_ref} is not in "
                "externalDocumentRefs",
                pointer,
                spdx_id,
            )


@rule(
    "AH-LIC-002",
    title="every LicenseRef used is declared with a well-formed id and its text",
    source="SPDX §10.1, §10.2",
)
def declared_refs(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    view = ctx.view
    for _value, spdx_id, pointer, check in licence_values(ctx):
        for ref in sorted(check.refs - view.declared_refs):
            yield Hit(
                f"{spdx_id} uses {ref}, which hasExtractedLicensingInfos does not declare",
                pointer,
                spdx_id,
            )
    for index, info in indexed_dicts(ctx.doc.get("hasExtractedLicensingInfos")):
        where = f"/hasExtractedLicensingInfos/{index}"
        license_id = info.get("licenseId")
        if not isinstance(license_id, str) or not LICENSE_REF.match(license_id):
            yield Hit(
                f"extracted licence id {license_id!r} is not LicenseRef-[A-Za-z0-9.-]+",
                where + "/licenseId",
            )
        extracted = info.get("extractedText")
        if not isinstance(extracted, str) or not extracted.strip():
            yield Hit(f"extracted licence {license_id!r} has no extractedText", where)


@rule(
    "AH-LIC-003",
    title="licence ids in canonical case, none deprecated",
    source="SPDX Annex D.2; sbomqs; tools-java",
    severity="warning",
)
def canonical_ids(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for value, spdx_id, pointer, check in licence_values(ctx):
        for problem in check.style:
            yield Hit(f"{spdx_id} licence {value!r}: {problem}", pointer, spdx_id)


@rule(
    "AH-LIC-004",
    title="root declares its licence; concluded licence and copyright stated",
    source="CISA 2025 minimum elements (licence); FSCT3",
    params={"root_unstated": "warning"},
)
def root_licence(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    root = ctx.view.root()
    if root is None:
        return
    root_id, element = root
    body = element.body
    declared = body.get("licenseDeclared")
    if declared is None or declared == "NOASSERTION":
        yield Hit(
            f"the described package {root_id} licenseDeclared is {declared or 'absent'}",
            element.pointer + ("/licenseDeclared" if declared else ""),
            root_id,
        )
    for key in ("licenseConcluded", "copyrightText"):
        value = body.get(key)
        if value is None or value == "NOASSERTION":
            yield Hit(
                f"the described package {root_id} {key} is {value or 'absent'}",
                element.pointer + (f"/{key}" if value else ""),
                root_id,
                level="root_unstated",
            )
