"""The vendored SPDX 2.3 JSON schema, compiled once per process.

Two validators, one schema: fastjsonschema (generated Python code, ~10x faster, but it stops at
the first violation) answers "valid?" for the common case; only when it says no do we run
jsonschema's Draft 2019-09 validator to list every violation with its location. jsonschema is
also imported lazily, because importing it costs ~1 s (its format checkers build a grammar).
The schema only uses keywords whose meaning is the same in draft-07 and 2019-09 (type,
properties, required, additionalProperties, enum, pattern, items, minItems), which is what lets
fastjsonschema's draft-07 engine judge it; tests/validation/test_schema.py checks both agree.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import fastjsonschema

from supplychain.validation.pointer import join


@functools.cache
def spdx_schema() -> dict[str, Any]:
    raw = resources.files("supplychain.validation") / "schemas" / "spdx-2.3.schema.json"
    schema: dict[str, Any] = json.loads(raw.read_text("utf-8"))
    return schema


@functools.cache
def _fast_validator() -> Callable[[Any], Any]:
    schema = dict(spdx_schema())
    schema["$schema"] = "http://json-schema.org/draft-07/schema#"
    validate: Callable[[Any], Any] = fastjsonschema.compile(schema)
    return validate


@functools.cache
def _full_validator() -> Any:
    from jsonschema import Draft201909Validator

    Draft201909Validator.check_schema(spdx_schema())
    return Draft201909Validator(spdx_schema())


def is_valid(doc: Any) -> bool:
    try:
        _fast_validator()(doc)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def schema_errors(doc: Any) -> Iterator[tuple[str, str]]:
    """(JSON Pointer, one-line message) for every violation; nothing for a valid document."""
    if is_valid(doc):
        return
    for error in _full_validator().iter_errors(doc):
        yield join(*error.absolute_path), _message(error)


def _message(error: Any) -> str:
    if error.validator == "additionalProperties":
        return f"unknown field(s): {str(error.message).split('(')[-1].rstrip(')')}"
    if error.validator == "enum":
        return f"{error.instance!r} is not one of the allowed values"
    text = str(error.message)
    return text if len(text) <= 160 else text[:157] + "..."
