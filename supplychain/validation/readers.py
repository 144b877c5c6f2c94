"""Read an SBOM file into a JSON-shaped dict, whatever its serialisation.

SPDX JSON and CycloneDX JSON are parsed with our strict JSON reader (duplicate keys, NaN,
non-UTF-8, deep nesting and oversize files are refused). SPDX tag-value and YAML go through
spdx-tools' parsers and its JSON converter, so the same rules apply to every format; note that
spdx-tools normalises some values on the way (e.g. licence aliases), see docs/validation.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supplychain._internal import strictjson
from supplychain._internal.fileio import read_bounded
from supplychain.errors import InvalidInputError, LimitExceededError

TAG_VALUE_SUFFIXES = (".spdx", ".tv")
YAML_SUFFIXES = (".spdx.yaml", ".spdx.yml", ".yaml", ".yml")


@dataclass(frozen=True)
class LoadedDocument:
    doc: dict[str, Any]
    kind: str  # "spdx-json" | "cyclonedx-json" | "spdx-tag-value" | "spdx-yaml"
    sha256: str


def read_document(path: Path, *, max_bytes: int) -> LoadedDocument:
    """Parse ``path``; raise InvalidInputError/LimitExceededError with a one-line reason."""
    name = str(path)
    data = read_bounded(path, limit=max_bytes, what=name)
    digest = hashlib.sha256(data).hexdigest()
    lowered = path.name.lower()
    if lowered.endswith(TAG_VALUE_SUFFIXES) or lowered.endswith(YAML_SUFFIXES):
        return LoadedDocument(_via_spdx_tools(path, data), _kind_of(lowered), digest)
    if not data.strip():
        raise InvalidInputError("empty file, expected an SPDX JSON document", subject=name)
    doc = strictjson.loads_object(data, what=name, max_bytes=max_bytes)
    if doc.get("bomFormat") == "CycloneDX":
        return LoadedDocument(doc, "cyclonedx-json", digest)
    if "spdxVersion" not in doc and "SPDXID" not in doc:
        raise InvalidInputError(
            "a JSON object but neither SPDX (no spdxVersion) nor CycloneDX (no bomFormat)",
            subject=name,
        )
    return LoadedDocument(doc, "spdx-json", digest)


def _kind_of(lowered: str) -> str:
    return "spdx-tag-value" if lowered.endswith(TAG_VALUE_SUFFIXES) else "spdx-yaml"


def _via_spdx_tools(path: Path, data: bytes) -> dict[str, Any]:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError("not UTF-8", subject=str(path)) from exc
    try:
        from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
        from spdx_tools.spdx.parser.parse_anything import parse_file

        document = parse_file(str(path))
        converted: dict[str, Any] = DocumentConverter().convert(document)  # type: ignore[no-untyped-call]
    except RecursionError as exc:
        raise LimitExceededError("nested too deeply", subject=str(path)) from exc
    except Exception as exc:  # spdx-tools raises parser errors, beartype errors, ValueErrors
        get = getattr(exc, "get_messages", None)
        detail = "; ".join(get()[:3]) if callable(get) else f"{type(exc).__name__}: {exc}"
        raise InvalidInputError(
            f"spdx-tools cannot parse it: {detail}"[:300], subject=str(path)
        ) from exc
    return converted
