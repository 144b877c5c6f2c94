"""Format rules: JSON well-formedness (AH-FMT-001), the SPDX 2.3 schema (AH-FMT-002) and the
spdx-tools oracle (AH-FMT-003) with its documented false positives waived."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.licenses import check_expression
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.schema import schema_errors


# VALIDATION.md §5: spdx-tools 0.8.5 messages that are wrong about valid documents.
def _plus_suffix(message: str) -> bool:
    """Only ``<listed id>+``: a truly unknown id stays an oracle finding."""
    match = _UNRECOGNIZED.match(message)
    if match is None or not match.group(1).endswith("+"):
        return False
    return not check_expression(match.group(1)).errors


def _blake3_length(message: str) -> bool:
    return "ChecksumAlgorithm.BLAKE3" in message or "ChecksumAlgorithm.MD6" in message


def _mpl_no_copyleft(message: str) -> bool:
    return '"MPL-2.0-no-copyleft-exception"' in message


_UNRECOGNIZED = re.compile(r"^Unrecognized license reference: (\S+)\. license_expression")
WAIVERS: dict[str, Callable[[str], bool]] = {
    "plus-suffix": _plus_suffix,
    "blake3-length": _blake3_length,
    "mpl-no-copyleft": _mpl_no_copyleft,
}


@rule(
    "AH-FMT-001",
    title="UTF-8 JSON object; file name ends .spdx.json",
    source="SPDX conformance §4",
    params={"name_suffix": "warning"},
)
def json_format(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    # Unparseable input never reaches the rules: the engine reports it under this id.
    name = ctx.file_name
    if name and not name.endswith(".spdx.json") and name.endswith(".json"):
        yield Hit(f"file name {name!r} does not end in .spdx.json", "", level="name_suffix")


@rule(
    "AH-FMT-002",
    title="valid against the SPDX 2.3 JSON schema",
    source="spdx/spdx-spec schemas/spdx-schema.json (2.3.1)",
    oracle="schema",
    params={"max_findings": 1000},
)
def json_schema(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    limit = int(params["max_findings"])
    for count, (pointer, message) in enumerate(schema_errors(ctx.doc)):
        if count >= limit:
            yield Hit(f"more schema violations not shown (limit {limit})", "")
            return
        yield Hit(message, pointer, _element_id(ctx, pointer))


def _element_id(ctx: Context, pointer: str) -> str | None:
    parts = pointer.split("/")
    if len(parts) >= 3 and parts[1] in ("packages", "files", "snippets") and parts[2].isdigit():
        items = ctx.doc.get(parts[1])
        if isinstance(items, list) and int(parts[2]) < len(items):
            item = items[int(parts[2])]
            value = item.get("SPDXID") if isinstance(item, dict) else None
            return value if isinstance(value, str) else None
    return None


@rule(
    "AH-FMT-003",
    title="spdx-tools (oracle) reports nothing but documented false positives",
    source="spdx-tools 0.8.5 validate_full_spdx_document",
    oracle="spdx-tools",
    params={
        "when": "requested",
        "max_packages": 3000,
        "timeout_s": 60,
        "waive": ["plus-suffix", "blake3-length", "mpl-no-copyleft"],
        "skipped": "info",
    },
)
def spdx_tools_oracle(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    if params["when"] != "always" and "spdx-tools" not in ctx.oracles:
        return
    if ctx.raw_path is None:
        yield Hit("spdx-tools oracle not run: the document is not a file", "", level="skipped")
        return
    packages = ctx.doc.get("packages")
    count = len(packages) if isinstance(packages, list) else 0
    if count > int(params["max_packages"]):
        yield Hit(
            f"spdx-tools oracle not run: {count} packages is over max_packages "
            f"{params['max_packages']} (it is quadratic)",
            "",
            level="skipped",
        )
        return
    try:
        done = subprocess.run(
            [sys.executable, "-m", "supplychain.validation.stp_worker", ctx.raw_path],
            capture_output=True,
            timeout=float(params["timeout_s"]),
            check=False,
        )
        messages = json.loads(done.stdout or b"null")
    except subprocess.TimeoutExpired:
        yield Hit(f"spdx-tools oracle timed out after {params['timeout_s']} s", "", level="skipped")
        return
    except ValueError:
        messages = None
    if not isinstance(messages, list):
        yield Hit("spdx-tools oracle failed to run", "", level="skipped")
        return
    waivers = [WAIVERS[name] for name in params["waive"] if name in WAIVERS]
    for item in messages:
        text = " ".join(str(item.get("message", "")).split())
        if any(waived(text) for waived in waivers):
            continue
        spdx_id = item.get("spdx_id")
        pointer = ctx.view.pointer_of(spdx_id) if isinstance(spdx_id, str) else ""
        yield Hit(
            f"spdx-tools: {text[:300]}", pointer, spdx_id if isinstance(spdx_id, str) else None
        )
