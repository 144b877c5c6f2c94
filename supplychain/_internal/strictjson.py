"""JSON parsing that refuses what lenient parsers quietly accept.

Registries, bundles and SBOMs are hostile input, and parser differentials are a known way to
smuggle a second meaning past a verifier (Go's last-duplicate-wins, case-insensitive keys).
So: duplicate keys, NaN/Infinity, non-UTF-8 bytes, lone surrogates and nesting deeper than
``max_depth`` are all errors here, and sizes are checked before parsing starts.
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from supplychain.errors import InvalidInputError, LimitExceededError

DEFAULT_MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return out


# Decoded UTF-8 text cannot hold surrogates, so a lone one can only come from a \uD8xx-\uDFxx
# escape: look for those before paying for a walk over every parsed string.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _check_depth(raw: str, max_depth: int) -> None:
    """Reject deep nesting before json recursion can blow the stack.

    String literals are cut out first so brackets inside them do not count; the running depth is
    then an accumulate over the remaining brackets, which keeps the scan in C for large inputs.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", raw))
    if not brackets:
        return
    if max(itertools.accumulate(map(_STEP.__getitem__, brackets))) > max_depth:
        raise LimitExceededError(f"JSON nested deeper than {max_depth} levels")


def loads(
    data: bytes | str,
    *,
    what: str = "JSON document",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Any:
    """Parse ``data`` strictly; ``what`` names the input in errors."""
    if len(data) > max_bytes:
        raise LimitExceededError(
            f"{len(data)} bytes is over the {max_bytes}-byte limit", subject=what
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                f"not UTF-8 (byte {exc.start} is invalid)", subject=what
            ) from exc
    else:
        text = data
    if text.startswith("\ufeff"):
        raise InvalidInputError("starts with a byte-order mark", subject=what)
    try:
        _check_depth(text, max_depth)
    except LimitExceededError as exc:
        exc.subject = what
        raise
    try:
        value = json.loads(text, object_pairs_hook=_pairs_hook, parse_constant=_reject_constant)
    except RecursionError as exc:
        raise LimitExceededError("JSON nested too deeply", subject=what) from exc
    except ValueError as exc:
        raise InvalidInputError(f"not valid JSON: {exc}", subject=what) from exc
    if _SURROGATE_ESCAPE.search(text):
        _reject_lone_surrogates(value, what)
    return value


def _reject_lone_surrogates(value: Any, what: str) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise InvalidInputError("contains a lone UTF-16 surrogate", subject=what) from exc
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def loads_object(
    data: bytes | str, *, what: str = "JSON document", **kwargs: Any
) -> dict[str, Any]:
    """Like ``loads`` but the top level must be an object."""
    value = loads(data, what=what, **kwargs)
    if not isinstance(value, dict):
        raise InvalidInputError(f"expected a JSON object, got {type(value).__name__}", subject=what)
    return value


def dumps_canonical(value: Any) -> bytes:
    """Deterministic compact JSON (sorted keys, no spaces, UTF-8): for digests and golden files."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def dumps_pretty(value: Any) -> bytes:
    """Deterministic human-readable JSON, newline-terminated."""
    return (json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
