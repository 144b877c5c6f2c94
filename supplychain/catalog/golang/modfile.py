"""go.mod: every directive, with errors that name file, line and text.

We parse what any Go release may write — ``module``, ``go``, ``toolchain``, ``godebug``,
``require``, ``exclude``, ``replace``, ``retract``, ``tool``, ``ignore`` — in line and block form.
An unknown directive is recorded as a warning and skipped, never fatal: an old parser failing on a
new directive silently lost whole dependency graphs (sourcegraph/src-cli#1319). Everything else
that is malformed is an ``InvalidInputError`` (exit 1), because a graph built on a misread go.mod
would be wrong without saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supplychain.catalog.golang import semver
from supplychain.catalog.golang.buildinfo import is_local_path
from supplychain.catalog.golang.modlex import Statement, parse_statements, problem

_GO_VERSION = re.compile(r"^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$")
_TOOLCHAIN = re.compile(r"^(default|go[1-9][0-9]*(\.(0|[1-9][0-9]*)){0,2}([a-z]+[0-9]+)?(-\S+)?)$")
# A "Deprecated:" paragraph of the comments on the module line (Go reference, "module").
_DEPRECATED = re.compile(r"(?s)(?:^|\n\n)Deprecated: *(.*?)(?:$|\n\n)")


@dataclass(frozen=True, order=True)
class ModuleVersion:
    """A module at a version; version ``""`` is a main module or a directory replacement."""

    path: str
    version: str

    def __str__(self) -> str:
        return f"{self.path}@{self.version}" if self.version else self.path


@dataclass(frozen=True)
class Require:
    path: str
    version: str
    indirect: bool
    line: int

    @property
    def mod(self) -> ModuleVersion:
        return ModuleVersion(self.path, self.version)


@dataclass(frozen=True)
class Replace:
    """``old [old_version] => new [new_version]``; no old version = every version; no new
    version = ``new`` is a directory."""

    old_path: str
    old_version: str
    new_path: str
    new_version: str
    line: int

    @property
    def is_local(self) -> bool:
        return not self.new_version

    @property
    def new(self) -> ModuleVersion:
        return ModuleVersion(self.new_path, self.new_version)


@dataclass(frozen=True)
class Retract:
    low: str
    high: str
    rationale: str
    line: int


@dataclass(frozen=True)
class ModFile:
    filename: str
    module: str | None
    deprecated: str | None
    go: str | None
    toolchain: str | None
    godebug: tuple[tuple[str, str], ...]
    requires: tuple[Require, ...]
    excludes: tuple[ModuleVersion, ...]
    replaces: tuple[Replace, ...]
    retracts: tuple[Retract, ...]
    tools: tuple[str, ...]
    ignores: tuple[str, ...]
    warnings: tuple[str, ...]

    @property
    def pruned(self) -> bool:
        """go >= 1.17: lists every package-providing module and allows graph pruning."""
        return go_at_least(self.go, 1, 17)


def go_at_least(version: str | None, major: int, minor: int) -> bool:
    if not version:
        return False
    match = _GO_VERSION.match(version)
    if match is None:
        return False
    return (int(match.group(1)), int(match.group(2))) >= (major, minor)


def parse_modfile(data: bytes | str, *, filename: str = "go.mod") -> ModFile:
    """Parse a go.mod. Raises ``InvalidInputError`` (with ``file:line``) on malformed input."""
    builder = _Builder(filename)
    for stmt in parse_statements(data, filename):
        handler = _HANDLERS.get(stmt.verb)
        if handler is None:
            builder.warnings.append(f"{filename}:{stmt.line}: unknown directive {stmt.verb!r}")
            continue
        handler(builder, stmt)
    return builder.build()


class _Builder:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.module: str | None = None
        self.deprecated: str | None = None
        self.go: str | None = None
        self.toolchain: str | None = None
        self.godebug: list[tuple[str, str]] = []
        self.requires: list[Require] = []
        self.excludes: list[ModuleVersion] = []
        self.replaces: list[Replace] = []
        self.retracts: list[Retract] = []
        self.tools: list[str] = []
        self.ignores: list[str] = []
        self.warnings: list[str] = []

    def fail(self, stmt: Statement, what: str) -> Exception:
        return problem(self.filename, stmt.line, what, stmt.source)

    def build(self) -> ModFile:
        return ModFile(
            filename=self.filename,
            module=self.module,
            deprecated=self.deprecated,
            go=self.go,
            toolchain=self.toolchain,
            godebug=tuple(self.godebug),
            requires=tuple(self.requires),
            excludes=tuple(self.excludes),
            replaces=tuple(self.replaces),
            retracts=tuple(self.retracts),
            tools=tuple(self.tools),
            ignores=tuple(self.ignores),
            warnings=tuple(self.warnings),
        )


def check_path(builder: _Builder, stmt: Statement, path: str, *, what: str = "module path") -> str:
    if (
        not path
        or any(c.isspace() or not c.isprintable() for c in path)
        or path.startswith("-")
        or "\\" in path
    ):
        raise builder.fail(stmt, f"invalid {what}")
    return path


def check_version(builder: _Builder, stmt: Statement, version: str) -> str:
    if not semver.is_canonical(version):
        raise builder.fail(stmt, f"invalid version {version!r}, must be of the form v1.2.3")
    return version


def _module(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 1:
        raise b.fail(stmt, "usage: module module/path")
    if b.module is not None:
        raise b.fail(stmt, "repeated module statement")
    b.module = check_path(b, stmt, args[0])
    text = "\n".join([*stmt.before, stmt.comment]).strip()
    match = _DEPRECATED.search(text)
    if match:
        b.deprecated = match.group(1).strip()


def _go(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 1 or not _GO_VERSION.match(args[0]):
        raise b.fail(stmt, "usage: go 1.23")
    if b.go is not None:
        raise b.fail(stmt, "repeated go statement")
    b.go = args[0]


def _toolchain(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 1 or not _TOOLCHAIN.match(args[0]):
        raise b.fail(stmt, "usage: toolchain go1.23.1")
    if b.toolchain is not None:
        raise b.fail(stmt, "repeated toolchain statement")
    b.toolchain = args[0]


def _godebug(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 1 or "=" not in args[0] or args[0].startswith("="):
        raise b.fail(stmt, "usage: godebug key=value")
    key, _, value = args[0].partition("=")
    if any(c in key + value for c in ' \t",`'):
        raise b.fail(stmt, "invalid godebug setting")
    b.godebug.append((key, value))


def _is_indirect(comment: str) -> bool:
    words = comment.split()
    return (len(words) == 1 and words[0] == "indirect") or (
        len(words) > 1 and words[0] == "indirect;"
    )


def _require(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 2:
        raise b.fail(stmt, "usage: require module/path v1.2.3")
    path = check_path(b, stmt, args[0])
    version = check_version(b, stmt, args[1])
    b.requires.append(Require(path, version, _is_indirect(stmt.comment), stmt.line))


def _exclude(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 2:
        raise b.fail(stmt, "usage: exclude module/path v1.2.3")
    path = check_path(b, stmt, args[0])
    b.excludes.append(ModuleVersion(path, check_version(b, stmt, args[1])))


def parse_replace(b: _Builder, stmt: Statement) -> None:
    """``old => new``, ``old v => new``, ``old => new v``, ``old v => new v``, ``old => ./dir``."""
    args = stmt.texts()
    if "=>" not in args:
        raise b.fail(stmt, "usage: replace module/path [v1.2.3] => other/module v1.4 | ./dir")
    arrow = args.index("=>")
    left, right = args[:arrow], args[arrow + 1 :]
    if len(left) not in (1, 2) or len(right) not in (1, 2):
        raise b.fail(stmt, "usage: replace module/path [v1.2.3] => other/module v1.4 | ./dir")
    old_path = check_path(b, stmt, left[0])
    old_version = check_version(b, stmt, left[1]) if len(left) == 2 else ""
    new_path = check_path(b, stmt, right[0], what="replacement path")
    if len(right) == 1:
        if not is_local_path(new_path):
            raise b.fail(stmt, "replacement module without version must be a directory path")
        new_version = ""
    else:
        if is_local_path(new_path):
            raise b.fail(stmt, "replacement directory cannot have a version")
        new_version = check_version(b, stmt, right[1])
    b.replaces.append(Replace(old_path, old_version, new_path, new_version, stmt.line))


def _retract(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    rationale = "\n".join([*stmt.before, stmt.comment]).strip()
    if len(args) == 1 and args[0] not in "[],":
        low = high = check_version(b, stmt, args[0])
    elif len(args) == 5 and args[0] == "[" and args[2] == "," and args[4] == "]":
        low = check_version(b, stmt, args[1])
        high = check_version(b, stmt, args[3])
        if semver.compare(low, high) > 0:
            raise b.fail(stmt, "version interval lower bound is above its upper bound")
    else:
        raise b.fail(stmt, "usage: retract v1.2.3 | retract [v1.0.0, v1.2.3]")
    b.retracts.append(Retract(low, high, rationale, stmt.line))


def _tool(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 1:
        raise b.fail(stmt, "usage: tool package/path")
    b.tools.append(check_path(b, stmt, args[0], what="tool path"))


def _ignore(b: _Builder, stmt: Statement) -> None:
    args = stmt.texts()
    if len(args) != 1:
        raise b.fail(stmt, "usage: ignore ./dir")
    b.ignores.append(args[0])


_HANDLERS = {
    "module": _module,
    "go": _go,
    "toolchain": _toolchain,
    "godebug": _godebug,
    "require": _require,
    "exclude": _exclude,
    "replace": parse_replace,
    "retract": _retract,
    "tool": _tool,
    "ignore": _ignore,
}
