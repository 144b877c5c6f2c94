#!/usr/bin/env python3
"""Go module graph of the generated 300+ module fixture: ours beside ``go`` in the same run.

Generates the ``large`` fixture (testdata/gomod/gen_fixtures.py: file-based proxy, real
``go mod tidy``, private caches, no network), warms the module cache, then times with the cache
warm:

* go:   ``go mod graph`` + ``go list -m all`` (GOPROXY=off; two processes, as a user would run);
* ours: parse go.mod + every dependency go.mod from the module cache, MVS with pruning, render
  the same two listings — in-process (``parse+resolve``) and as a fresh CLI process
  (``supplychain gomod graph --no-go``, includes Python start-up and imports).

Prints best-of-N wall times, the ratio ours/go, and checks that both outputs are identical.

    python benchmarks/bench_gomod.py [--repeat 5] [--keep DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supplychain.catalog.golang.mvs import load_workspace, resolve  # noqa: E402
from supplychain.catalog.golang.sources import default_sources  # noqa: E402


def _generator():  # type: ignore[no-untyped-def]
    path = ROOT / "testdata" / "gomod" / "gen_fixtures.py"
    spec = importlib.util.spec_from_file_location("gen_fixtures", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_fixtures"] = module
    spec.loader.exec_module(module)
    return module


def best(repeat: int, func) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    if shutil.which("go") is None:
        print("go is not installed", file=sys.stderr)
        return 3
    gen = _generator()
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-gomod-"))
    try:
        fixture = gen.fixtures()["large"]
        t0 = time.perf_counter()
        main_dir = gen.prepare(fixture, base / "large", base / "cache")[0]
        setup = time.perf_counter() - t0
        env = gen.go_env(base / "cache", "off")
        gomodcache = base / "cache" / "gopath" / "pkg" / "mod"

        def go_both() -> tuple[list[str], list[str]]:
            graph = gen.run(["go", "mod", "graph"], main_dir, env).splitlines()
            listed = gen.run(["go", "list", "-m", "all"], main_dir, env).splitlines()
            return graph, listed

        def ours_inproc() -> tuple[list[str], list[str]]:
            ws = load_workspace(main_dir)
            graph = resolve(ws, default_sources(main_dir, gomodcache=gomodcache))
            return graph.graph_lines(), graph.list_lines()

        cli = [sys.executable, "-m", "supplychain", "-q", "gomod", "graph", str(main_dir),
               "--gomodcache", str(gomodcache), "--no-go"]  # fmt: skip

        def ours_cli() -> str:
            return subprocess.run(cli, capture_output=True, text=True, check=True).stdout

        go_both()  # warm go's own caches too
        go_time, (go_graph, go_list) = best(args.repeat, go_both)
        in_time, (our_graph, our_list) = best(args.repeat, ours_inproc)
        cli_time, _ = best(args.repeat, ours_cli)
        same = our_graph == go_graph and our_list == go_list
        print(f"fixture: {len(go_list)} modules in the build list, {len(go_graph)} graph edges "
              f"(generated + go mod tidy in {setup:.1f}s)")  # fmt: skip
        print(f"go mod graph + go list -m all : {go_time * 1000:8.1f} ms")
        print(f"ours, parse+resolve in-process: {in_time * 1000:8.1f} ms  "
              f"ratio {in_time / go_time:.2f}")  # fmt: skip
        print(f"ours, CLI process (cold start): {cli_time * 1000:8.1f} ms  "
              f"ratio {cli_time / go_time:.2f}")  # fmt: skip
        print(f"identical output: {same}")
        return 0 if same else 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
