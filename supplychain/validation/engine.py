"""Run a profile's rules over one document and collect every finding.

Order (VALIDATION.md §2): AH-FMT-001 (stop only if the input is not a JSON object) → schema →
own rules (tolerant, so a schema failure still yields everything else) → requested oracles.
A rule that crashes is itself a finding at error level: a check that could not run must never
look like a pass.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supplychain.errors import Error, UsageError
from supplychain.validation import readers
from supplychain.validation.artifact import ArtifactFacts
from supplychain.validation.findings import Finding, Report, Severity
from supplychain.validation.profiles import Profile
from supplychain.validation.rules.base import REGISTRY, Context, Rule, all_rules
from supplychain.validation.view import SpdxView

FORMAT_RULE = "AH-FMT-001"


@dataclass
class RunState:
    """What the documents of one run share (AH-DOC-004 namespace uniqueness)."""

    namespaces: dict[str, str] = field(default_factory=dict)


def validate_file(
    path: str | Path,
    profile: Profile,
    *,
    artifact: ArtifactFacts | None = None,
    oracles: frozenset[str] = frozenset(),
    state: RunState | None = None,
) -> Report:
    """Validate one SBOM file (SPDX JSON, tag-value, YAML, or CycloneDX JSON)."""
    name = str(path)
    report = _empty_report(name, profile)
    try:
        loaded = readers.read_document(Path(path), max_bytes=int(profile.params["max_bytes"]))
    except UsageError:
        raise  # no such file: the request is wrong (exit 2), the input was never judged
    except Error as exc:
        report.findings.append(_format_finding(profile, exc.message))
        return report
    return validate_document(
        loaded.doc,
        profile,
        subject=name,
        file_name=Path(path).name if loaded.kind == "spdx-json" else "",
        raw_path=name,
        content_sha256=loaded.sha256,
        artifact=artifact,
        oracles=oracles,
        state=state,
        kind=loaded.kind,
    )


def validate_document(
    doc: dict[str, Any],
    profile: Profile,
    *,
    subject: str = "<document>",
    file_name: str = "",
    raw_path: str | None = None,
    content_sha256: str = "",
    artifact: ArtifactFacts | None = None,
    oracles: frozenset[str] = frozenset(),
    state: RunState | None = None,
    kind: str = "spdx-json",
) -> Report:
    all_rules()
    report = _empty_report(subject, profile)
    doc_format = "cyclonedx" if kind == "cyclonedx-json" else "spdx"
    ctx = Context(
        view=SpdxView.build(doc) if doc_format == "spdx" else SpdxView(doc),
        file_name=file_name,
        artifact=artifact,
        oracles=oracles,
        raw_path=raw_path,
        globals=dict(profile.params),
        seen_namespaces=(state or RunState()).namespaces,
        content_sha256=content_sha256 or hashlib.sha256(repr(doc).encode()).hexdigest(),
    )
    for rule_id, setting in profile.rules.items():
        rule = REGISTRY[rule_id]
        if setting.severity == "off" or doc_format not in rule.formats:
            continue
        report.findings.extend(_run_rule(rule, setting.severity, setting.params, ctx))
    return report


def _run_rule(rule: Rule, severity: str, params: dict[str, Any], ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    try:
        for hit in rule.body(ctx, params):
            level = params.get(hit.level, severity) if hit.level else severity
            if level == "off":
                continue
            out.append(
                Finding(
                    rule=rule.id,
                    severity=Severity.parse(level),
                    message=hit.message,
                    path=hit.path,
                    spdx_id=hit.spdx_id,
                    source=rule.source,
                    oracle=rule.oracle,
                )
            )
    except Exception as exc:  # fail closed: a crashed check is an error finding
        out.append(
            Finding(
                rule=rule.id,
                severity=Severity.ERROR,
                message=f"rule could not run: {type(exc).__name__}: {exc}"[:300],
                path="",
                spdx_id=None,
                source=rule.source,
                oracle=rule.oracle,
            )
        )
    return out


def _empty_report(subject: str, profile: Profile) -> Report:
    return Report(
        subject=subject,
        profile=profile.name,
        profile_sha256=profile.sha256,
        fail_on=Severity.parse(profile.fail_on),
    )


def _format_finding(profile: Profile, message: str) -> Finding:
    rule = REGISTRY[FORMAT_RULE]
    return Finding(
        rule=FORMAT_RULE,
        severity=Severity.ERROR,
        message=message,
        path="",
        spdx_id=None,
        source=rule.source,
    )


def validate_target(target: Any, profile: Profile) -> Report:
    """`validate artifacthub`: run the profile's publish rules over what AH would read."""
    all_rules()
    report = _empty_report(target.subject, profile)
    ctx = Context(view=SpdxView({}), target=target, globals=dict(profile.params))
    for rule_id, setting in profile.rules.items():
        rule = REGISTRY[rule_id]
        if setting.severity == "off" or "publish" not in rule.formats:
            continue
        report.findings.extend(_run_rule(rule, setting.severity, setting.params, ctx))
    return report
