"""Debian control-file paragraphs (deb822), as dpkg writes ``status`` and ``status.d/*``.

Shared by the dpkg cataloger and anything else that reads control data; kept separate so the
parsing rules (continuation lines, ``.`` blank lines, case-insensitive keys) live in one place.
"""

from __future__ import annotations

from collections.abc import Iterator


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """Each paragraph as ``{Field: value}``; continuation lines joined with ``\\n``.

    Keys keep dpkg's canonical capitalisation of their first occurrence; lookups in callers use
    the usual spellings (``Package``, ``Version`` …). Malformed lines are skipped, never fatal.
    """
    current: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.strip():
            if current:
                yield current
            current, last = {}, None
            continue
        if line[0] in " \t":
            if last is not None:
                current[last] += "\n" + line.strip()
            continue
        if line.startswith("#") or ":" not in line:
            continue
        key, _, value = line.partition(":")
        key = _canonical(key.strip())
        current[key] = value.strip()
        last = key
    if current:
        yield current


def _canonical(key: str) -> str:
    """``pre-depends`` → ``Pre-Depends`` (dpkg field names are case-insensitive)."""
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))
