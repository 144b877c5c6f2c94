"""Shared test plumbing."""

from __future__ import annotations

import os
import shutil

import pytest

pytest_plugins = ["tests.fixtures.registry", "tests.fixtures.hostile"]


def require_binary(name: str) -> str:
    """Path to ``name``; a skip locally, a failure in CI (SUPPLYCHAIN_REQUIRE_ALL=1)."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("SUPPLYCHAIN_REQUIRE_ALL"):
            pytest.fail(message)
        pytest.skip(message)
    return path
