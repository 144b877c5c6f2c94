"""The vendored SPDX 2.3 JSON schema, compiled once per process (Draft 2019-09)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any

from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from supplychain.validation.pointer import join


@functools.cache
def spdx_validator() -> Draft201909Validator:
    raw = resources.files("supplychain.validation") / "schemas" / "spdx-2.3.schema.json"
    schema = json.loads(raw.read_text("utf-8"))
    Draft201909Validator.check_schema(schema)
    return Draft201909Validator(schema)


def schema_errors(validator: Draft201909Validator, doc: Any) -> Iterator[tuple[str, str]]:
    """(JSON Pointer, one-line message) for every violation, innermost first."""
    for error in validator.iter_errors(doc):
        yield join(*error.absolute_path), _message(error)


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        return f"unknown field(s): {error.message.split('(')[-1].rstrip(')')}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of the allowed values"
    if error.validator == "required":
        return str(error.message)
    text = str(error.message)
    return text if len(text) <= 160 else text[:157] + "..."
