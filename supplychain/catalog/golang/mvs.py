"""The module graph and the build list: Minimal Version Selection with graph pruning.

This follows the Go reference ("Minimal version selection", "Module graph pruning") and the
behaviour of Go 1.19's ``cmd/go`` that the tests use as the oracle:

* The graph's nodes are module *versions* as required (before replacement); a replacement only
  changes which go.mod is read for a node. Requirements on an excluded version are dropped
  (exclude hits that version only, Go >= 1.16).
* Main go < 1.17 (unpruned): every reachable go.mod is read. Main go >= 1.17 (pruned): the main
  module's requirements are read, and a dependency's requirements are followed further only when
  that dependency is itself go < 1.17 (then transitively, unpruned).
* Workspaces: each ``use``d module is a main module; after loading, any dependency of the
  workspace whose selected version is above the one required is loaded and expanded in turn.
* The main modules are selected at version "" which beats every version, so a dependency
  requiring the main module at some version never changes the build list.
* selected(path) = the highest version of ``path`` anywhere in the graph.

A go.mod that no source can provide makes its module *unknown*: no edges below it are invented.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from supplychain._internal.fileio import read_bounded
from supplychain.catalog.golang import semver
from supplychain.catalog.golang.gowork import parse_gowork
from supplychain.catalog.golang.modfile import ModFile, ModuleVersion, Replace, parse_modfile
from supplychain.catalog.golang.modlex import MAX_FILE_BYTES
from supplychain.catalog.golang.sources import SourceChain, Summary, summary_from_gomod
from supplychain.errors import InvalidInputError, UsageError

PRUNED = "pruned"
UNPRUNED = "unpruned"
WORKSPACE = "workspace"
GRAPH = "graph"  # requirements taken from a go mod graph listing: follow it, nothing else


@dataclass(frozen=True)
class MainModule:
    path: str
    directory: Path
    modfile: ModFile


@dataclass
class Workspace:
    """The main module(s) and the directives that apply to the whole graph."""

    mains: list[MainModule]
    go_work: Path | None = None
    work_go: str | None = None
    # (path, version or "") → (replacement, base directory for a local replacement)
    replaces: dict[tuple[str, str], tuple[Replace, Path]] = field(default_factory=dict)
    excludes: set[ModuleVersion] = field(default_factory=set)
    work_replaces: dict[tuple[str, str], tuple[Replace, Path]] = field(default_factory=dict)

    @property
    def root_dir(self) -> Path:
        return self.go_work.parent if self.go_work is not None else self.mains[0].directory

    @property
    def main_paths(self) -> set[str]:
        return {m.path for m in self.mains}

    def replacement(self, mod: ModuleVersion) -> tuple[Replace, Path] | None:
        """The replace that applies to ``mod``: go.work's before the modules', and within each
        an exact-version one before a version-less one."""
        for table in (self.work_replaces, self.replaces):
            found = table.get((mod.path, mod.version)) or table.get((mod.path, ""))
            if found is not None:
                return found
        return None


def _read_modfile(path: Path) -> ModFile:
    if not path.is_file():
        raise InvalidInputError("go.mod is missing", subject=str(path))
    return parse_modfile(
        read_bounded(path, limit=MAX_FILE_BYTES, what="go.mod"), filename=str(path)
    )


def load_workspace(target: str | Path) -> Workspace:
    """A directory (go.work wins over go.mod there), a go.mod or a go.work file."""
    path = Path(target)
    if path.is_dir():
        path = path / "go.work" if (path / "go.work").is_file() else path / "go.mod"
    if not path.is_file():
        raise UsageError("no go.mod or go.work here", subject=str(target))
    if path.name == "go.work" or path.suffix == ".work":
        return _load_gowork(path)
    modfile = _read_modfile(path)
    if modfile.module is None:
        raise InvalidInputError("go.mod has no module directive", subject=str(path))
    main = MainModule(modfile.module, path.parent.resolve(), modfile)
    ws = Workspace([main])
    for rep in modfile.replaces:
        ws.replaces[(rep.old_path, rep.old_version)] = (rep, main.directory)
    ws.excludes.update(modfile.excludes)
    return ws


def _load_gowork(path: Path) -> Workspace:
    work = parse_gowork(
        read_bounded(path, limit=MAX_FILE_BYTES, what="go.work"), filename=str(path)
    )
    base = path.parent.resolve()
    mains: list[MainModule] = []
    for use in work.uses:
        directory = (base / use).resolve()
        modfile = _read_modfile(directory / "go.mod")
        if modfile.module is None:
            raise InvalidInputError("go.mod has no module directive", subject=str(directory))
        if any(m.path == modfile.module for m in mains):
            raise InvalidInputError(
                f"module {modfile.module} appears twice in the workspace", subject=str(path)
            )
        mains.append(MainModule(modfile.module, directory, modfile))
    if not mains:
        raise InvalidInputError("go.work uses no modules", subject=str(path))
    ws = Workspace(mains, go_work=path.resolve(), work_go=work.go)
    # Module replaces must agree with each other; go.work replaces override them all.
    overridden = {(r.old_path, r.old_version) for r in work.replaces}
    for main in mains:
        for rep in main.modfile.replaces:
            key = (rep.old_path, rep.old_version)
            seen = ws.replaces.get(key)
            covered = key in overridden or (rep.old_path, "") in overridden
            if (
                not covered
                and seen is not None
                and (seen[0].new, _local_dir(seen))
                != (
                    rep.new,
                    _local_dir((rep, main.directory)),
                )
            ):
                raise InvalidInputError(
                    f"conflicting replacements for {rep.old_path} in the workspace modules "
                    "(set one in go.work)",
                    subject=str(path),
                )
            ws.replaces[key] = (rep, main.directory)
        ws.excludes.update(main.modfile.excludes)
    for rep in work.replaces:
        ws.work_replaces[(rep.old_path, rep.old_version)] = (rep, base)
    return ws


def _local_dir(entry: tuple[Replace, Path]) -> Path | None:
    rep, base = entry
    return (base / rep.new_path).resolve() if rep.is_local else None


@dataclass
class ModuleGraph:
    """The loaded requirement graph and the selection over it."""

    workspace: Workspace
    pruning: str
    required: dict[ModuleVersion, tuple[ModuleVersion, ...]]
    selected: dict[str, str]
    summaries: dict[ModuleVersion, Summary]
    unknown: set[ModuleVersion]  # loaded was needed, but no source had its go.mod
    roots: list[ModuleVersion]
    # Requirements as written, excluded versions included (SBOM edges go by path).
    raw_required: dict[ModuleVersion, tuple[ModuleVersion, ...]] = field(default_factory=dict)

    def is_main(self, path: str) -> bool:
        return path in self.workspace.main_paths

    def build_list(self) -> list[ModuleVersion]:
        """Main modules first (version ""), then every selected module sorted by path."""
        mains = [ModuleVersion(m.path, "") for m in self.workspace.mains]
        rest = sorted(
            (ModuleVersion(p, v) for p, v in self.selected.items() if not self.is_main(p)),
            key=lambda m: (m.path, semver.sort_key(m.version)),
        )
        return mains + rest

    def replacement(self, mod: ModuleVersion) -> tuple[Replace, Path] | None:
        if mod.version == "" and self.is_main(mod.path):
            return None
        return self.workspace.replacement(mod)

    def walk(self) -> list[ModuleVersion]:
        """Every node reachable from the main modules, breadth first (``go mod graph`` order)."""
        order: list[ModuleVersion] = []
        queued = set(self.roots)
        queue = deque(self.roots)
        while queue:
            mod = queue.popleft()
            order.append(mod)
            for req in self.required.get(mod, ()):
                if req not in queued:
                    queued.add(req)
                    queue.append(req)
        return order

    def graph_lines(self) -> list[str]:
        """Exactly what ``go mod graph`` prints (Go 1.19: no go@/toolchain@ nodes)."""
        return [f"{mod} {req}" for mod in self.walk() for req in self.required.get(mod, ())]

    def list_lines(self) -> list[str]:
        """Exactly what ``go list -m all`` prints."""
        lines = []
        for mod in self.build_list():
            text = mod.path if mod.version == "" else f"{mod.path} {mod.version}"
            found = self.replacement(mod)
            if found is not None:
                rep, _ = found
                text += f" => {rep.new_path}" + (f" {rep.new_version}" if rep.new_version else "")
            lines.append(text)
        return lines


def _cmp(a: str, b: str) -> int:
    """Version order with "" (a main module) above everything."""
    if a == b:
        return 0
    if b == "":
        return -1
    if a == "":
        return 1
    return semver.compare(a, b)


class _Loader:
    def __init__(self, ws: Workspace, sources: SourceChain) -> None:
        self.ws = ws
        self.sources = sources
        self.required: dict[ModuleVersion, tuple[ModuleVersion, ...]] = {}
        self.summaries: dict[ModuleVersion, Summary] = {}
        self.raw: dict[ModuleVersion, tuple[ModuleVersion, ...]] = {}
        self.selected: dict[str, str] = {m.path: "" for m in ws.mains}
        self.unknown: set[ModuleVersion] = set()
        self.tried: set[ModuleVersion] = set()
        self.queued: set[tuple[ModuleVersion, str]] = set()
        self.queue: deque[tuple[ModuleVersion, str]] = deque()

    def require(self, mod: ModuleVersion, reqs: tuple[ModuleVersion, ...]) -> None:
        self.required[mod] = reqs
        for req in reqs:
            current = self.selected.get(req.path)
            if current is None or _cmp(current, req.version) < 0:
                self.selected[req.path] = req.version

    def summary(self, mod: ModuleVersion, *, graph_only: bool) -> Summary | None:
        if mod in self.summaries:
            return self.summaries[mod]
        if mod in self.tried:
            return None
        self.tried.add(mod)
        found = self._lookup(mod, graph_only=graph_only)
        if found is None:
            self.unknown.add(mod)
            return None
        self.raw[mod] = found.requires
        reqs = tuple(r for r in found.requires if r not in self.ws.excludes)
        found = Summary(reqs, found.go, found.origin, found.from_graph)
        self.summaries[mod] = found
        self.require(mod, reqs)
        return found

    def _lookup(self, mod: ModuleVersion, *, graph_only: bool) -> Summary | None:
        main = next((m for m in self.ws.mains if m.path == mod.path and mod.version == ""), None)
        if main is not None:
            mf = main.modfile
            return Summary(tuple(r.mod for r in mf.requires), mf.go, f"main:{main.directory}")
        found = self.ws.replacement(mod)
        if found is not None:
            rep, base = found
            if rep.is_local:
                gomod = (base / rep.new_path) / "go.mod"
                if not gomod.is_file():
                    raise InvalidInputError(
                        f"replacement directory of {mod} has no go.mod", subject=str(gomod)
                    )
                data = read_bounded(gomod, limit=MAX_FILE_BYTES, what="go.mod")
                return summary_from_gomod(data, f"local:{gomod}", str(gomod))
            mod = rep.new
        return self.sources.summary(mod, graph_only=graph_only)

    def enqueue(self, mod: ModuleVersion, pruning: str) -> None:
        if mod.version == "none" or (mod, pruning) in self.queued:
            return
        self.queued.add((mod, pruning))
        self.queue.append((mod, pruning))

    def drain(self) -> None:
        while self.queue:
            mod, pruning = self.queue.popleft()
            found = self.summary(mod, graph_only=pruning == GRAPH)
            if found is None:
                continue
            if found.from_graph:
                for req in found.requires:
                    self.enqueue(req, GRAPH)
                continue
            own = PRUNED if found.pruned else UNPRUNED
            if pruning != PRUNED or own == UNPRUNED:
                following = UNPRUNED if pruning == UNPRUNED else own
                for req in found.requires:
                    self.enqueue(req, following)


def resolve(ws: Workspace, sources: SourceChain) -> ModuleGraph:
    """Load the module graph of ``ws`` from ``sources`` and select the build list."""
    loader = _Loader(ws, sources)
    if ws.go_work is None:
        main = ws.mains[0]
        pruning = PRUNED if main.modfile.pruned else UNPRUNED
        roots = sorted(
            (r.mod for r in main.modfile.requires if r.mod not in ws.excludes),
            key=lambda m: (m.path, semver.sort_key(m.version)),
        )
        main_node = ModuleVersion(main.path, "")
        loader.raw[main_node] = tuple(r.mod for r in main.modfile.requires)
        loader.require(main_node, tuple(roots))
        loader.summaries[main_node] = Summary(tuple(roots), main.modfile.go, "main")
        for root in roots:
            loader.enqueue(root, pruning)
        loader.drain()
        graph_roots = [main_node]
    else:
        pruning = WORKSPACE
        graph_roots = [ModuleVersion(m.path, "") for m in ws.mains]
        for root in graph_roots:
            loader.enqueue(root, WORKSPACE)
        loader.drain()
        _expand_workspace(loader, graph_roots)
    if any(m.version == "" for m in loader.unknown):
        raise InvalidInputError("a main module's go.mod could not be read")
    return ModuleGraph(
        workspace=ws,
        pruning=pruning,
        required=loader.required,
        selected=loader.selected,
        summaries=loader.summaries,
        unknown=loader.unknown,
        roots=graph_roots,
        raw_required=loader.raw,
    )


def _expand_workspace(loader: _Loader, roots: list[ModuleVersion]) -> None:
    """Load dependencies of the workspace that ended up selected above their required version,
    until nothing new is selected (their requirements may matter to the build)."""
    interesting = {m.path for m in roots}
    seen: set[ModuleVersion] = set()
    while True:
        pending: set[ModuleVersion] = set()
        for path in interesting:
            mod = ModuleVersion(path, loader.selected.get(path, "none"))
            if mod not in seen:
                pending.add(mod)
                continue
            for req in loader.required.get(mod, ()):
                chosen = ModuleVersion(req.path, loader.selected.get(req.path, "none"))
                if _cmp(chosen.version, req.version) > 0 and chosen not in seen:
                    pending.add(chosen)
        if not pending:
            return
        for mod in sorted(pending):
            loader.queued.discard((mod, WORKSPACE))
            loader.enqueue(mod, WORKSPACE)
            seen.add(mod)
            interesting.add(mod.path)
        loader.drain()
