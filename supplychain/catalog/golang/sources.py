"""Where the go.mod of a dependency comes from, without the network.

MVS needs each dependency's requirements. We look, in this order (SBOM.md §E.3): a go.mod inside
the vendor tree, the module cache (``GOMODCACHE/cache/download/<esc>/@v/<v>.mod``, then the
extracted ``<esc>@<v>/go.mod``), a saved ``go mod graph`` output, and finally the local go
toolchain run offline (``gotool``). A module none of them knows is *unknown*: the graph marks it
and the SBOM says NOASSERTION below it; nothing is guessed.

A graph file answers differently from a go.mod: it holds the edges of exactly the modules go
itself loaded, so a module reached through it is looked up in the graph only (``GRAPH``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from supplychain._internal.fileio import read_bounded
from supplychain.catalog.golang import gotool
from supplychain.catalog.golang.modfile import ModuleVersion, go_at_least, parse_modfile
from supplychain.catalog.golang.modlex import MAX_FILE_BYTES, problem
from supplychain.errors import CouldNotCheckError


@dataclass(frozen=True)
class Summary:
    """What the graph needs from one module's go.mod (or from a graph file)."""

    requires: tuple[ModuleVersion, ...]
    go: str | None
    origin: str  # e.g. "modcache:/…/@v/v1.2.0.mod", "graph:<file>", "local:/dir/go.mod"
    from_graph: bool = False

    @property
    def pruned(self) -> bool:
        return go_at_least(self.go, 1, 17)


class GoModSource(Protocol):
    name: str

    def summary(self, mod: ModuleVersion) -> Summary | None:
        """The requirements of ``mod``; None when this source does not know it."""


def escape_path(text: str) -> str:
    """Module cache escaping: each upper-case letter becomes ``!`` + lower case."""
    return "".join("!" + c.lower() if "A" <= c <= "Z" else c for c in text)


def summary_from_gomod(data: bytes, origin: str, display: str) -> Summary:
    parsed = parse_modfile(data, filename=display)
    return Summary(tuple(r.mod for r in parsed.requires), parsed.go, origin)


class ModCacheSource:
    """``$GOMODCACHE``: the download cache's ``.mod`` files, then extracted module trees."""

    name = "modcache"

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def summary(self, mod: ModuleVersion) -> Summary | None:
        path, version = escape_path(mod.path), escape_path(mod.version)
        root = str(self.root)
        for candidate in (
            os.path.join(root, "cache", "download", path, "@v", f"{version}.mod"),
            os.path.join(root, f"{path}@{version}", "go.mod"),
        ):
            if os.path.isfile(candidate):
                data = read_bounded(candidate, limit=MAX_FILE_BYTES, what="go.mod")
                return summary_from_gomod(data, f"modcache:{candidate}", candidate)
        return None


class VendorSource:
    """A go.mod copied into ``vendor/<path>/`` (only some tools do this; go mod vendor does not)."""

    name = "vendor"

    def __init__(self, vendor_dir: str | Path) -> None:
        self.root = Path(vendor_dir)

    def summary(self, mod: ModuleVersion) -> Summary | None:
        candidate = self.root.joinpath(*mod.path.split("/")) / "go.mod"
        if not candidate.is_file():
            return None
        data = read_bounded(candidate, limit=MAX_FILE_BYTES, what="go.mod")
        return summary_from_gomod(data, f"vendor:{candidate}", str(candidate))


def parse_graph(
    text: str, *, filename: str = "go mod graph"
) -> dict[ModuleVersion, list[ModuleVersion]]:
    """``from to`` lines of ``go mod graph``; ``go@``/``toolchain@`` nodes (Go >= 1.21) dropped."""
    edges: dict[ModuleVersion, list[ModuleVersion]] = {}
    for lineno, raw in enumerate(text.split("\n"), 1):
        fields = raw.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise problem(filename, lineno, "expected 'from to'", raw)
        source, target = (_node(f, filename, lineno, raw) for f in fields)
        if target.path in ("go", "toolchain") or source.path in ("go", "toolchain"):
            continue
        edges.setdefault(source, []).append(target)
    return edges


def _node(text: str, filename: str, lineno: int, raw: str) -> ModuleVersion:
    path, sep, version = text.partition("@")
    if not path or (sep and not version):
        raise problem(filename, lineno, "malformed module@version", raw)
    return ModuleVersion(path, version)


class GraphSource:
    """A saved ``go mod graph`` output: the edges of the modules go loaded."""

    name = "graph"

    def __init__(self, edges: dict[ModuleVersion, list[ModuleVersion]], origin: str) -> None:
        self.edges = edges
        self.origin = origin

    @classmethod
    def from_file(cls, path: str | Path) -> GraphSource:
        data = read_bounded(path, limit=64 << 20, what="go mod graph output")
        text = data.decode("utf-8", "replace")
        return cls(parse_graph(text, filename=str(path)), f"graph:{path}")

    def summary(self, mod: ModuleVersion) -> Summary | None:
        reqs = self.edges.get(mod)
        if reqs is None:
            return None
        return Summary(tuple(reqs), None, self.origin, from_graph=True)


class GoToolSource:
    """``go mod graph`` run offline once, on first need, in the main module's directory."""

    name = "go"

    def __init__(self, module_dir: str | Path) -> None:
        self.module_dir = Path(module_dir)
        self._graph: GraphSource | None = None
        self.failure: str | None = None

    def summary(self, mod: ModuleVersion) -> Summary | None:
        if self._graph is None and self.failure is None:
            try:
                text = gotool.mod_graph(self.module_dir)
                self._graph = GraphSource(parse_graph(text), "go:mod graph")
            except CouldNotCheckError as exc:
                self.failure = exc.diagnostics()
        return self._graph.summary(mod) if self._graph is not None else None


class SourceChain:
    """The sources in priority order; remembers which modules nobody could answer for."""

    def __init__(self, sources: Sequence[GoModSource]) -> None:
        self.sources = list(sources)
        self.missing: set[ModuleVersion] = set()

    def summary(self, mod: ModuleVersion, *, graph_only: bool = False) -> Summary | None:
        for source in self.sources:
            if graph_only and not isinstance(source, (GraphSource, GoToolSource)):
                continue
            found = source.summary(mod)
            if found is not None:
                return found
        self.missing.add(mod)
        return None


def default_sources(
    module_dir: str | Path,
    *,
    gomodcache: str | Path | None = None,
    graph_file: str | Path | None = None,
    use_go: bool = False,
) -> SourceChain:
    """vendor → module cache (given, else $GOMODCACHE/$GOPATH/~/go) → graph file → go tool."""
    chain: list[GoModSource] = []
    vendor = Path(module_dir) / "vendor"
    if vendor.is_dir():
        chain.append(VendorSource(vendor))
    cache = gomodcache if gomodcache is not None else gotool.gomodcache()
    if cache and os.path.isdir(cache):
        chain.append(ModCacheSource(cache))
    if graph_file is not None:
        chain.append(GraphSource.from_file(graph_file))
    if use_go:
        chain.append(GoToolSource(module_dir))
    return SourceChain(chain)
