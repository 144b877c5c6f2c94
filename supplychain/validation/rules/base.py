"""The rule registry: every rule is code with an id, a default severity, a source and typed
parameters; profiles (policies/*.yaml) only choose among them.

A rule body is a generator of :class:`Hit`; it never raises on bad input and never stops at the
first problem, so one run shows everything wrong with a document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from supplychain.validation.artifact import ArtifactFacts
from supplychain.validation.findings import Hit
from supplychain.validation.view import SpdxView

ParamValue = Any


@dataclass
class Context:
    """Everything a rule may look at; built once per document."""

    view: SpdxView
    file_name: str = ""
    artifact: ArtifactFacts | None = None
    oracles: frozenset[str] = frozenset()
    raw_path: str | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    globals: dict[str, ParamValue] = field(default_factory=dict)
    # Shared by all documents of one run (AH-DOC-004): namespace → sha256 of the document.
    seen_namespaces: dict[str, str] = field(default_factory=dict)
    content_sha256: str = ""
    # `validate artifacthub`: what Artifact Hub would read (publish.PublishTarget).
    target: Any = None

    @property
    def doc(self) -> dict[str, Any]:
        return self.view.doc


RuleBody = Callable[[Context, dict[str, ParamValue]], Iterator[Hit]]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    source: str
    severity: str
    params: dict[str, ParamValue]
    body: RuleBody
    oracle: str = "own"
    formats: tuple[str, ...] = ("spdx",)


REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    *,
    title: str,
    source: str,
    severity: str = "error",
    params: dict[str, ParamValue] | None = None,
    oracle: str = "own",
    formats: tuple[str, ...] = ("spdx",),
) -> Callable[[RuleBody], RuleBody]:
    """Register ``body`` under ``rule_id``; ``params`` are the defaults and fix each type."""

    def register(body: RuleBody) -> RuleBody:
        if rule_id in REGISTRY:
            raise ValueError(f"duplicate rule id {rule_id}")
        REGISTRY[rule_id] = Rule(
            rule_id, title, source, severity, dict(params or {}), body, oracle, formats
        )
        return body

    return register


def all_rules() -> dict[str, Rule]:
    """The registry with every rule module imported."""
    from supplychain.validation.rules import (  # noqa: F401
        cyclonedx,
        document,
        file_rules,
        fmt,
        licensing,
        ntia,
        packages,
        publish_rules,
        relationships,
        xchk,
    )

    return REGISTRY
