"""RFC 6901 JSON Pointers: the location every finding carries."""

from __future__ import annotations


def escape(token: str | int) -> str:
    return str(token).replace("~", "~0").replace("/", "~1")


def join(*tokens: str | int) -> str:
    """``join("packages", 3, "supplier")`` → ``/packages/3/supplier``."""
    return "".join("/" + escape(t) for t in tokens)
