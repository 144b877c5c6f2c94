"""Shared strictness checks for signed JSON documents.

Go's JSON decoder matches keys case-insensitively and keeps the last duplicate, so a payload
with ``Docker-Manifest-Digest`` or two ``docker-manifest-digest`` keys means one thing to cosign
and another to a careful parser (SECURITY class I). Duplicates are already refused by
``strictjson``; here any key that differs from a known key only by case is refused too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from supplychain.errors import InvalidInputError


def reject_case_variants(obj: dict[str, Any], known: Iterable[str], *, what: str) -> None:
    known_set = set(known)
    folded = {name.casefold(): name for name in known_set}
    for key in obj:
        if key in known_set:
            continue
        canonical = folded.get(key.casefold())
        if canonical is not None:
            raise InvalidInputError(f"key {key!r} is a case variant of {canonical!r}", subject=what)


def reject_unknown(obj: dict[str, Any], known: Iterable[str], *, what: str) -> None:
    extra = sorted(set(obj) - set(known))
    if extra:
        raise InvalidInputError(f"unexpected key {extra[0]!r}", subject=what)


def require_object(value: Any, *, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInputError("expected a JSON object", subject=what)
    return value


def require_string(obj: dict[str, Any], key: str, *, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise InvalidInputError(f"{key!r} must be a string", subject=what)
    return value
