"""File rules (SPDX §8)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from supplychain.validation.findings import Hit
from supplychain.validation.rules.base import Context, rule
from supplychain.validation.view import list_of_dicts


@rule("AH-FILE-001", title="fileName relative, SHA1 checksum present", source="SPDX §8.1, §8.4")
def file_fields(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    for spdx_id, element in ctx.view.files():
        name = element.body.get("fileName")
        if isinstance(name, str) and name.startswith("/"):
            yield Hit(
                f"file {spdx_id} fileName {name!r} is absolute; SPDX wants './…' relative paths",
                element.pointer + "/fileName",
                spdx_id,
            )
        algorithms = [c.get("algorithm") for c in list_of_dicts(element.body.get("checksums"))]
        if "SHA1" not in algorithms:
            yield Hit(f"file {spdx_id} has no SHA1 checksum", element.pointer, spdx_id)
