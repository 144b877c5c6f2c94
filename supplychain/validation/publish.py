"""What Artifact Hub would read when it indexes an image or a chart directory.

`supplychain validate artifacthub IMAGE|DIR` collects it here once (files parsed, registry
metadata fetched and digest-checked through supplychain.oci), and the AHP-PUB rules judge it.
The selection logic mirrors artifacthub/hub internal/tracker/source/container/container.go:
index annotations win if they hold any required key; otherwise the first listed platform
image's manifest annotations (if they hold any required key), else its config labels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from supplychain._internal.fileio import read_bounded
from supplychain.errors import Error, InvalidInputError, UsageError
from supplychain.validation import safeyaml
from supplychain.validation.artifact import ArtifactFacts

MAX_META_BYTES = 1024 * 1024
CREATED = "org.opencontainers.image.created"
DESCRIPTION = "org.opencontainers.image.description"
README_URL = "io.artifacthub.package.readme-url"
REQUIRED_IMAGE_KEYS = (CREATED, DESCRIPTION, README_URL)
LICENSE_KEYS = ("io.artifacthub.package.license", "org.opencontainers.image.licenses")
COSIGN_SIGNATURE_TYPE = "application/vnd.dev.cosign.artifact.sig.v1+json"
BUNDLE_PREDICATE_KEY = "dev.sigstore.bundle.predicateType"
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"


@dataclass
class YamlFile:
    path: str
    data: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class ImageMeta:
    """Image metadata as Artifact Hub would select it, plus how it got there."""

    reference: str
    digest: str
    tag: str | None
    repository_name: str
    source: str  # "index annotations" | "manifest annotations" | "config labels" | "none"
    values: dict[str, str] = field(default_factory=dict)
    inconsistent_keys: list[str] = field(default_factory=list)
    signature: str = "not checked"  # "cosign tag" | "cosign referrer" | "bundle referrer" | …
    signature_error: str | None = None


@dataclass
class PublishTarget:
    subject: str
    kind: str  # "dir" | "image"
    chart: YamlFile | None = None
    ahpkg: YamlFile | None = None
    ahrepo: YamlFile | None = None
    packaged_charts: list[Path] = field(default_factory=list)
    image: ImageMeta | None = None


def _read_yaml(path: Path) -> YamlFile:
    result = YamlFile(str(path))
    try:
        data = safeyaml.load(read_bounded(path, limit=MAX_META_BYTES, what=str(path)))
    except yaml.YAMLError as exc:
        result.error = f"not valid YAML: {str(exc).splitlines()[0]}"
        return result
    except Error as exc:
        result.error = exc.message
        return result
    if not isinstance(data, dict):
        result.error = "expected a YAML mapping"
    else:
        result.data = data
    return result


def dir_target(path: Path) -> PublishTarget:
    """A chart directory, or a directory holding artifacthub-pkg.yml / artifacthub-repo.yml."""
    target = PublishTarget(subject=str(path), kind="dir")
    for name in ("Chart.yaml",):
        if (path / name).is_file():
            target.chart = _read_yaml(path / name)
    for stem, attribute in (("artifacthub-pkg", "ahpkg"), ("artifacthub-repo", "ahrepo")):
        for suffix in (".yml", ".yaml"):
            if (path / f"{stem}{suffix}").is_file():
                setattr(target, attribute, _read_yaml(path / f"{stem}{suffix}"))
                break
    target.packaged_charts = sorted(path.glob("*.tgz"))
    if not (target.chart or target.ahpkg or target.ahrepo or target.packaged_charts):
        raise InvalidInputError(
            "nothing Artifact Hub would read here (no Chart.yaml, artifacthub-pkg.yml, "
            "artifacthub-repo.yml or packaged chart)",
            subject=str(path),
        )
    return target


def image_target(reference: str, *, insecure_registries: tuple[str, ...] = ()) -> PublishTarget:
    """Fetch (digest-checked) what AH reads from an image: see the module docstring."""
    meta = read_image_meta(reference, insecure_registries=insecure_registries, signatures=True)
    return PublishTarget(subject=reference, kind="image", image=meta)


def read_image_meta(
    reference: str, *, insecure_registries: tuple[str, ...] = (), signatures: bool = False
) -> ImageMeta:
    from supplychain.oci.platform import PlatformSelection
    from supplychain.oci.source import open_image_source

    with open_image_source(reference, insecure_registries=insecure_registries) as source:
        digest = str(source.digest)
        repository = getattr(source, "repository", None) or source.display
        name = repository.rstrip("/").rsplit("/", 1)[-1]
        meta = ImageMeta(
            reference=reference,
            digest=digest,
            tag=source.tag,
            repository_name=name.split(":", 1)[0],
            source="none",
        )
        top = source.top
        index_annotations = dict(getattr(top, "annotations", {}) or {}) if source.is_index else {}
        images = [i for i in source.images(PlatformSelection.all()) if i.platform.os != "unknown"]
        per_image: list[tuple[str, dict[str, str]]] = []
        for image in images:
            annotations = dict(image.manifest.annotations)
            if any(key in annotations for key in REQUIRED_IMAGE_KEYS):
                per_image.append(("manifest annotations", annotations))
            else:
                config = image.config.document.get("config")
                labels = config.get("Labels") if isinstance(config, dict) else None
                labels = labels if isinstance(labels, dict) else {}
                clean = {k: v for k, v in labels.items() if isinstance(v, str)}
                per_image.append(("config labels", clean))
        if any(key in index_annotations for key in REQUIRED_IMAGE_KEYS):
            meta.source, meta.values = "index annotations", index_annotations
        elif per_image:
            meta.source, meta.values = per_image[0]
            ah_keys = {k for _, values in per_image for k in values if _is_ah_key(k)}
            meta.inconsistent_keys = sorted(
                k for k in ah_keys if len({values.get(k) for _, values in per_image}) > 1
            )
        if signatures:
            _detect_signature(source, meta)
    return meta


def _is_ah_key(key: str) -> bool:
    return key.startswith(("io.artifacthub.", "org.opencontainers.image."))


def _detect_signature(source: Any, meta: ImageMeta) -> None:
    """Would Artifact Hub show the image as signed? (artifacthub/hub internal/oci/oci.go)."""
    client = getattr(source, "client", None)
    if client is None:
        meta.signature = "not checked: signatures are looked up in a registry only"
        return
    try:
        tag = meta.digest.replace(":", "-") + ".sig"
        if tag in client.list_tags(source.repository):
            meta.signature = "cosign tag"
            return
        for descriptor in source.referrers() or []:
            annotations = descriptor.annotations or {}
            if descriptor.artifact_type == COSIGN_SIGNATURE_TYPE:
                meta.signature = "cosign referrer"
                return
            if annotations.get(BUNDLE_PREDICATE_KEY) == COSIGN_SIGN_PREDICATE:
                meta.signature = "bundle referrer"
                return
        meta.signature = "unsigned"
    except Error as exc:
        meta.signature = "error"
        meta.signature_error = exc.diagnostics()


def image_facts(reference: str, *, insecure_registries: tuple[str, ...] = ()) -> ArtifactFacts:
    """`--artifact IMAGE`: the AH metadata of an image for the AH-XCHK cross-checks."""
    meta = read_image_meta(reference, insecure_registries=insecure_registries)
    license_key = next((k for k in LICENSE_KEYS if k in meta.values), LICENSE_KEYS[0])
    return ArtifactFacts(
        kind="image",
        subject=reference,
        name=meta.repository_name,
        version=meta.tag,
        license=meta.values.get(license_key),
        license_key=license_key,
        sha256=meta.digest.split(":", 1)[1] if ":" in meta.digest else None,
        created=parse_rfc3339(meta.values.get(CREATED)),
    )


def parse_rfc3339(value: str | None) -> dt.datetime | None:
    """Go's time.RFC3339 accepts an offset or Z and optional fractions; so do we."""
    if not value or "T" not in value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def target_for(argument: str, *, insecure_registries: tuple[str, ...] = ()) -> PublishTarget:
    path = Path(argument)
    if path.is_dir():
        return dir_target(path)
    if path.exists():
        raise UsageError("expected a directory or an image reference", subject=argument)
    return image_target(argument, insecure_registries=insecure_registries)
