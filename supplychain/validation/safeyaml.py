"""YAML for hostile or user files: PyYAML's safe loader with a cap on aliases.

safe_load already refuses arbitrary Python objects, but an "alias bomb" (a few lines whose
aliases expand to billions of nodes when walked) is still valid YAML; SECURITY.md caps aliases
and file size for every YAML we read (profiles, Chart.yaml, artifacthub-*.yml).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_ALIASES = 100
# Nodes visited when the loaded value is walked with aliases expanded: a bomb needs few
# aliases (60 for 10^7 nodes), so the expanded size is what must be bounded.
MAX_EXPANDED_NODES = 200_000


class _CappedLoader(yaml.SafeLoader):
    aliases_seen = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases_seen += 1
            if self.aliases_seen > MAX_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (an alias bomb?)")
        return super().compose_node(parent, index)


def load(data: bytes | str) -> Any:
    """Parse one YAML document safely; yaml.YAMLError on anything wrong."""
    loader = _CappedLoader(data)
    try:
        value = loader.get_single_data()
    finally:
        loader.dispose()
    _check_expanded_size(value)
    return value


def _check_expanded_size(value: Any) -> None:
    stack = [value]
    visited = 0
    while stack:
        item = stack.pop()
        visited += 1
        if visited > MAX_EXPANDED_NODES:
            raise yaml.YAMLError(
                f"expands to more than {MAX_EXPANDED_NODES} nodes (an alias bomb?)"
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
