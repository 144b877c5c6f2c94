"""go.work: a workspace of several main modules (``use``) with shared ``replace`` directives.

Same syntax as go.mod (``modlex``); a go.work ``replace`` beats the modules' own replaces.
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.catalog.golang.modfile import (
    ModFile,
    Replace,
    _Builder,
    _go,
    _godebug,
    _toolchain,
    parse_replace,
)
from supplychain.catalog.golang.modlex import parse_statements, problem


@dataclass(frozen=True)
class WorkFile:
    filename: str
    go: str | None
    toolchain: str | None
    godebug: tuple[tuple[str, str], ...]
    uses: tuple[str, ...]  # directories, as written, relative to the go.work directory
    replaces: tuple[Replace, ...]
    warnings: tuple[str, ...]


def parse_gowork(data: bytes | str, *, filename: str = "go.work") -> WorkFile:
    """Parse go.work. Raises ``InvalidInputError`` with ``file:line`` on malformed input."""
    builder = _Builder(filename)
    uses: list[str] = []
    for stmt in parse_statements(data, filename):
        if stmt.verb == "use":
            args = stmt.texts()
            if len(args) != 1 or not args[0]:
                raise problem(filename, stmt.line, "usage: use ./dir", stmt.source)
            uses.append(args[0])
        elif stmt.verb == "go":
            _go(builder, stmt)
        elif stmt.verb == "toolchain":
            _toolchain(builder, stmt)
        elif stmt.verb == "godebug":
            _godebug(builder, stmt)
        elif stmt.verb == "replace":
            parse_replace(builder, stmt)
        else:
            builder.warnings.append(f"{filename}:{stmt.line}: unknown directive {stmt.verb!r}")
    built: ModFile = builder.build()
    return WorkFile(
        filename=filename,
        go=built.go,
        toolchain=built.toolchain,
        godebug=built.godebug,
        uses=tuple(uses),
        replaces=built.replaces,
        warnings=built.warnings,
    )
