"""Document-level rules (SPDX §6): version, data licence, namespace, creation info."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from supplychain.validation.findings import Hit
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import DOCUMENT_ID

_CREATED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_PERSON_ORG = re.compile(r"^(Person|Organization): \S.*$")
_TOOL = re.compile(r"^Tool: [^()]+$")
_TOOL_WITH_VERSION = re.compile(r"^Tool: \S.*-\S*\d")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_LIST_VERSION = re.compile(r"^\d+\.\d+$")


def _creation(ctx: Context) -> dict[str, Any]:
    info = ctx.doc.get("creationInfo")
    return info if isinstance(info, dict) else {}


@rule("AH-DOC-001", title="spdxVersion is exactly SPDX-2.3", source="seed; SPDX §6.1")
def spdx_version(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    version = ctx.doc.get("spdxVersion")
    if version != "SPDX-2.3":
        yield Hit(f"spdxVersion is {version!r}, expected 'SPDX-2.3'", "/spdxVersion", None)


@rule(
    "AH-DOC-002",
    title="dataLicense CC0-1.0, SPDXID SPDXRef-DOCUMENT, one-line name",
    source="SPDX §6.2-6.4",
)
def document_header(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    doc = ctx.doc
    if doc.get("dataLicense") != "CC0-1.0":
        yield Hit(f"dataLicense is {doc.get('dataLicense')!r}, expected 'CC0-1.0'", "/dataLicense")
    if doc.get("SPDXID") != DOCUMENT_ID:
        yield Hit(f"SPDXID is {doc.get('SPDXID')!r}, expected {DOCUMENT_ID!r}", "/SPDXID")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip():
        yield Hit("document name is missing or empty", "/name")
    elif "\n" in name or "\r" in name:
        yield Hit("document name spans several lines", "/name")


@rule(
    "AH-DOC-003",
    title="documentNamespace is an absolute URI without fragment or user info",
    source="SPDX §6.5",
    params={"no_uuid": "warning", "insecure_scheme": "warning"},
)
def namespace(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    value = ctx.doc.get("documentNamespace")
    if not isinstance(value, str) or not value:
        yield Hit("documentNamespace is missing", "/documentNamespace")
        return
    parts = urlsplit(value)
    if not parts.scheme or not re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*$", parts.scheme):
        yield Hit(f"documentNamespace {value!r} has no URI scheme", "/documentNamespace")
    elif parts.scheme in ("http", "https") and not parts.netloc:
        yield Hit(f"documentNamespace {value!r} has no host", "/documentNamespace")
    if parts.scheme == "http":
        yield Hit(
            "documentNamespace uses http://; prefer https:// (or urn:uuid:)",
            "/documentNamespace",
            level="insecure_scheme",
        )
    if "#" in value:
        yield Hit("documentNamespace contains '#'", "/documentNamespace")
    if "@" in parts.netloc:
        yield Hit("documentNamespace contains user info", "/documentNamespace")
    if any(ch.isspace() for ch in value):
        yield Hit("documentNamespace contains white space", "/documentNamespace")
    if not _UUID.search(value):
        yield Hit(
            "documentNamespace has no UUID, so two documents may share it",
            "/documentNamespace",
            level="no_uuid",
        )


@rule(
    "AH-DOC-005",
    title="created is a real UTC instant YYYY-MM-DDThh:mm:ssZ, not in the future",
    source="seed; SPDX §6.9",
    params={"future_skew_s": 300},
)
def created(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    value = _creation(ctx).get("created")
    where = "/creationInfo/created"
    if not isinstance(value, str):
        yield Hit("creationInfo.created is missing", where)
        return
    if not _CREATED.match(value):
        yield Hit(f"created {value!r} is not YYYY-MM-DDThh:mm:ssZ", where)
        return
    try:
        instant = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        yield Hit(f"created {value!r} is not a real date and time", where)
        return
    if instant > ctx.now + dt.timedelta(seconds=int(params["future_skew_s"])):
        yield Hit(f"created {value!r} is in the future", where)


@rule(
    "AH-DOC-006",
    title="creators present; each 'Person: …', 'Organization: …' or 'Tool: …' (no email)",
    source="seed; SPDX §6.8",
)
def creators(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    values = _creation(ctx).get("creators")
    where = "/creationInfo/creators"
    if not isinstance(values, list) or not values:
        yield Hit("creationInfo.creators is missing or empty", where)
        return
    for index, value in enumerate(values):
        path = f"{where}/{index}"
        if not isinstance(value, str):
            yield Hit("creator is not a string", path)
        elif value.startswith("Tool:"):
            if not _TOOL.match(value):
                yield Hit(f"tool creator {value!r} must be 'Tool: name-version', no email", path)
        elif not _PERSON_ORG.match(value):
            yield Hit(
                f"creator {value!r} lacks a 'Person:', 'Organization:' or 'Tool:' prefix", path
            )


@rule(
    "AH-DOC-007",
    title="a Tool creator with a version and a Person/Organization creator",
    source="CISA 2025 minimum elements (tool name); sbomqs provenance",
    severity="warning",
)
def creator_kinds(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    raw = _creation(ctx).get("creators")
    values = [v for v in raw if isinstance(v, str)] if isinstance(raw, list) else []
    if not any(_TOOL_WITH_VERSION.match(v) for v in values):
        yield Hit("no 'Tool: <name>-<version>' creator", "/creationInfo/creators")
    if not any(v.startswith(("Organization:", "Person:")) for v in values):
        yield Hit("no 'Organization:' or 'Person:' creator", "/creationInfo/creators")


@rule(
    "AH-DOC-008",
    title="licenseListVersion present, M.N, the pinned list version",
    source="SPDX §6.7",
    severity="warning",
)
def license_list_version(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    value = _creation(ctx).get("licenseListVersion")
    where = "/creationInfo/licenseListVersion"
    wanted = str(ctx.globals.get("license_list_version", ""))
    if value is None:
        yield Hit("licenseListVersion is missing", where)
    elif not isinstance(value, str) or not _LIST_VERSION.match(value):
        yield Hit(f"licenseListVersion {value!r} is not 'M.N'", where)
    elif wanted and value != wanted:
        yield Hit(f"licenseListVersion is {value}, the profile pins {wanted}", where)


@rule(
    "AH-ID-001",
    title="SPDXIDs match SPDXRef-[A-Za-z0-9.-]+ and are unique",
    source="SPDX §7.2, §8.2",
)
def spdx_ids(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    pattern = re.compile(r"^SPDXRef-[A-Za-z0-9.\-]+$")
    for spdx_id, element in ctx.view.elements.items():
        if not pattern.match(spdx_id):
            yield Hit(f"SPDXID {spdx_id!r} is malformed", element.pointer + "/SPDXID", spdx_id)
    for spdx_id, element in ctx.view.duplicates:
        yield Hit(f"SPDXID {spdx_id!r} is used twice", element.pointer + "/SPDXID", spdx_id)


@rule(
    "AH-DOC-004",
    title="one namespace never names two different documents within a run",
    source="SPDX §6.5",
)
def namespace_unique(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    value = ctx.doc.get("documentNamespace")
    if not isinstance(value, str) or not ctx.content_sha256:
        return
    previous = ctx.seen_namespaces.setdefault(value, ctx.content_sha256)
    if previous != ctx.content_sha256:
        yield Hit(
            "documentNamespace is shared with a different document of this run",
            "/documentNamespace",
        )
