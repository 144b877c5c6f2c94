"""One Go module (or workspace) analysed end to end: graph, build list, sums, vendor, edges.

``mvs`` computes what ``go`` would select; this module adds the evidence around it that an SBOM
and a human need: which build-list member replaces what, the ``h1:`` sums from go.sum, whether a
vendor tree fixes the build list (SBOM.md §E.3: vendor is the best evidence when it is
consistent with go.mod), and each module's requirements *by path* for DEPENDS_ON edges — or None
when its go.mod is unavailable, which the SBOM writes as NOASSERTION.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from supplychain._internal.fileio import read_bounded
from supplychain.catalog.golang.gosum import GoSum, parse_gosum
from supplychain.catalog.golang.modfile import ModuleVersion, Replace
from supplychain.catalog.golang.modlex import MAX_FILE_BYTES
from supplychain.catalog.golang.mvs import ModuleGraph, Workspace, load_workspace, resolve
from supplychain.catalog.golang.sources import GoToolSource, SourceChain, default_sources
from supplychain.catalog.golang.vendor import VendoredModule, parse_modules_txt


@dataclass(frozen=True)
class Selected:
    """A build-list member: the module as required, and what actually provides it."""

    mod: ModuleVersion
    main: bool = False
    replace: Replace | None = None
    replace_dir: Path | None = None  # a local replacement, resolved
    indirect: bool = False  # listed only as "// indirect" by a main module
    h1: str | None = None

    @property
    def effective(self) -> ModuleVersion:
        """The module whose code is built: the ``=>`` target of a version replacement."""
        if self.replace is not None and not self.replace.is_local:
            return self.replace.new
        return self.mod


@dataclass
class Analysis:
    workspace: Workspace
    graph: ModuleGraph
    build_list: list[Selected]
    vendored: bool
    warnings: list[str] = field(default_factory=list)
    # (path, version) → paths its go.mod requires; missing key = go.mod unavailable
    requires_by_path: dict[ModuleVersion, tuple[str, ...]] = field(default_factory=dict)

    def requirements(self, mod: ModuleVersion) -> tuple[str, ...] | None:
        return self.requires_by_path.get(mod)


def analyze(
    target: str | Path,
    *,
    gomodcache: str | Path | None = None,
    graph_file: str | Path | None = None,
    use_go: bool | None = None,
) -> Analysis:
    """Analyse ``target`` (a directory, go.mod or go.work) without the network.

    ``use_go`` None means: run the go toolchain offline as the last source only if it is
    installed.
    """
    ws = load_workspace(target)
    if use_go is None:
        use_go = shutil.which("go") is not None
    sources = default_sources(
        ws.root_dir, gomodcache=gomodcache, graph_file=graph_file, use_go=use_go
    )
    graph = resolve(ws, sources)
    warnings = [w for m in ws.mains for w in m.modfile.warnings]
    sums = _gosums(ws, warnings)
    indirect = {r.path for m in ws.mains for r in m.modfile.requires if r.indirect}
    direct = {r.path for m in ws.mains for r in m.modfile.requires if not r.indirect}
    members = graph.build_list()
    vendored = False
    vendor = _vendor(ws, warnings)
    if vendor is not None:
        members = [ModuleVersion(m.path, "") for m in ws.mains] + vendor
        vendored = True
    selected: list[Selected] = []
    for mod in members:
        if graph.is_main(mod.path) and mod.version == "":
            selected.append(Selected(mod, main=True))
            continue
        found = graph.replacement(mod)
        rep, base = found if found is not None else (None, None)
        replace_dir = (base / rep.new_path).resolve() if rep and base and rep.is_local else None
        item = Selected(
            mod,
            replace=rep,
            replace_dir=replace_dir,
            indirect=mod.path in indirect and mod.path not in direct,
        )
        eff = item.effective
        h1 = sums.h1(eff.path, eff.version) if eff.version else None
        selected.append(Selected(mod, False, rep, replace_dir, item.indirect, h1))
    analysis = Analysis(ws, graph, selected, vendored, warnings)
    _edges(analysis, sources)
    for source in sources.sources:
        if isinstance(source, GoToolSource) and source.failure:
            warnings.append(f"go toolchain could not help offline: {source.failure}")
    unknown = sorted(str(m) for m in graph.unknown)
    if unknown:
        warnings.append(
            f"go.mod unavailable offline for {len(unknown)} module(s), edges below them are "
            f"NOASSERTION: {', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''}"
        )
    return analysis


def _gosums(ws: Workspace, warnings: list[str]) -> GoSum:
    merged = GoSum({}, {})
    files = [m.directory / "go.sum" for m in ws.mains]
    if ws.go_work is not None:
        files.append(ws.go_work.parent / "go.work.sum")
    for path in files:
        if path.is_file():
            parsed = parse_gosum(read_bounded(path, limit=MAX_FILE_BYTES), filename=str(path))
            merged.modules.update(parsed.modules)
            merged.gomods.update(parsed.gomods)
    return merged


def _vendor(ws: Workspace, warnings: list[str]) -> list[ModuleVersion] | None:
    """The vendored build list, when vendor/modules.txt agrees with go.mod; else None."""
    if len(ws.mains) != 1 or ws.go_work is not None:
        return None
    main = ws.mains[0]
    path = main.directory / "vendor" / "modules.txt"
    if not path.is_file():
        return None
    modules = parse_modules_txt(read_bounded(path, limit=MAX_FILE_BYTES), filename=str(path))
    listed: dict[str, VendoredModule] = {m.path: m for m in modules if m.version}
    for req in main.modfile.requires:
        seen = listed.get(req.path)
        if main.modfile.pruned and (seen is None or seen.version != req.version):
            warnings.append(
                f"{path}: inconsistent with go.mod ({req.path} {req.version}); vendor ignored"
            )
            return None
    return sorted(ModuleVersion(m.path, m.version) for m in listed.values())


def _edges(analysis: Analysis, sources: SourceChain) -> None:
    """Requirements by path of every build-list member, from the loaded graph or the sources."""
    graph = analysis.graph
    for item in analysis.build_list:
        mod = item.mod
        raw = graph.raw_required.get(mod)
        if raw is None and not item.main:
            if item.replace_dir is not None:
                summary = graph.summaries.get(mod)
                raw = summary.requires if summary is not None else None
            else:
                summary = sources.summary(item.effective)
                raw = summary.requires if summary is not None else None
        if raw is not None:
            analysis.requires_by_path[mod] = tuple(dict.fromkeys(r.path for r in raw))


def load_sums(path: str | Path) -> GoSum:
    """go.sum at ``path`` (exposed for tools that only want the hashes)."""
    return parse_gosum(read_bounded(path, limit=MAX_FILE_BYTES), filename=str(path))


__all__ = ["Analysis", "Selected", "analyze", "load_sums"]
