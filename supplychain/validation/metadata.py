"""Artifact Hub metadata from a Helm chart (.tgz or directory) or an artifacthub-pkg.yml.

Chart archives are hostile input: we read only ``<chart>/Chart.yaml`` from a gzip tar, with
caps on the archive size, the member size and the number of members, and never extract.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import tarfile
from pathlib import Path
from typing import Any

import yaml

from supplychain._internal.fileio import read_bounded
from supplychain.errors import InvalidInputError, LimitExceededError, UsageError
from supplychain.validation import safeyaml
from supplychain.validation.artifact import ArtifactFacts

MAX_CHART_BYTES = 20 * 1024 * 1024
MAX_YAML_BYTES = 1024 * 1024
MAX_MEMBERS = 10_000
MAX_SCANNED_BYTES = 200 * 1024 * 1024  # uncompressed bytes walked looking for Chart.yaml
LICENSE_ANNOTATION = "artifacthub.io/license"


def load_yaml_mapping(data: bytes, subject: str) -> dict[str, Any]:
    try:
        value = safeyaml.load(data)
    except yaml.YAMLError as exc:
        raise InvalidInputError("not valid YAML", subject=subject) from exc
    if not isinstance(value, dict):
        raise InvalidInputError("expected a YAML mapping", subject=subject)
    return value


def chart_yaml_from_tgz(path: Path) -> tuple[bytes, str]:
    """(Chart.yaml bytes, sha256 of the archive)."""
    data = read_bounded(path, limit=MAX_CHART_BYTES, what=str(path))
    digest = hashlib.sha256(data).hexdigest()
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for count, member in enumerate(archive):
                if count >= MAX_MEMBERS:
                    raise LimitExceededError(f"more than {MAX_MEMBERS} entries", subject=str(path))
                if member.offset_data + member.size > MAX_SCANNED_BYTES:
                    raise LimitExceededError(
                        f"more than {MAX_SCANNED_BYTES} uncompressed bytes before Chart.yaml",
                        subject=str(path),
                    )
                parts = member.name.split("/")
                if len(parts) == 2 and parts[1] == "Chart.yaml" and member.isfile():
                    if member.size > MAX_YAML_BYTES:
                        raise LimitExceededError("Chart.yaml is too large", subject=str(path))
                    handle = archive.extractfile(member)
                    if handle is None:
                        break
                    return handle.read(MAX_YAML_BYTES + 1), digest
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, OSError) as exc:
        raise InvalidInputError(f"not a chart archive: {exc}", subject=str(path)) from exc
    raise InvalidInputError("no <chart>/Chart.yaml in the archive", subject=str(path))


def chart_facts(path: Path) -> ArtifactFacts:
    """Facts from a chart directory or a packaged chart .tgz."""
    if path.is_dir():
        chart_file = path / "Chart.yaml"
        raw = read_bounded(chart_file, limit=MAX_YAML_BYTES, what=str(chart_file))
        digest = None
    else:
        raw, digest = chart_yaml_from_tgz(path)
    chart = load_yaml_mapping(raw, f"{path}: Chart.yaml")
    annotations = chart.get("annotations") if isinstance(chart.get("annotations"), dict) else {}
    license_value = annotations.get(LICENSE_ANNOTATION) if annotations else None
    return ArtifactFacts(
        kind="chart",
        subject=str(path),
        name=_str(chart.get("name")),
        version=_str(chart.get("version")),
        license=_str(license_value),
        license_key=LICENSE_ANNOTATION,
        sha256=digest,
    )


def ahpkg_facts(path: Path) -> ArtifactFacts:
    raw = read_bounded(path, limit=MAX_YAML_BYTES, what=str(path))
    meta = load_yaml_mapping(raw, str(path))
    return ArtifactFacts(
        kind="artifacthub-pkg",
        subject=str(path),
        name=_str(meta.get("name")),
        version=_str(meta.get("version")),
        license=_str(meta.get("license")),
        license_key="artifacthub-pkg.yml license",
        created=_rfc3339(meta.get("createdAt")),
    )


def facts_for(argument: str, *, insecure_registries: tuple[str, ...] = ()) -> ArtifactFacts:
    """Dispatch ``--artifact``: a chart dir/.tgz, an artifacthub-pkg.yml, else an image."""
    path = Path(argument)
    if path.name in ("artifacthub-pkg.yml", "artifacthub-pkg.yaml"):
        return ahpkg_facts(path)
    if path.is_dir() or path.suffix == ".tgz" or path.name.endswith(".tar.gz"):
        if not path.exists():
            raise UsageError("no such file", subject=argument)
        return chart_facts(path)
    if path.exists():
        raise UsageError(
            "unsupported --artifact",
            subject=argument,
            hint="give an image, a chart directory, a chart .tgz or an artifacthub-pkg.yml",
        )
    from supplychain.validation.publish import image_facts

    return image_facts(argument, insecure_registries=insecure_registries)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


def _rfc3339(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
