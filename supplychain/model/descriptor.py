"""OCI descriptors and platforms as values.

The size and digest in a descriptor are the bounds every fetch is checked against; annotations
and artifact types are hints only (docs/security.md, class K).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from supplychain.errors import InvalidInputError
from supplychain.model.digest import Digest


@dataclass(frozen=True, order=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""
    os_version: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``os/arch[/variant]``, e.g. ``linux/arm64/v8``."""
        parts = text.split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidInputError(
                "expected OS/ARCH[/VARIANT], e.g. linux/amd64", subject=f"platform {text!r}"
            )
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else "")

    @classmethod
    def from_json(cls, obj: Any) -> Platform:
        if not isinstance(obj, dict):
            raise InvalidInputError("platform must be an object", subject="descriptor")
        os_name = obj.get("os")
        arch = obj.get("architecture")
        if not isinstance(os_name, str) or not isinstance(arch, str):
            raise InvalidInputError(
                "platform needs os and architecture strings", subject="descriptor"
            )
        variant = obj.get("variant", "")
        os_version = obj.get("os.version", "")
        if not isinstance(variant, str) or not isinstance(os_version, str):
            raise InvalidInputError(
                "platform variant/os.version must be strings", subject="descriptor"
            )
        return cls(os_name, arch, variant, os_version)

    def to_json(self) -> dict[str, str]:
        out = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            out["variant"] = self.variant
        if self.os_version:
            out["os.version"] = self.os_version
        return out

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: Digest
    size: int
    annotations: Mapping[str, str] = field(default_factory=dict)
    platform: Platform | None = None
    artifact_type: str | None = None
    urls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise InvalidInputError(
                "descriptor size must be a non-negative integer", subject=str(self.digest)
            )

    @classmethod
    def from_json(cls, obj: Any) -> Descriptor:
        if not isinstance(obj, dict):
            raise InvalidInputError("descriptor must be a JSON object", subject="descriptor")
        media_type = obj.get("mediaType")
        if not isinstance(media_type, str) or not media_type:
            raise InvalidInputError("descriptor has no mediaType", subject="descriptor")
        digest_text = obj.get("digest")
        if not isinstance(digest_text, str):
            raise InvalidInputError("descriptor has no digest", subject="descriptor")
        size = obj.get("size")
        if isinstance(size, bool) or not isinstance(size, int):
            raise InvalidInputError("descriptor size must be an integer", subject=digest_text[:80])
        annotations = obj.get("annotations") or {}
        if not isinstance(annotations, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in annotations.items()
        ):
            raise InvalidInputError(
                "annotations must map strings to strings", subject=digest_text[:80]
            )
        platform = Platform.from_json(obj["platform"]) if "platform" in obj else None
        artifact_type = obj.get("artifactType")
        if artifact_type is not None and not isinstance(artifact_type, str):
            raise InvalidInputError("artifactType must be a string", subject=digest_text[:80])
        urls = obj.get("urls") or []
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise InvalidInputError("urls must be a list of strings", subject=digest_text[:80])
        return cls(
            media_type=media_type,
            digest=Digest.parse(digest_text),
            size=size,
            annotations=dict(annotations),
            platform=platform,
            artifact_type=artifact_type,
            urls=tuple(urls),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": str(self.digest),
            "size": self.size,
        }
        if self.artifact_type:
            out["artifactType"] = self.artifact_type
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        if self.platform is not None:
            out["platform"] = self.platform.to_json()
        if self.urls:
            out["urls"] = list(self.urls)
        return out
