"""Semantic versions as Go modules use them (``v`` prefix; ``+incompatible`` build suffix).

MVS needs only two things: is a string a canonical module version, and which of two versions is
higher. Ordering follows semver 2.0 §11 (prerelease below release, numeric identifiers below
alphanumeric ones, build metadata ignored); invalid strings sort below every valid one, and equal
among themselves, which is what Go's ``semver.Compare`` does.
"""

from __future__ import annotations

import functools
import re

_SEMVER = re.compile(
    r"^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)

Key = tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]


def is_valid(version: str) -> bool:
    """A full ``vMAJOR.MINOR.PATCH[-pre][+build]`` version (what go.mod requires)."""
    return _SEMVER.match(version) is not None


def is_canonical(version: str) -> bool:
    """Valid, and any build suffix is ``+incompatible`` (the only one Go keeps)."""
    match = _SEMVER.match(version)
    return match is not None and match.group(5) in (None, "incompatible")


@functools.lru_cache(maxsize=65536)
def sort_key(version: str) -> Key:
    """A tuple that orders versions like Go; invalid versions first."""
    match = _SEMVER.match(version)
    if match is None:
        return (0, 0, 0, 0, ())
    major, minor, patch, pre = match.group(1), match.group(2), match.group(3), match.group(4)
    if pre is None:
        # A release sorts above all prereleases of the same version.
        return (1, int(major), int(minor), int(patch), ((2, 0, ""),))
    parts: list[tuple[int, int, str]] = []
    for ident in pre.split("."):
        if ident.isdigit():
            parts.append((0, int(ident), ""))
        else:
            parts.append((1, 0, ident))
    return (1, int(major), int(minor), int(patch), tuple(parts))


def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as ``a`` is lower than, equal to or higher than ``b``."""
    ka, kb = sort_key(a), sort_key(b)
    return (ka > kb) - (ka < kb)
