"""Go SBOMs in the neutral model: from a module tree (``gomod:``) and from a binary (``gobin:``).

The leaders emit a flat list (main "depends on" everything); we emit the module graph as Go
selects it (SBOM.md §E.3): ``X DEPENDS_ON Y`` when X's go.mod requires Y's path and Y is in the
build list; ``NOASSERTION`` below a module whose go.mod we could not read offline; ``NONE`` for a
go.mod with no requirements. An indirect module nobody in the build list requires hangs off the
main module, marked ``supplychain:golang:edge=unattributed``. The ``h1:`` sum hashes no single
file, so it is a labelled property and never a checksum (anchore/syft#1261).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from supplychain._internal.fileio import file_sha256
from supplychain.catalog import purl
from supplychain.catalog.gobinary import (
    derived_supplier,
    derived_supplier_properties,
    stdlib_cpe,
    stdlib_version,
)
from supplychain.catalog.golang.analysis import Analysis, Selected, analyze
from supplychain.catalog.golang.buildinfo import BuildInfo, Module, read_build_info
from supplychain.catalog.golang.gitversion import main_version
from supplychain.catalog.golang.modfile import ModuleVersion
from supplychain.catalog.golang.sources import default_sources
from supplychain.errors import InvalidInputError, NotFoundError
from supplychain.model.sbom import (
    NOASSERTION,
    NONE,
    Checksum,
    Package,
    Purpose,
    RelType,
    Sbom,
    SbomBuilder,
    package_ref,
)

CREATOR = "Tool: supplychain"
P = "supplychain:golang:"


def _ref(name: str, key: str, *, prefix: str = "Package-golang") -> str:
    return package_ref(prefix, name, key)


def module_package(item: Selected) -> Package:
    """One build-list member as a package: purl of what is built, original recorded."""
    props: list[tuple[str, str]] = []
    mod = item.mod
    if item.indirect:
        props.append((P + "indirect", "true"))
    if item.replace is not None:
        props.append((P + "replaces", f"{mod.path}@{mod.version}" if mod.version else mod.path))
    if item.replace is not None and item.replace.is_local:
        props.append((P + "replace-local", item.replace.new_path))
        return Package(
            ref=_ref(mod.path, f"local:{mod.path}:{item.replace_dir}"),
            name=mod.path,
            version="(devel)",
            purl=purl.golang(mod.path, None),
            kind="golang",
            purpose=Purpose.LIBRARY,
            properties=tuple(sorted(props)),
        )
    eff = item.effective
    if item.h1:
        props.append((P + "h1", item.h1))
    canonical = purl.golang(eff.path, eff.version)
    return Package(
        ref=_ref(eff.path, canonical),
        name=eff.path,
        version=eff.version,
        purl=canonical,
        kind="golang",
        purpose=Purpose.LIBRARY,
        supplier=derived_supplier(eff.path),
        properties=tuple(sorted(props + derived_supplier_properties(eff.path))),
    )


def _main_version(directory: Path, path: str, explicit: str | None) -> tuple[str, str]:
    """SBOM.md §E.3: an explicit version, the git tag at HEAD, a HEAD pseudo-version, (devel)."""
    if explicit:
        return explicit, "explicit"
    found = main_version(directory, path)
    return found if found is not None else ("(devel)", "none")


def sbom_from_analysis(
    analysis: Analysis, *, created: datetime, version: str | None = None
) -> Sbom:
    ws = analysis.workspace
    name = ws.mains[0].path if ws.go_work is None else f"go.work:{ws.go_work.parent.name}"
    builder = SbomBuilder(name, created)
    builder.creators.append(CREATOR)
    refs: dict[str, str] = {}  # module path → package ref (one selected version per path)
    mains: list[str] = []
    for main in ws.mains:
        mf = main.modfile
        main_ver, ver_source = _main_version(
            main.directory, main.path, version if ws.go_work is None else None
        )
        props = [(P + "version-source", ver_source), *derived_supplier_properties(main.path)]
        if mf.go:
            props.append((P + "go", mf.go))
        if mf.toolchain:
            props.append((P + "toolchain", mf.toolchain))
        props += [(P + "godebug", f"{k}={v}") for k, v in mf.godebug]
        props += [(P + "tool", t) for t in mf.tools]
        if mf.deprecated:
            props.append((P + "deprecated", mf.deprecated))
        ref = builder.add_package(
            Package(
                ref=_ref(main.path, f"main:{main.path}", prefix="GoModule"),
                name=main.path,
                version=main_ver,
                purl=purl.golang(main.path, None if main_ver == "(devel)" else main_ver),
                kind="golang",
                # A module tree is source: no artifact digest exists to bind to (AH-PKG-006).
                purpose=Purpose.SOURCE,
                supplier=derived_supplier(main.path),
                properties=tuple(sorted(props)),
            )
        )
        refs[main.path] = ref
        mains.append(ref)
    if ws.go_work is not None:
        root = builder.add_package(
            Package(
                ref=_ref(name, f"work:{ws.go_work}", prefix="GoWorkspace"),
                name=name,
                kind="golang",
                purpose=Purpose.SOURCE,
                properties=((P + "workspace", ws.go_work.name),),
            )
        )
        for ref in mains:
            builder.relate(root, RelType.DEPENDS_ON, ref)
        builder.root = root
    else:
        builder.root = mains[0]
    for item in analysis.build_list:
        if not item.main:
            refs[item.mod.path] = builder.add_package(module_package(item))
    incoming: set[str] = set()
    for item in analysis.build_list:
        source = refs[item.mod.path]
        required = analysis.requirements(item.mod)
        if required is None:
            builder.relate(source, RelType.DEPENDS_ON, NOASSERTION)
            continue
        if item.main:
            direct = {r.path for m in ws.mains if m.path == item.mod.path
                      for r in m.modfile.requires if not r.indirect}  # fmt: skip
            required = tuple(p for p in required if p in direct)
        targets = [refs[p] for p in required if p in refs and refs[p] != source]
        for target in targets:
            builder.relate(source, RelType.DEPENDS_ON, target)
            incoming.add(target)
        if not targets:
            builder.relate(source, RelType.DEPENDS_ON, NONE)
    for item in analysis.build_list:
        ref = refs[item.mod.path]
        if not item.main and ref not in incoming:
            builder.relate(mains[0], RelType.DEPENDS_ON, ref)
            pkg = module_package(item).with_properties([(P + "edge", "unattributed")])
            builder.add_package(pkg)
    builder.properties.add((P + "build-list", "vendor" if analysis.vendored else "mvs"))
    for warning in analysis.warnings:
        builder.properties.add(("supplychain:warning", warning))
    return builder.build()


def sbom_from_gomod(
    path: str | Path,
    *,
    created: datetime,
    gomodcache: str | Path | None = None,
    graph_file: str | Path | None = None,
    use_go: bool | None = None,
    version: str | None = None,
) -> Sbom:
    """SBOM of a Go module or workspace: ``path`` is a directory, a go.mod or a go.work.

    The main module's version is ``version`` if given, else the semver tag at the checkout's
    HEAD, else a HEAD pseudo-version, else ``(devel)`` (``gitversion``).

    Dependencies' go.mod files come from the vendor tree, the module cache (``gomodcache``,
    default ``$GOMODCACHE``), a saved ``go mod graph`` output (``graph_file``) and the go
    toolchain run offline (``use_go``; default: when installed). Never uses the network.
    """
    analysis = analyze(path, gomodcache=gomodcache, graph_file=graph_file, use_go=use_go)
    return sbom_from_analysis(analysis, created=created, version=version)


def sbom_from_gobin(
    path: str | Path,
    *,
    created: datetime,
    gomodcache: str | Path | None = None,
    version: str | None = None,
) -> Sbom:
    """SBOM of a Go binary from its build info (SBOM.md §C.1, §E.3 "Binaries").

    The build info decides membership. It records no edges, so by default the main module
    depends on every module and on ``stdlib``, and each module ``DEPENDS_ON NOASSERTION``; where
    the module cache has a module's go.mod, its edges are filled in, restricted to the modules
    in the binary.

    The root carries the binary file's SHA256: that file is the artifact the SBOM describes, so
    its digest is what binds the two (AH-PKG-006). ``version`` overrides the build info's main
    version (often ``(devel)``), recorded as ``version-source=explicit``.
    """
    target = Path(path)
    if not target.is_file():
        raise NotFoundError("no such file", subject=str(target))
    info = read_build_info(target)
    if info is None:
        raise InvalidInputError("not a Go binary with build info", subject=str(target))
    return _binary_sbom(info, target, created, gomodcache, version)


def _binary_sbom(
    info: BuildInfo,
    target: Path,
    created: datetime,
    gomodcache: str | Path | None,
    explicit_version: str | None = None,
) -> Sbom:
    version, source = (explicit_version, "explicit") if explicit_version else info.main_version()
    main_path = info.main.path if info.main else (info.path or target.name)
    props = [
        (P + "toolchain", info.go_version_raw),
        (P + "version-source", source),
        *((f"{P}build:{k}", v) for k, v in info.settings),
        *derived_supplier_properties(main_path),
    ]
    if info.platform:
        props.append(("supplychain:platform", info.platform))
    builder = SbomBuilder(main_path, created)
    builder.creators.append(CREATOR)
    main_ref = builder.add_package(
        Package(
            ref=_ref(main_path, f"gobin:{main_path}", prefix="GoModule"),
            name=main_path,
            version=version,
            purl=purl.golang(main_path, None if version == "(devel)" else version),
            kind="golang",
            purpose=Purpose.APPLICATION,
            supplier=derived_supplier(main_path),
            checksums=(Checksum("SHA256", file_sha256(target).hex),),
            properties=tuple(sorted(props)),
        )
    )
    builder.root = main_ref
    chain = default_sources(target.parent, gomodcache=gomodcache, use_go=False)
    refs: dict[str, str] = {}
    for dep in info.deps:
        refs[dep.path] = builder.add_package(_binary_module(dep))
    for dep in info.deps:
        ref = refs[dep.path]
        builder.relate(main_ref, RelType.DEPENDS_ON, ref)
        eff = dep.replace if dep.replace is not None and not dep.is_local_replace else dep
        summary = chain.summary(ModuleVersion(eff.path, eff.version)) if eff.version else None
        if summary is None:
            builder.relate(ref, RelType.DEPENDS_ON, NOASSERTION)
            continue
        targets = [refs[r.path] for r in summary.requires if r.path in refs]
        for other in targets:
            builder.relate(ref, RelType.DEPENDS_ON, other)
        if not targets:
            builder.relate(ref, RelType.DEPENDS_ON, NONE)
    stdlib = stdlib_version(info.go_version)
    if stdlib is not None:
        std = builder.add_package(
            Package(
                ref=_ref("stdlib", purl.golang("stdlib", stdlib)),
                name="stdlib",
                version=stdlib,
                purl=purl.golang("stdlib", stdlib),
                kind="golang",
                purpose=Purpose.LIBRARY,
                supplier="Organization: Go",
                cpes=(stdlib_cpe(info.go_version),),
                properties=((P + "toolchain", info.go_version_raw),),
            )
        )
        builder.relate(main_ref, RelType.DEPENDS_ON, std)
        builder.relate(std, RelType.DEPENDS_ON, NONE)
    elif not info.deps:
        builder.relate(main_ref, RelType.DEPENDS_ON, NONE)
    return builder.build()


def _binary_module(dep: Module) -> Package:
    props: list[tuple[str, str]] = []
    target = dep
    if dep.replace is not None:
        props.append((P + "replaces", f"{dep.path}@{dep.version}"))
        if dep.is_local_replace:
            props.append((P + "replace-local", dep.replace.path))
            return Package(
                ref=_ref(dep.path, f"local:{dep.path}:{dep.replace.path}"),
                name=dep.path,
                version="(devel)",
                purl=purl.golang(dep.path, None),
                kind="golang",
                purpose=Purpose.LIBRARY,
                properties=tuple(sorted(props)),
            )
        target = dep.replace
    if target.sum:
        props.append((P + "h1", target.sum))
    canonical = purl.golang(target.path, target.version or None)
    return Package(
        ref=_ref(target.path, canonical),
        name=target.path,
        version=target.version or None,
        purl=canonical,
        kind="golang",
        purpose=Purpose.LIBRARY,
        supplier=derived_supplier(target.path),
        properties=tuple(sorted(props + derived_supplier_properties(target.path))),
    )
