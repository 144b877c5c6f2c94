"""Findings: what a rule reports, and the report a validation run hands back.

A finding always names where (JSON Pointer + SPDXID) and which rule, so a user can fix the one
field and a CI system can annotate it; severities are the profile's, not the rule's.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """Ordered so ``>=`` means "at least as bad as"."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    @property
    def label(self) -> str:
        return self.name.lower()


SEVERITY_NAMES = ("error", "warning", "info", "off")


@dataclass(frozen=True)
class Hit:
    """What a rule body yields: the engine adds rule id, severity and source.

    ``level`` names a rule parameter holding the severity of this kind of hit (e.g. the
    ``no_uuid`` warning of AH-DOC-003); ``None`` means the rule's own severity.
    """

    message: str
    path: str = ""
    spdx_id: str | None = None
    level: str | None = None


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: Severity
    message: str
    path: str
    spdx_id: str | None
    source: str
    oracle: str = "own"

    def sort_key(self) -> tuple[int, str, str, str]:
        return (-int(self.severity), self.rule, self.path, self.message)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "rule": self.rule,
            "severity": self.severity.label,
            "message": self.message,
            "path": self.path,
            "spdx_id": self.spdx_id,
            "source": self.source,
            "oracle": self.oracle,
        }


@dataclass
class Report:
    """All findings of one document under one profile."""

    subject: str
    profile: str
    profile_sha256: str
    fail_on: Severity
    findings: list[Finding] = field(default_factory=list)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def counts(self) -> dict[str, int]:
        tally = Counter(f.severity.label for f in self.findings)
        return {name: tally.get(name, 0) for name in ("error", "warning", "info")}

    @property
    def failed(self) -> bool:
        return any(f.severity >= self.fail_on for f in self.findings)

    def rule_ids(self, at_least: Severity = Severity.INFO) -> set[str]:
        return {f.rule for f in self.findings if f.severity >= at_least}
