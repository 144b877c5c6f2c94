"""The one place that runs the ``go`` command — offline, read-only, local toolchain only.

We use the toolchain only as a last source of dependency graphs the module cache cannot give us
(SBOM.md §E.2). It must never download (``GOPROXY=off``), never edit go.mod or go.sum
(``GOFLAGS=-mod=readonly``) and never switch toolchains (``GOTOOLCHAIN=local``); ``GOWORK`` is left
as the user has it, so a workspace is honoured the way ``go`` itself would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from supplychain.errors import CouldNotCheckError, DeadlineExceededError, ToolMissingError

TIMEOUT_SECONDS = 120
MAX_OUTPUT_BYTES = 64 << 20


def offline_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment with the network, edits and toolchain switching turned off."""
    env = dict(os.environ if base is None else base)
    env.update(GOPROXY="off", GOFLAGS="-mod=readonly", GOTOOLCHAIN="local")
    return env


def run_go(args: list[str], *, cwd: str | Path, env: dict[str, str] | None = None) -> str:
    """stdout of ``go args`` run offline in ``cwd``.

    Raises ``ToolMissingError`` without ``go``, ``DeadlineExceededError`` after the timeout and
    ``CouldNotCheckError`` (with go's first error line) when go fails — a failing go has not judged
    the input, so this is exit 3, not 1.
    """
    go = shutil.which("go")
    if go is None:
        raise ToolMissingError("the go command is not installed", subject="go")
    try:
        proc = subprocess.run(
            [go, *args],
            cwd=cwd,
            env=offline_env(env),
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise DeadlineExceededError(
            f"go {' '.join(args)} ran over {TIMEOUT_SECONDS}s", subject=str(cwd)
        ) from exc
    except OSError as exc:
        raise ToolMissingError(f"cannot run go: {exc.strerror}", subject="go") from exc
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        first = lines[0] if lines else f"exit status {proc.returncode}"
        raise CouldNotCheckError(f"go {' '.join(args)} failed offline: {first}", subject=str(cwd))
    if len(proc.stdout) > MAX_OUTPUT_BYTES:
        raise CouldNotCheckError("go printed more than 64 MiB", subject=str(cwd))
    return proc.stdout.decode("utf-8", "replace")


def mod_graph(module_dir: str | Path) -> str:
    """``go mod graph`` of the module (or workspace) at ``module_dir``."""
    return run_go(["mod", "graph"], cwd=module_dir)


def gomodcache() -> str | None:
    """Where the user's module cache is, without running go: GOMODCACHE, GOPATH, ~/go."""
    if os.environ.get("GOMODCACHE"):
        return os.environ["GOMODCACHE"]
    gopath = os.environ.get("GOPATH", "")
    first = gopath.split(os.pathsep)[0] if gopath else ""
    if first:
        return os.path.join(first, "pkg", "mod")
    home = os.path.expanduser("~")
    return os.path.join(home, "go", "pkg", "mod") if home != "~" else None
