"""Reports as text (for people), JSON and SARIF 2.1.0 (for CI). Returns strings; never prints."""

from __future__ import annotations

import json
from itertools import groupby
from typing import Any

from supplychain import __version__
from supplychain.validation.findings import Report, Severity
from supplychain.validation.rules.base import all_rules

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def as_text(reports: list[Report]) -> str:
    lines: list[str] = []
    for report in reports:
        counts = report.counts()
        lines.append(f"{report.subject}: profile {report.profile}")
        findings = sorted(report.findings, key=lambda f: (f.rule, f.path, f.message))
        for rule_id, group in groupby(findings, key=lambda f: f.rule):
            items = sorted(group, key=lambda f: f.sort_key())
            lines.append(f"  {rule_id} ({items[0].source})")
            for f in items:
                where = " ".join(part for part in (f.path, f.spdx_id or "") if part)
                prefix = f"    {f.severity.label.upper():7} "
                lines.append(f"{prefix}{where + ': ' if where else ''}{f.message}")
        verdict = "FAIL" if report.failed else "PASS"
        lines.append(
            f"  {verdict}: {counts['error']} error(s), {counts['warning']} warning(s), "
            f"{counts['info']} info (fails on {report.fail_on.label})"
        )
    return "\n".join(lines) + "\n"


def as_json(reports: list[Report]) -> str:
    out = [
        {
            "subject": r.subject,
            "profile": r.profile,
            "profile_sha256": r.profile_sha256,
            "fail_on": r.fail_on.label,
            "passed": not r.failed,
            "summary": r.counts(),
            "findings": [f.as_dict() for f in r.sorted_findings()],
        }
        for r in reports
    ]
    return json.dumps({"reports": out}, indent=2, ensure_ascii=False) + "\n"


def as_sarif(reports: list[Report]) -> str:
    registry = all_rules()
    used = sorted({f.rule for r in reports for f in r.findings})
    rules: list[dict[str, Any]] = [
        {
            "id": rule_id,
            "shortDescription": {"text": registry[rule_id].title},
            "properties": {"source": registry[rule_id].source},
        }
        for rule_id in used
    ]
    index = {rule_id: i for i, rule_id in enumerate(used)}
    results = []
    for report in reports:
        for f in report.sorted_findings():
            location: dict[str, Any] = {
                "physicalLocation": {"artifactLocation": {"uri": report.subject}},
            }
            if f.spdx_id:
                location["logicalLocations"] = [{"name": f.spdx_id, "kind": "element"}]
            results.append(
                {
                    "ruleId": f.rule,
                    "ruleIndex": index[f.rule],
                    "level": _SARIF_LEVEL[f.severity],
                    "message": {"text": f.message},
                    "locations": [location],
                    "properties": {
                        "jsonPointer": f.path,
                        "oracle": f.oracle,
                        "profile": report.profile,
                    },
                }
            )
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "supplychain validate",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
