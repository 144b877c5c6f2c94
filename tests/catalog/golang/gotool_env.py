"""Running the real go toolchain in tests: private, offline-capable, reproducible.

Every run gets its own HOME, GOPATH, GOMODCACHE and GOCACHE under a temp dir, never the network
(GOPROXY is a file:// proxy or ``off``), no checksum database, and the local toolchain only.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def go_env(root: Path, *, proxy: str = "off", flags: str = "-mod=mod") -> dict[str, str]:
    """Environment for go with every cache under ``root``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GO")}
    env.update(
        HOME=str(root / "home"),
        GOPATH=str(root / "gopath"),
        GOMODCACHE=str(root / "gopath" / "pkg" / "mod"),
        GOCACHE=str(root / "gocache"),
        GOPROXY=proxy,
        GOFLAGS=flags,
        GOSUMDB="off",
        GONOSUMDB="*",
        GONOSUMCHECK="1",
        GOTOOLCHAIN="local",
        GOWORK="off",
        CGO_ENABLED="0",
        GO111MODULE="on",
    )
    return env


def run_go(go: str, args: list[str], cwd: Path, env: dict[str, str]) -> str:
    """stdout of ``go args``; a failing go fails the test with its stderr."""
    proc = subprocess.run(
        [go, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"go {' '.join(args)} failed in {cwd}:\n{proc.stderr}")
    return proc.stdout
