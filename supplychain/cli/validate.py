"""`supplychain validate sbom` and `supplychain validate artifacthub`."""

from __future__ import annotations

import click

from supplychain.cli.main import cli
from supplychain.errors import ExitCode
from supplychain.validation import RunState, load_profile, render, validate_file, validate_target
from supplychain.validation.findings import Severity
from supplychain.validation.metadata import facts_for
from supplychain.validation.publish import target_for

_RENDERERS = {"text": render.as_text, "json": render.as_json, "sarif": render.as_sarif}


@cli.group("validate")
def validate_group() -> None:
    """Validate SBOMs against a profile, or an artifact against Artifact Hub's rules."""


@validate_group.command("sbom")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--profile",
    "profile_name",
    default="artifacthub",
    show_default=True,
    help="artifacthub, ntia, spdx-2.3, or a path to a YAML profile (may `extends:` one).",
)
@click.option(
    "--format", "output_format", type=click.Choice(list(_RENDERERS)), default="text",
    show_default=True,
)  # fmt: skip
@click.option(
    "--artifact",
    help="Cross-check against a chart directory, a chart .tgz or an artifacthub-pkg.yml.",
)
@click.option(
    "--oracle",
    "oracles",
    multiple=True,
    type=click.Choice(["spdx-tools", "ntia"]),
    help="Also run an external validator as an oracle (slow on large documents).",
)
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    help="Exit 1 on findings at or above this severity (default: the profile's).",
)
@click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Allow plain HTTP to this registry for --artifact IMAGE.",
)
def validate_sbom(
    files: tuple[str, ...],
    profile_name: str,
    output_format: str,
    artifact: str | None,
    oracles: tuple[str, ...],
    fail_on: str | None,
    insecure: tuple[str, ...],
) -> int:
    """Validate SPDX 2.3 (JSON, tag-value, YAML) or CycloneDX JSON SBOMs.

    Exit 0 when no finding reaches the threshold, 1 when one does (or the file is not a
    readable SBOM), 2 for a bad profile or option.
    """
    profile = load_profile(profile_name)
    if fail_on:
        profile.fail_on = fail_on
    facts = facts_for(artifact, insecure_registries=insecure) if artifact else None
    state = RunState()
    reports = [
        validate_file(path, profile, artifact=facts, oracles=frozenset(oracles), state=state)
        for path in files
    ]
    click.echo(_RENDERERS[output_format](reports), nl=False)
    threshold = Severity.parse(profile.fail_on)
    failed = any(f.severity >= threshold for r in reports for f in r.findings)
    return int(ExitCode.REJECTED if failed else ExitCode.OK)


@validate_group.command("artifacthub")
@click.argument("target")
@click.option(
    "--profile",
    "profile_name",
    default="artifacthub-publish",
    show_default=True,
    help="artifacthub-publish or a path to a YAML profile extending it.",
)
@click.option(
    "--format", "output_format", type=click.Choice(list(_RENDERERS)), default="text",
    show_default=True,
)  # fmt: skip
@click.option(
    "--insecure-registry",
    "insecure",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Allow plain HTTP to this registry (loopback registries are always allowed).",
)
def validate_artifacthub(
    target: str, profile_name: str, output_format: str, insecure: tuple[str, ...]
) -> int:
    """Check what Artifact Hub would enforce when indexing TARGET.

    TARGET is an image (REF, oci:DIR, oci-archive:FILE) or a directory with Chart.yaml,
    artifacthub-pkg.yml, artifacthub-repo.yml or packaged charts. Exit 1 on an error finding.
    """
    profile = load_profile(profile_name)
    report = validate_target(target_for(target, insecure_registries=insecure), profile)
    click.echo(_RENDERERS[output_format]([report]), nl=False)
    return int(ExitCode.REJECTED if report.failed else ExitCode.OK)
