"""The shared syntax of go.mod and go.work: lines of tokens, ``verb ( … )`` blocks, ``//`` comments.

Both files use the same lexical rules (Go reference, "go.mod files" → "Lexical elements"):
identifiers run until white space or one of ``()[]{},``; strings are Go interpreted ("…") or raw
(`…`) literals; ``//`` starts a comment to the end of the line; ``/* */`` is not allowed. We turn
the text into ``Statement`` objects — one per directive, with the verb, its argument tokens, the
line number, the trailing comment and the comment lines just before it — and leave the meaning
of each verb to ``modfile`` and ``gowork``. Every error names the file, the line and the text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from supplychain.catalog.golang.buildinfo import go_unquote_prefix
from supplychain.errors import InvalidInputError, LimitExceededError

MAX_FILE_BYTES = 16 << 20
_PUNCT = frozenset("()[]{},")


@dataclass(frozen=True)
class Token:
    text: str  # the value; for strings the decoded literal
    quoted: bool = False


@dataclass(frozen=True)
class Statement:
    """One directive: ``verb args…`` on a line of its own or inside a ``verb ( … )`` block."""

    verb: str
    args: tuple[Token, ...]
    line: int
    source: str  # the raw line, for error messages
    comment: str = ""  # the trailing ``//`` comment, without the slashes, stripped
    before: tuple[str, ...] = ()  # comment lines directly above
    in_block: bool = False

    def texts(self) -> list[str]:
        return [t.text for t in self.args]


class SyntaxProblem(InvalidInputError):
    """A go.mod / go.work / modules.txt line that does not parse."""


def problem(filename: str, line: int, what: str, text: str) -> SyntaxProblem:
    """``file:line: what: "text"``, with the offending text shortened to one screen line."""
    shown = text.strip()
    if len(shown) > 120:
        shown = shown[:117] + "..."
    return SyntaxProblem(f"{what}: {shown!r}", subject=f"{filename}:{line}")


def decode(data: bytes | str, filename: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        if len(data) > MAX_FILE_BYTES:
            raise LimitExceededError(
                f"{len(data)} bytes is over the {MAX_FILE_BYTES} byte limit", subject=filename
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise SyntaxProblem("not UTF-8", subject=f"{filename}:{line}") from exc
    if len(text) > MAX_FILE_BYTES:
        raise LimitExceededError(f"over the {MAX_FILE_BYTES} byte limit", subject=filename)
    return text


def _is_ident_char(char: str) -> bool:
    if char in _PUNCT or char.isspace():
        return False
    return char.isprintable() or unicodedata.category(char) == "Zs"


_FAST_TOKEN = re.compile(r"[()\[\]{},]|[^\s()\[\]{},]+")


def tokenize_line(raw: str, filename: str, lineno: int) -> tuple[list[Token | str], str]:
    """Tokens of one line (punctuation as plain one-char ``str``) and its trailing comment."""
    code, sep, comment = raw.partition("//")
    if '"' not in code and "`" not in code and "/*" not in code:
        plain = code.replace("\t", " ").replace("\r", " ")
        if plain.isprintable():
            # Fast path for the common line: no strings, no odd characters.
            return [
                t if t in _PUNCT else Token(t) for t in _FAST_TOKEN.findall(plain)
            ], comment.strip() if sep else ""
    return _tokenize_slow(raw, filename, lineno)


def _tokenize_slow(raw: str, filename: str, lineno: int) -> tuple[list[Token | str], str]:
    tokens: list[Token | str] = []
    i = 0
    n = len(raw)
    while i < n:
        char = raw[i]
        if char in " \t\r":
            i += 1
            continue
        if raw.startswith("//", i):
            return tokens, raw[i + 2 :].strip()
        if raw.startswith("/*", i):
            raise problem(filename, lineno, "mod files must use // comments", raw)
        if char in _PUNCT:
            tokens.append(char)
            i += 1
            continue
        if char in '"`':
            try:
                value, rest = go_unquote_prefix(raw[i:])
            except ValueError as exc:
                raise problem(filename, lineno, f"bad quoted string ({exc})", raw) from exc
            tokens.append(Token(value, quoted=True))
            i = n - len(rest)
            continue
        if not _is_ident_char(char):
            raise problem(filename, lineno, f"unexpected character {char!r}", raw)
        start = i
        while i < n and _is_ident_char(raw[i]) and not raw.startswith("//", i):
            if raw.startswith("/*", i):
                raise problem(filename, lineno, "mod files must use // comments", raw)
            i += 1
        tokens.append(Token(raw[start:i]))
    return tokens, ""


def parse_statements(data: bytes | str, filename: str) -> list[Statement]:
    """All directives of a go.mod-syntax file, in file order, blocks flattened."""
    text = decode(data, filename)
    statements: list[Statement] = []
    block_verb: str | None = None
    block_line = 0
    pending_comments: list[str] = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        tokens, comment = tokenize_line(raw, filename, lineno)
        if not tokens:
            if comment or raw.lstrip().startswith("//"):
                pending_comments.append(comment)
            else:
                pending_comments = []
            continue
        before = tuple(pending_comments)
        pending_comments = []
        if block_verb is not None:
            if tokens == [")"]:
                block_verb = None
                continue
            if any(isinstance(t, str) and t in "()" for t in tokens):
                raise problem(filename, lineno, "unexpected parenthesis inside a block", raw)
            statements.append(
                Statement(block_verb, _args(tokens), lineno, raw, comment, before, True)
            )
            continue
        first = tokens[0]
        if not isinstance(first, Token) or first.quoted:
            raise problem(filename, lineno, "expected a directive", raw)
        rest = tokens[1:]
        if rest and rest[-1] == "(":
            if len(rest) != 1:
                raise problem(filename, lineno, "unexpected text before '('", raw)
            block_verb = first.text
            block_line = lineno
            continue
        if rest == ["(", ")"]:
            continue  # an empty block on one line
        if any(isinstance(t, str) and t in "()" for t in rest):
            raise problem(filename, lineno, "unexpected parenthesis", raw)
        statements.append(Statement(first.text, _args(rest), lineno, raw, comment, before))
    if block_verb is not None:
        raise problem(filename, block_line, "block is never closed", f"{block_verb} (")
    return statements


def _args(tokens: list[Token | str]) -> tuple[Token, ...]:
    """Punctuation other than parentheses (``[ ] ,`` in retract ranges) kept as plain tokens."""
    return tuple(t if isinstance(t, Token) else Token(t) for t in tokens)
