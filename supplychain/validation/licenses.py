"""SPDX licence expressions (Annex D), checked by our own small parser.

Why not license-expression / spdx-tools: both accept lowercase operators, silently rewrite
aliases, and reject ``<id>+`` for ids without an alias (VALIDATION.md §5 rows 1, 5, 6). We need
the exact reason for each problem, so the grammar is parsed here, once per distinct string.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources

_ID_STRING = r"[A-Za-z0-9.\-]+"
LICENSE_REF = re.compile(rf"^LicenseRef-{_ID_STRING}$")
DOCUMENT_LICENSE_REF = re.compile(rf"^DocumentRef-({_ID_STRING}):(LicenseRef-{_ID_STRING})$")
_TOKEN = re.compile(r"\(|\)|[^\s()]+")
OPERATORS = ("AND", "OR", "WITH")


@dataclass(frozen=True)
class LicenseList:
    version: str
    licenses: dict[str, str]  # lower-case id → canonical id
    exceptions: dict[str, str]
    deprecated: frozenset[str]


@functools.cache
def license_list() -> LicenseList:
    """The vendored SPDX licence list (data/spdx-license-list.json, see make_license_list.py)."""
    raw = resources.files("supplychain.validation") / "data" / "spdx-license-list.json"
    data = json.loads(raw.read_text("utf-8"))
    return LicenseList(
        version=data["licenseListVersion"],
        licenses={i.lower(): i for i in data["licenses"]},
        exceptions={i.lower(): i for i in data["exceptions"]},
        deprecated=frozenset(data["deprecated"]),
    )


@dataclass
class ExpressionCheck:
    """Problems found in one expression; ``refs`` are the local LicenseRef ids it uses."""

    errors: list[str] = field(default_factory=list)
    style: list[str] = field(default_factory=list)  # non-canonical case, deprecated ids
    refs: set[str] = field(default_factory=set)
    document_refs: set[str] = field(default_factory=set)
    ids: list[str] = field(default_factory=list)


class _Parser:
    def __init__(self, expression: str, check: ExpressionCheck) -> None:
        self.tokens = _TOKEN.findall(expression)
        self.pos = 0
        self.check = check
        self.known = license_list()

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str | None:
        token = self.peek()
        self.pos += 1
        return token

    def parse(self) -> None:
        self.expression()
        if self.peek() is not None:
            self.check.errors.append(f"unexpected {self.peek()!r}")

    def expression(self) -> None:
        self.term()
        while (token := self.peek()) is not None:
            if token in ("AND", "OR"):
                self.take()
                self.term()
            elif token.upper() in ("AND", "OR"):
                self.check.errors.append(f"operator {token!r} must be upper case")
                self.take()
                self.term()
            else:
                return

    def term(self) -> None:
        token = self.take()
        if token is None:
            self.check.errors.append("expression ends where a licence was expected")
            return
        if token == "(":  # noqa: S105 (a parenthesis, not a secret)
            self.expression()
            if self.take() != ")":
                self.check.errors.append("unbalanced parentheses")
            return
        if token == ")" or token in OPERATORS:  # noqa: S105
            self.check.errors.append(f"unexpected {token!r} where a licence was expected")
            return
        self.simple(token)
        following = self.peek()
        if following == "WITH" or (following is not None and following.lower() == "with"):
            if following != "WITH":
                self.check.errors.append(f"operator {following!r} must be upper case")
            self.take()
            self.exception(self.take())

    def simple(self, token: str) -> None:
        check = self.check
        if token in ("NONE", "NOASSERTION"):
            check.errors.append(f"{token} cannot be part of a compound expression")
            return
        if token.startswith("LicenseRef-"):
            if not LICENSE_REF.match(token):
                check.errors.append(f"malformed licence reference {token!r}")
            check.refs.add(token)
            return
        if token.startswith("DocumentRef-"):
            match = DOCUMENT_LICENSE_REF.match(token)
            if not match:
                check.errors.append(f"malformed external licence reference {token!r}")
            else:
                check.document_refs.add(match.group(1))
            return
        lowered = token.lower()
        canonical = self.known.licenses.get(lowered)
        if canonical is None and lowered.endswith("+"):
            canonical = self.known.licenses.get(lowered[:-1])
            canonical = canonical + "+" if canonical else None
        if canonical is None:
            if lowered in self.known.exceptions or lowered.rstrip("+") in self.known.exceptions:
                check.errors.append(f"{token!r} is a licence exception, allowed only after WITH")
            else:
                check.errors.append(f"unknown licence id {token!r}")
            return
        check.ids.append(canonical)
        if canonical != token:
            check.style.append(f"{token!r} is not the canonical case {canonical!r}")
        if canonical in self.known.deprecated or canonical.rstrip("+") in self.known.deprecated:
            check.style.append(f"{canonical!r} is a deprecated licence id")

    def exception(self, token: str | None) -> None:
        if token is None or token in ("(", ")") or token in OPERATORS:
            self.check.errors.append("WITH must be followed by a licence exception id")
            if token in ("(", ")"):
                self.pos -= 1
            return
        canonical = self.known.exceptions.get(token.lower())
        if canonical is None:
            self.check.errors.append(f"{token!r} is not a licence exception id")
        elif canonical != token:
            self.check.style.append(f"{token!r} is not the canonical case {canonical!r}")


@functools.lru_cache(maxsize=4096)
def check_expression(expression: str) -> ExpressionCheck:
    """Check one licence field value; cached, since real SBOMs repeat a few values a lot."""
    check = ExpressionCheck()
    if expression in ("NONE", "NOASSERTION"):
        return check
    if not expression.strip():
        check.errors.append("empty licence expression")
        return check
    if expression != expression.strip():
        check.errors.append("leading or trailing white space")
    _Parser(expression, check).parse()
    return check


def is_single_id(expression: str) -> bool:
    """One listed licence id or LicenseRef, no operators (what the AH UI can link)."""
    tokens = _TOKEN.findall(expression)
    return len(tokens) == 1 and tokens[0] not in ("(", ")")


def normalise(expression: str) -> str:
    """Canonical-case ids and single spaces, for comparing two expressions textually."""
    out = []
    known = license_list()
    for token in _TOKEN.findall(expression):
        lowered = token.lower()
        if lowered in ("and", "or", "with"):
            out.append(lowered.upper())
        else:
            out.append(known.licenses.get(lowered) or known.exceptions.get(lowered) or token)
    return " ".join(out).replace("( ", "(").replace(" )", ")")
