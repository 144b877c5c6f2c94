"""Catalogue results of a whole image, kept beside the layer cache: a warm scan skips the work.

The layer cache keeps what was *captured* from each layer, so a warm scan still rebuilds the
squashed view and re-runs every cataloger (~0.25 s of a 0.45 s warm run on the benchmark image,
where Trivy, which caches analysis results, needs 0.11 s). The squashed view — and so what the
catalogers find in it — is a pure function of the ordered layers, the catalogers' versions and
the capture limit. The key names each layer by its blob digest *and* diff_id, as the layer cache
does, so a hit stands for layers that were verified to decompress to those diff_ids; a config
cannot borrow results for other bytes by claiming their diff_ids.

Value: ``views/<k[:2]>/<k>.json.gz``, gzip of one JSON object carrying the key, the schema, the
packages, edges, licences, document properties, the OS package ref and the findings (those that
concern the image, already filtered). Written atomically; a damaged entry or one whose key or
schema does not match is a miss (and deleted unless read-only). At most ``MAX_ENTRIES`` entries,
least recently used evicted; they are small (tens of KiB).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supplychain import __version__
from supplychain._internal.fileio import atomic_write_bytes
from supplychain._internal.strictjson import loads as strict_loads
from supplychain.catalog.base import CatalogResult, Finding
from supplychain.catalog.layers.limits import LayerLimits
from supplychain.errors import Error
from supplychain.model import Digest
from supplychain.model.sbom import (
    Checksum,
    ExtractedLicense,
    Package,
    Purpose,
    Relationship,
    RelType,
)

SCHEMA = 1  # bump when catalog_view, the OS join or layer attribution change what they produce
MAX_ENTRIES = 1000
MAX_ENTRY_BYTES = 256 * 1024 * 1024


@dataclass
class CachedCatalog:
    """What the SBOM needs from one image's catalogue (``Catalog`` minus the view)."""

    result: CatalogResult
    os_ref: str | None
    findings: list[Finding]


def view_key(
    layers: Sequence[tuple[Digest, Digest]], versions: Mapping[str, str], limits: LayerLimits
) -> str:
    """sha256 of canonical JSON: ``[(blob, diff_id), …]`` base first, versions, capture limit."""
    material = {
        "layers": [[str(blob), str(diff_id)] for blob, diff_id in layers],
        "catalogers": dict(sorted(versions.items())),
        "capture_limit": limits.spool,
        "schema": SCHEMA,
        "tool": __version__,  # the join, OS detection and layer attribution live outside catalogers
    }
    canonical = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ViewCache:
    """See the module docstring. ``readonly`` serves hits and never writes, touches or evicts."""

    def __init__(self, root: str | os.PathLike[str], *, readonly: bool = False) -> None:
        self.directory = Path(root) / "views"
        self.readonly = readonly

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json.gz"

    def get(self, key: str) -> CachedCatalog | None:
        path = self.path_for(key)
        try:
            with gzip.open(path, "rb") as handle:
                raw = handle.read(MAX_ENTRY_BYTES + 1)  # bounded: a damaged entry is no bomb
        except FileNotFoundError:
            return None
        except (OSError, EOFError, zlib.error):
            self._drop(path)
            return None
        try:
            doc = strict_loads(raw, what=str(path), max_bytes=MAX_ENTRY_BYTES)
            if not isinstance(doc, dict):
                raise TypeError("not an object")
            if doc.get("key") != key or doc.get("schema") != SCHEMA:
                raise ValueError("entry for another key or schema")
            cached = _decode(doc)
        except (Error, ValueError, KeyError, TypeError, AttributeError):
            self._drop(path)
            return None
        if not self.readonly:  # LRU: a hit is a use
            with contextlib.suppress(OSError):
                os.utime(path)
        return cached

    def put(self, key: str, cached: CachedCatalog) -> None:
        if self.readonly:
            return
        doc = {"key": key, "schema": SCHEMA, **_encode(cached)}
        data = gzip.compress(
            json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            compresslevel=6,
            mtime=0,
        )
        path = self.path_for(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, data)
        except (OSError, Error):
            return  # a cache that cannot be written is only a slower next scan
        self._evict()

    def _drop(self, path: Path) -> None:
        if not self.readonly:
            with contextlib.suppress(OSError):
                path.unlink()

    def _evict(self) -> None:
        entries: list[tuple[float, Path]] = []
        for path in self.directory.glob("*/*.json.gz"):
            with contextlib.suppress(OSError):
                entries.append((path.stat().st_mtime, path))
        for _, path in sorted(entries)[: max(0, len(entries) - MAX_ENTRIES)]:
            with contextlib.suppress(OSError):
                path.unlink()


def _encode(cached: CachedCatalog) -> dict[str, Any]:
    result = cached.result
    return {
        "packages": [_package(p) for p in result.packages],
        "relationships": [[r.source, r.type.value, r.target] for r in result.relationships],
        "licenses": [[x.license_id, x.text, x.name] for x in result.licenses],
        "properties": sorted([k, v] for k, v in result.properties),
        "os_ref": cached.os_ref,
        "findings": [[f.code, f.subject, f.message] for f in cached.findings],
    }


def _package(pkg: Package) -> dict[str, Any]:
    return {
        "ref": pkg.ref,
        "name": pkg.name,
        "version": pkg.version,
        "purl": pkg.purl,
        "kind": pkg.kind,
        "purpose": pkg.purpose.value if pkg.purpose is not None else None,
        "supplier": pkg.supplier,
        "license_declared": pkg.license_declared,
        "copyright_text": pkg.copyright_text,
        "download_location": pkg.download_location,
        "homepage": pkg.homepage,
        "summary": pkg.summary,
        "checksums": [[c.algorithm, c.value] for c in pkg.checksums],
        "cpes": list(pkg.cpes),
        "properties": [[k, v] for k, v in pkg.properties],
    }


def _optional(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError("expected a string or null")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    raise TypeError("expected a string")


def _pairs(value: object) -> list[tuple[str, str]]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    out = []
    for item in value:
        first, second = item
        out.append((_text(first), _text(second)))
    return out


def _decode_package(item: dict[str, Any]) -> Package:
    purpose = _optional(item["purpose"])
    return Package(
        ref=_text(item["ref"]),
        name=_text(item["name"]),
        version=_optional(item["version"]),
        purl=_optional(item["purl"]),
        kind=_text(item["kind"]),
        purpose=Purpose(purpose) if purpose is not None else None,
        supplier=_optional(item["supplier"]),
        license_declared=_optional(item["license_declared"]),
        copyright_text=_optional(item["copyright_text"]),
        download_location=_optional(item["download_location"]),
        homepage=_optional(item["homepage"]),
        summary=_optional(item["summary"]),
        checksums=tuple(Checksum(a, v) for a, v in _pairs(item["checksums"])),
        cpes=tuple(_text(c) for c in item["cpes"]),
        properties=tuple(_pairs(item["properties"])),
    )


def _decode(doc: dict[str, Any]) -> CachedCatalog:
    result = CatalogResult()
    result.packages = [_decode_package(p) for p in doc["packages"]]
    for source, kind, target in doc["relationships"]:
        result.relationships.append(Relationship(_text(source), RelType(kind), _text(target)))
    for license_id, text, name in doc["licenses"]:
        result.licenses.append(ExtractedLicense(_text(license_id), _text(text), _text(name)))
    result.properties = set(_pairs(doc["properties"]))
    findings = [Finding(_text(c), _text(s), _text(m)) for c, s, m in doc["findings"]]
    return CachedCatalog(result, _optional(doc["os_ref"]), findings)
