"""Generate Go module fixtures and a file-based module proxy for them.

Nothing here touches the network. A fixture is a set of dependency modules (served from a
``GOPROXY=file://…`` directory in the proxy layout: ``<path>/@v/list``, ``<v>.info``, ``<v>.mod``,
``<v>.zip``) plus one or more main modules on disk. ``prepare()`` writes them and runs the real
go toolchain (``go mod tidy``) with private caches so the main modules get a consistent go.mod and
go.sum and the module cache is warm; the tests then compare our graph with ``go mod graph`` and
``go list -m all`` run offline.

Usage: ``python testdata/gomod/gen_fixtures.py OUT_DIR [NAME…]`` (needs ``go`` on PATH).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Dep:
    """One version of a dependency module."""

    path: str
    version: str
    go: str = "1.17"
    requires: list[tuple[str, str]] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # module paths whose package it imports
    extra_gomod: str = ""  # e.g. retract lines
    declared_path: str | None = None  # module line, when it differs (replacement forks)


@dataclass
class Main:
    """A main module: its directory (relative to the fixture), go.mod body and imports."""

    directory: str
    path: str
    go: str
    requires: list[tuple[str, str, bool]] = field(default_factory=list)  # path, version, indirect
    imports: list[str] = field(default_factory=list)
    directives: str = ""  # replace / exclude / retract lines, verbatim
    local_modules: dict[str, Dep] = field(default_factory=dict)  # dir → module (local replaces)


@dataclass
class Fixture:
    name: str
    deps: list[Dep]
    mains: list[Main]
    workspace: bool = False
    vendor: bool = False
    tidy_args: tuple[str, ...] = ()


def escape(text: str) -> str:
    return "".join("!" + c.lower() if "A" <= c <= "Z" else c for c in text)


def package_name(path: str) -> str:
    return "p" + "".join(c if c.isalnum() else "_" for c in path)


def gomod_text(path: str, go: str, requires: list[tuple[str, str]], extra: str = "") -> str:
    lines = [f"module {path}", "", f"go {go}", ""]
    if requires:
        lines.append("require (")
        lines += [f"\t{p} {v}" for p, v in requires]
        lines.append(")")
    if extra:
        lines += ["", extra.strip()]
    return "\n".join(lines) + "\n"


def source_text(pkg: str, imports: list[str]) -> str:
    body = [f"package {pkg}", ""]
    if imports:
        body.append("import (")
        body += [f'\t{package_name(p)} "{p}"' for p in imports]
        body.append(")")
        body.append("")
    calls = "".join(f" + {package_name(p)}.Name()" for p in imports)
    body.append(f'func Name() string {{ return "{pkg}"{calls} }}')
    return "\n".join(body) + "\n"


def write_proxy(proxy: Path, deps: list[Dep]) -> None:
    versions: dict[str, list[str]] = {}
    for dep in deps:
        base = proxy / escape(dep.path) / "@v"
        base.mkdir(parents=True, exist_ok=True)
        gomod = gomod_text(dep.declared_path or dep.path, dep.go, dep.requires, dep.extra_gomod)
        ver = escape(dep.version)
        (base / f"{ver}.mod").write_text(gomod)
        (base / f"{ver}.info").write_text(
            json.dumps({"Version": dep.version, "Time": "2024-01-01T00:00:00Z"})
        )
        prefix = f"{dep.path}@{dep.version}/"
        with zipfile.ZipFile(base / f"{ver}.zip", "w") as zf:
            zf.writestr(prefix + "go.mod", gomod)
            zf.writestr(prefix + "lib.go", source_text(package_name(dep.path), dep.imports))
        versions.setdefault(dep.path, []).append(dep.version)
    for path, vs in versions.items():
        (proxy / escape(path) / "@v" / "list").write_text("\n".join(vs) + "\n")


def write_main(root: Path, main: Main) -> Path:
    directory = root / main.directory
    directory.mkdir(parents=True, exist_ok=True)
    reqs = "".join(f"\t{p} {v}{' // indirect' if ind else ''}\n" for p, v, ind in main.requires)
    text = f"module {main.path}\n\ngo {main.go}\n"
    if reqs:
        text += f"\nrequire (\n{reqs})\n"
    if main.directives:
        text += "\n" + main.directives.strip() + "\n"
    (directory / "go.mod").write_text(text)
    imports = "".join(f'\t{package_name(p)} "{p}"\n' for p in main.imports)
    uses = "".join(f"\tprintln({package_name(p)}.Name())\n" for p in main.imports)
    (directory / "main.go").write_text(
        "package main\n\n" + (f"import (\n{imports})\n\n" if imports else "")
        + f"func main() {{\n{uses}}}\n"
    )  # fmt: skip
    for rel, dep in main.local_modules.items():
        local = directory / rel
        local.mkdir(parents=True, exist_ok=True)
        (local / "go.mod").write_text(gomod_text(dep.path, dep.go, dep.requires))
        (local / "lib.go").write_text(source_text(package_name(dep.path), dep.imports))
    return directory


def go_env(cache_root: Path, proxy: Path | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    proxy_url = proxy if isinstance(proxy, str) else f"file://{proxy}"
    env.update(
        HOME=str(cache_root / "home"),
        GOPATH=str(cache_root / "gopath"),
        GOMODCACHE=str(cache_root / "gopath" / "pkg" / "mod"),
        GOCACHE=str(cache_root / "gocache"),
        GOPROXY=proxy_url,
        GOFLAGS="-mod=mod",
        GOSUMDB="off",
        GONOSUMDB="*",
        GONOSUMCHECK="1",
        GOTOOLCHAIN="local",
        GOWORK="off",
        CGO_ENABLED="0",
        GO111MODULE="on",
    )
    return env


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} in {cwd} failed:\n{proc.stderr}")
    return proc.stdout


def prepare(fixture: Fixture, root: Path, cache_root: Path) -> list[Path]:
    """Write the proxy and main modules under ``root``; tidy (and vendor) with the real go.
    Returns the main module directories. The module cache under ``cache_root`` ends up warm."""
    proxy = root / "proxy"
    write_proxy(proxy, fixture.deps)
    env = go_env(cache_root, proxy)
    dirs = [write_main(root, m) for m in fixture.mains]
    for directory in dirs:
        run(["go", "mod", "tidy", *fixture.tidy_args], directory, env)
        if fixture.vendor:
            run(["go", "mod", "vendor"], directory, env)
        # go list -m all wants each selected version's .info: fetch them now, offline later.
        run(["go", "list", "-m", "all"], directory, env)
    if fixture.workspace:
        uses = "".join(f"\t./{m.directory}\n" for m in fixture.mains)
        (root / "go.work").write_text(f"go 1.19\n\nuse (\n{uses})\n")
        work_env = dict(env, GOWORK=str(root / "go.work"), GOFLAGS="")
        run(["go", "list", "-m", "all"], dirs[0], work_env)
    return dirs


def _v(path: str, *versions: str, **kw: object) -> list[Dep]:
    return [Dep(path, v, **kw) for v in versions]  # type: ignore[arg-type]


def fixtures() -> dict[str, Fixture]:
    """Every fixture by name; each covers one behaviour the issue asks us to match."""
    e = "example.com/"
    diamond = Fixture(
        "diamond",
        deps=[
            Dep(e + "a", "v1.0.0", requires=[(e + "c", "v1.1.0")], imports=[e + "c"]),
            Dep(e + "b", "v1.0.0", requires=[(e + "c", "v1.2.0"), (e + "app", "v0.9.0")]),
            Dep(e + "c", "v1.1.0", requires=[(e + "d", "v1.0.0")]),
            Dep(e + "c", "v1.2.0", requires=[(e + "d", "v1.1.0")], imports=[e + "d"], go="1.16"),
            Dep(e + "d", "v1.0.0"),
            Dep(e + "d", "v1.1.0", requires=[(e + "e", "v1.0.0")]),
            Dep(e + "e", "v1.0.0"),
            Dep(e + "app", "v0.9.0", requires=[(e + "e", "v1.0.0")]),
        ],
        mains=[Main("app", e + "app", "1.17", imports=[e + "a", e + "b"])],
    )
    unpruned = Fixture(
        "unpruned",
        deps=diamond.deps,
        mains=[Main("app", e + "app", "1.16", imports=[e + "a", e + "b"])],
    )
    pruning = Fixture(
        "pruning",
        deps=[
            Dep(e + "old", "v1.0.0", go="1.16", requires=[(e + "mid", "v1.0.0")]),
            Dep(e + "mid", "v1.0.0", requires=[(e + "leaf", "v1.0.0")]),
            Dep(e + "new", "v1.0.0", requires=[(e + "mid2", "v1.0.0")]),
            Dep(e + "mid2", "v1.0.0", requires=[(e + "hidden", "v1.0.0")]),
            Dep(e + "leaf", "v1.0.0"),
            Dep(e + "hidden", "v1.0.0"),
        ],
        mains=[Main("app", e + "app", "1.17", imports=[e + "old", e + "new"])],
    )
    replaced = Fixture(
        "replace",
        deps=[
            Dep(e + "lib", "v1.2.0", requires=[(e + "util", "v1.0.5")], imports=[e + "util"]),
            Dep(e + "util", "v1.0.5"),
            Dep(e + "util", "v1.1.0"),
            Dep(
                "github.com/Acme/util",
                "v1.1.2",
                declared_path=e + "util",
                requires=[(e + "x", "v1.0.0")],
            ),
            Dep(e + "x", "v1.0.0"),
            Dep(e + "pinned", "v1.0.0"),
            Dep(e + "pinned", "v1.3.0", requires=[(e + "x", "v1.0.0")]),
            Dep(e + "gone", "v1.0.0", requires=[(e + "x", "v1.0.0")]),
        ],
        mains=[
            Main(
                "app",
                e + "app",
                "1.19",
                requires=[
                    (e + "util", "v1.1.0", True),
                    (e + "pinned", "v1.3.0", False),
                    (e + "loc", "v0.0.0", False),
                ],
                imports=[e + "lib", e + "pinned", e + "loc"],
                directives=(
                    "exclude example.com/util v1.0.5\n"
                    "replace example.com/util => github.com/Acme/util v1.1.2\n"
                    "replace example.com/pinned v1.3.0 => example.com/pinned v1.0.0\n"
                    "replace example.com/loc => ./loc\n"
                ),
                local_modules={"loc": Dep(e + "loc", "", requires=[(e + "gone", "v1.0.0")])},
            )
        ],
    )
    retract = Fixture(
        "retract",
        deps=[
            Dep(e + "r", "v1.0.0"),
            Dep(e + "r", "v1.1.0", extra_gomod="retract v1.0.0 // broken"),
            Dep(e + "s", "v1.0.0", requires=[(e + "r", "v1.0.0")], imports=[e + "r"]),
        ],
        mains=[Main("app", e + "app", "1.17", imports=[e + "s"])],
    )
    workspace = Fixture(
        "workspace",
        deps=[
            Dep(e + "x", "v1.0.0", requires=[(e + "y", "v1.0.0")]),
            Dep(e + "x", "v1.1.0", requires=[(e + "y", "v1.1.0")]),
            Dep(e + "y", "v1.0.0"),
            Dep(e + "y", "v1.1.0", requires=[(e + "z", "v1.0.0")]),
            Dep(e + "z", "v1.0.0"),
        ],
        mains=[
            Main(
                "one", e + "one", "1.18", imports=[e + "x"], requires=[(e + "x", "v1.0.0", False)]
            ),
            Main(
                "two", e + "two", "1.18", imports=[e + "x"], requires=[(e + "x", "v1.1.0", False)]
            ),
        ],
        workspace=True,
    )
    vendored = Fixture("vendor", deps=diamond.deps, mains=diamond.mains, vendor=True)
    return {
        f.name: f
        for f in [diamond, unpruned, pruning, replaced, retract, workspace, vendored, large()]
    }


def large(count: int = 400, seed: int = 4) -> Fixture:
    """A real-world-sized graph: ``count`` modules in layers, two versions of many, a mix of
    go 1.16 (unpruned) and 1.17+ (pruned) go.mod files, seeded so it is the same every time."""
    rng = random.Random(seed)
    layers = 8
    per_layer = count // layers
    names = [
        [f"github.com/org{layer}/mod{i:03d}" for i in range(per_layer)] for layer in range(layers)
    ]
    deps: list[Dep] = []
    for layer in range(layers):
        for name in names[layer]:
            for minor in (0, 1) if rng.random() < 0.5 else (0,):
                reqs: list[tuple[str, str]] = []
                if layer + 1 < layers:
                    for target in rng.sample(names[layer + 1], k=min(4, per_layer)):
                        reqs.append((target, "v1.0.0" if rng.random() < 0.6 else "v1.1.0"))
                    if layer + 2 < layers and rng.random() < 0.3:
                        reqs.append((rng.choice(names[layer + 2]), "v1.0.0"))
                reqs = sorted(set(reqs))
                deps.append(
                    Dep(name, f"v1.{minor}.0", go="1.16" if rng.random() < 0.3 else "1.17",
                        requires=reqs, imports=sorted({p for p, _ in reqs}))
                )  # fmt: skip
    # Every required v1.1.0 must exist: add it where the coin said only v1.0.0.
    have = {(d.path, d.version) for d in deps}
    for dep in list(deps):
        for path, version in dep.requires:
            if (path, version) not in have:
                deps.append(Dep(path, version, go="1.17"))
                have.add((path, version))
    roots = rng.sample(names[0], k=16)
    main = Main(
        "app",
        "example.com/big",
        "1.17",
        requires=[(r, "v1.0.0", False) for r in sorted(roots)],
        imports=roots,
    )
    return Fixture("large", deps=deps, mains=[main], tidy_args=("-compat=1.17",))


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[1]).resolve()
    wanted = argv[2:] or list(fixtures())
    for name in wanted:
        fixture = fixtures()[name]
        prepare(fixture, out / name, out / "cache")
        print(f"{name}: {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
