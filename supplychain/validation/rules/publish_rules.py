"""AHP-PUB rules: what Artifact Hub itself enforces (or documents) when it indexes an image or
a chart, judged on the :class:`~supplychain.validation.publish.PublishTarget`."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import yaml

from supplychain.validation import safeyaml
from supplychain.validation.findings import Hit
from supplychain.validation.licenses import check_expression
from supplychain.validation.publish import (
    CREATED,
    DESCRIPTION,
    README_URL,
    PublishTarget,
    YamlFile,
    parse_rfc3339,
)
from supplychain.validation.rules.base import Context, rule

PUBLISH = ("publish",)
CATEGORIES = frozenset(
    [
        "ai-machine-learning",
        "database",
        "integration-delivery",
        "monitoring-logging",
        "networking",
        "security",
        "storage",
        "streaming-messaging",
        "skip-prediction",
    ]
)
CHANGE_KINDS = frozenset({"added", "changed", "deprecated", "removed", "fixed", "security"})
GO_BOOLS = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)
PKG_KEYS = frozenset(
    [
        "version",
        "name",
        "alternativeName",
        "category",
        "displayName",
        "createdAt",
        "description",
        "logoPath",
        "logoURL",
        "digest",
        "license",
        "homeURL",
        "appVersion",
        "containersImages",
        "containsSecurityUpdates",
        "operator",
        "deprecated",
        "prerelease",
        "keywords",
        "links",
        "readme",
        "install",
        "changes",
        "maintainers",
        "provider",
        "ignore",
        "recommendations",
        "screenshots",
        "annotations",
    ]
)
_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)(\.(0|[1-9]\d*))?(\.(0|[1-9]\d*))?"
    r"(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$"
)  # Masterminds/semver NewVersion: lenient (v prefix, missing minor/patch allowed)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_IMAGE_REF = re.compile(
    r"^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$"
)
_URL = re.compile(r"^https?://[^\s/]+")


def _target(ctx: Context) -> PublishTarget | None:
    target = ctx.target
    return target if isinstance(target, PublishTarget) else None


@rule(
    "AHP-PUB-001",
    title="image has created (RFC 3339), description and readme-url where AH reads them",
    source="artifacthub/hub internal/tracker/source/container/container.go (getMetadata)",
    formats=PUBLISH,
)
def image_required(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None or target.image is None:
        return
    meta = target.image
    where = f"{meta.reference} ({meta.source})"
    for key in (CREATED, DESCRIPTION, README_URL):
        value = meta.values.get(key)
        if not value:
            yield Hit(f"{where}: {key} is missing; Artifact Hub will not list this tag")
    created = meta.values.get(CREATED)
    if created and parse_rfc3339(created) is None:
        yield Hit(f"{where}: {CREATED} {created!r} is not RFC 3339")
    readme = meta.values.get(README_URL)
    if readme and not _URL.match(readme):
        yield Hit(f"{where}: {README_URL} {readme!r} is not an http(s) URL")
    for key in meta.inconsistent_keys:
        yield Hit(
            f"{meta.reference}: {key} differs between platform images; Artifact Hub reads "
            "only the first listed one (put it on the index or make it identical)"
        )


@rule(
    "AHP-PUB-002",
    title="optional image keys parse the way Artifact Hub parses them",
    source="artifacthub/hub internal/tracker/source/container/container.go",
    formats=PUBLISH,
)
def image_optional(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None or target.image is None:
        return
    values, ref = target.image.values, target.image.reference
    category = values.get("io.artifacthub.package.category")
    if category is not None and not _known_category(category):
        yield Hit(f"{ref}: category {category!r} is not one of {', '.join(sorted(CATEGORIES))}")
    for key in ("maintainers", "links"):
        raw = values.get(f"io.artifacthub.package.{key}")
        if raw is None:
            continue
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, list) or not all(isinstance(i, dict) for i in parsed):
            yield Hit(f"{ref}: io.artifacthub.package.{key} is not a JSON array of objects")
    for key in ("prerelease", "deprecated", "contains-security-updates"):
        raw = values.get(f"io.artifacthub.package.{key}")
        if raw is not None and raw not in GO_BOOLS:
            yield Hit(f"{ref}: io.artifacthub.package.{key} {raw!r} is not a boolean")
    logo = values.get("io.artifacthub.package.logo-url")
    if logo is not None and not _URL.match(logo):
        yield Hit(f"{ref}: io.artifacthub.package.logo-url {logo!r} is not an http(s) URL")


@rule(
    "AHP-PUB-003",
    title="licence metadata is a valid SPDX expression",
    source="artifacthub/hub docs (helm_annotations.md, container images); AH-XCHK-001",
    severity="warning",
    formats=PUBLISH,
)
def licence_valid(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None:
        return
    candidates: list[tuple[str, Any]] = []
    if target.image is not None:
        for key in ("io.artifacthub.package.license", "org.opencontainers.image.licenses"):
            if key in target.image.values:
                candidates.append((key, target.image.values[key]))
    chart = target.chart.data if target.chart and target.chart.data else None
    annotations = chart.get("annotations") if chart else None
    if isinstance(annotations, dict) and "artifacthub.io/license" in annotations:
        candidates.append(("artifacthub.io/license", annotations["artifacthub.io/license"]))
    if target.ahpkg and target.ahpkg.data and "license" in target.ahpkg.data:
        candidates.append(("artifacthub-pkg.yml license", target.ahpkg.data["license"]))
    for key, value in candidates:
        if not isinstance(value, str):
            yield Hit(f"{target.subject}: {key} is not a string")
            continue
        for problem in check_expression(value).errors:
            yield Hit(f"{target.subject}: {key} {value!r}: {problem}")


@rule(
    "AHP-PUB-004",
    title="Artifact Hub would show the image as signed (cosign tag or signature referrer)",
    source="artifacthub/hub internal/oci/oci.go (HasCosignSignature)",
    severity="error",
    params={"unsigned": "info"},
    formats=PUBLISH,
)
def image_signed(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None or target.image is None:
        return
    meta = target.image
    if meta.signature == "error":
        yield Hit(
            f"{meta.reference}: looking up signatures failed ({meta.signature_error}); "
            "Artifact Hub fails the whole tag on such an error"
        )
    elif meta.signature == "unsigned":
        yield Hit(
            f"{meta.reference}: no cosign signature tag or signature referrer; Artifact Hub "
            "will not show it as signed (SBOM attestations do not count)",
            level="unsigned",
        )
    elif meta.signature.startswith("not checked"):
        yield Hit(f"{meta.reference}: {meta.signature}", level="unsigned")


@rule(
    "AHP-PUB-005",
    title="Helm provenance beside packaged charts; signKey has a url",
    source="artifacthub/hub internal/tracker/source/helm/helm.go",
    params={"no_provenance": "warning"},
    formats=PUBLISH,
)
def chart_signing(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None:
        return
    for tgz in target.packaged_charts:
        prov = tgz.with_name(tgz.name + ".prov")
        if not prov.is_file():
            yield Hit(
                f"{tgz}: no {prov.name} beside it; not shown as signed", level="no_provenance"
            )
        elif b"PGP SIGNATURE" not in prov.read_bytes()[:1_000_000]:
            yield Hit(f"{prov}: holds no PGP SIGNATURE block")
    chart = target.chart.data if target.chart and target.chart.data else None
    annotations = chart.get("annotations") if chart else None
    if isinstance(annotations, dict) and "artifacthub.io/signKey" in annotations:
        sign_key = _yaml_value(annotations["artifacthub.io/signKey"])
        if not isinstance(sign_key, dict) or not sign_key.get("url"):
            yield Hit(f"{target.subject}: artifacthub.io/signKey needs a url")


def _strict_yaml_file(file: YamlFile | None, label: str) -> Iterator[Hit]:
    if file is not None and file.error:
        yield Hit(f"{file.path}: {file.error}")


@rule(
    "AHP-PUB-006",
    title="artifacthub-repo.yml: repositoryID a UUID, owners with name and email",
    source="artifacthub/hub internal/repo/manager.go",
    formats=PUBLISH,
)
def repo_metadata(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None or target.ahrepo is None:
        return
    yield from _strict_yaml_file(target.ahrepo, "artifacthub-repo.yml")
    data = target.ahrepo.data
    if data is None:
        return
    where = target.ahrepo.path
    unknown = set(data) - {"repositoryID", "owners", "ignore"}
    if unknown:
        yield Hit(f"{where}: unknown key(s) {sorted(unknown)}")
    repo_id = data.get("repositoryID")
    if repo_id is not None:
        try:
            uuid.UUID(str(repo_id))
        except ValueError:
            yield Hit(f"{where}: repositoryID {repo_id!r} is not a UUID")
    owners = data.get("owners")
    if owners is not None:
        if not isinstance(owners, list):
            yield Hit(f"{where}: owners must be a list")
        else:
            for owner in owners:
                email = owner.get("email") if isinstance(owner, dict) else None
                if not isinstance(email, str) or not _EMAIL.match(email):
                    yield Hit(f"{where}: owner {owner!r} needs an email")


@rule(
    "AHP-PUB-007",
    title="artifacthub-pkg.yml: known keys, semver version, required fields, valid changes",
    source="artifacthub/hub internal/pkg/metadata.go (ValidatePackageMetadata)",
    formats=PUBLISH,
)
def package_metadata(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None or target.ahpkg is None:
        return
    yield from _strict_yaml_file(target.ahpkg, "artifacthub-pkg.yml")
    data = target.ahpkg.data
    if data is None:
        return
    where = target.ahpkg.path
    unknown = set(data) - PKG_KEYS
    if unknown:
        yield Hit(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("version", "name", "displayName", "createdAt", "description"):
        if not data.get(key):
            yield Hit(f"{where}: {key} is required")
    version = data.get("version")
    if version and not _SEMVER.match(str(version)):
        yield Hit(f"{where}: version {version!r} is not semver")
    created = data.get("createdAt")
    if (
        created
        and parse_rfc3339(
            str(created) if not hasattr(created, "isoformat") else created.isoformat()
        )
        is None
    ):
        yield Hit(f"{where}: createdAt {created!r} is not RFC 3339")
    category = data.get("category")
    if category is not None and not _known_category(category):
        yield Hit(f"{where}: category {category!r} is not a known category")
    yield from _changes(data.get("changes"), where)
    yield from _people(data.get("maintainers"), where, "maintainers")
    for image in _as_list(data.get("containersImages")):
        ref = image.get("image") if isinstance(image, dict) else None
        if not isinstance(ref, str) or not _IMAGE_REF.match(ref):
            yield Hit(f"{where}: containersImages entry {ref!r} is not an image reference")
    for key in ("containsSecurityUpdates", "operator", "deprecated", "prerelease"):
        if key in data and not isinstance(data[key], bool):
            yield Hit(f"{where}: {key} must be true or false")


def _changes(changes: Any, where: str) -> Iterator[Hit]:
    if changes is None:
        return
    if not isinstance(changes, list):
        yield Hit(f"{where}: changes must be a list")
        return
    for change in changes:
        if isinstance(change, str):
            continue
        if not isinstance(change, dict):
            yield Hit(f"{where}: change {change!r} is neither a string nor a mapping")
            continue
        kind = change.get("kind")
        if kind and str(kind).lower() not in CHANGE_KINDS:
            yield Hit(f"{where}: change kind {kind!r} is not one of {sorted(CHANGE_KINDS)}")
        if not change.get("description"):
            yield Hit(f"{where}: a change has no description")
        for link in _as_list(change.get("links")):
            if not isinstance(link, dict) or not link.get("name") or not link.get("url"):
                yield Hit(f"{where}: a change link needs name and url")


def _people(people: Any, where: str, key: str) -> Iterator[Hit]:
    if people is None:
        return
    if not isinstance(people, list):
        yield Hit(f"{where}: {key} must be a list")
        return
    for person in people:
        if not isinstance(person, dict) or not person.get("name"):
            yield Hit(f"{where}: a {key} entry needs a name")
        elif "email" in person and not _EMAIL.match(str(person["email"])):
            yield Hit(f"{where}: {key} email {person['email']!r} is not an email address")


def _known_category(value: Any) -> bool:
    return isinstance(value, str) and value in CATEGORIES


def _as_list(value: Any) -> list[Any]:
    """A list as is; anything else (absent, a string, a number) as an empty list."""
    return value if isinstance(value, list) else []


def _yaml_value(raw: Any) -> Any:
    """Helm annotation values are strings holding YAML; parse one, None if it does not parse."""
    if not isinstance(raw, str):
        return raw
    try:
        return safeyaml.load(raw)
    except yaml.YAMLError:
        return _INVALID


_INVALID = object()
_LIST_ANNOTATIONS = {
    "artifacthub.io/images": ("name", "image"),
    "artifacthub.io/links": ("name", "url"),
    "artifacthub.io/maintainers": ("name",),
    "artifacthub.io/crds": ("kind", "version"),
    "artifacthub.io/recommendations": ("url",),
    "artifacthub.io/screenshots": ("title", "url"),
}


@rule(
    "AHP-PUB-008",
    title="Chart.yaml artifacthub.io/* annotations parse as Artifact Hub expects",
    source="artifacthub/hub internal/tracker/source/helm/helm.go (EnrichPackageFromAnnotations)",
    formats=PUBLISH,
)
def chart_annotations(ctx: Context, params: dict[str, Any]) -> Iterator[Hit]:
    target = _target(ctx)
    if target is None or target.chart is None:
        return
    yield from _strict_yaml_file(target.chart, "Chart.yaml")
    chart = target.chart.data
    if chart is None:
        return
    where = target.chart.path
    for key in ("name", "version"):
        if not chart.get(key):
            yield Hit(f"{where}: {key} is required")
    annotations = chart.get("annotations") or {}
    if not isinstance(annotations, dict):
        yield Hit(f"{where}: annotations must be a mapping")
        return
    for key, required in _LIST_ANNOTATIONS.items():
        if key not in annotations:
            continue
        value = _yaml_value(annotations[key])
        if not isinstance(value, list):
            yield Hit(f"{where}: {key} must be a YAML list")
            continue
        for item in value:
            if not isinstance(item, dict) or any(not item.get(field) for field in required):
                yield Hit(f"{where}: {key} entries need {', '.join(required)}")
                break
    if "artifacthub.io/changes" in annotations:
        yield from _changes(
            _yaml_value(annotations["artifacthub.io/changes"]), f"{where} artifacthub.io/changes"
        )
    for key in ("containsSecurityUpdates", "operator", "prerelease"):
        raw = annotations.get(f"artifacthub.io/{key}")
        if raw is not None and str(raw) not in GO_BOOLS:
            yield Hit(f"{where}: artifacthub.io/{key} {raw!r} is not a boolean")
    category = annotations.get("artifacthub.io/category")
    if category is not None and not _known_category(category):
        yield Hit(f"{where}: artifacthub.io/category {category!r} is not a known category")
