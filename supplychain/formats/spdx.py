"""The neutral :class:`~supplychain.model.sbom.Sbom` as an SPDX 2.3 JSON document.

API (used by the image SBOM and the Go module SBOM alike)::

    from supplychain.formats.spdx import write_spdx
    data: bytes = write_spdx(sbom)                       # namespace base defaults to spdx.org
    data = write_spdx(sbom, namespace_base="https://sbom.example.com/docs")

Values that come from image metadata (homepage, download location, supplier) are checked against
the SPDX grammar (``spdx_uri``, held to spdx-tools' acceptance by a test) and dropped to
NOASSERTION when they do not fit, so hostile metadata can make a document less informative but
never invalid.

Why our own serializer: the spdx-tools writer rewrites licence strings and orders things its own
way; we need byte-identical output for the same input (SBOM.md §H), so every key is written in a
fixed order, every list sorted, and the only volatile value is ``created`` — the namespace UUID is
derived from the document's own bytes (UUIDv5, SBOM.md §F.1), so same bytes ⇒ same URI.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from supplychain import __version__
from supplychain.errors import UsageError
from supplychain.formats.spdx_uri import is_download_location, is_url
from supplychain.model.sbom import NOASSERTION, NONE, Package, Purpose, RelType, Sbom, slug

DEFAULT_NAMESPACE_BASE = "https://spdx.org/spdxdocs/supplychain"
# SPDX licence list version of the licence data we normalise with (license-expression 30.4.x).
LICENSE_LIST_VERSION = "3.27"
TOOL = f"Tool: supplychain-{__version__}"

_LICENSE_REF = re.compile(r"LicenseRef-[A-Za-z0-9.\-]+")
_PURPOSES = {
    Purpose.CONTAINER: "CONTAINER",
    Purpose.OPERATING_SYSTEM: "OPERATING_SYSTEM",
    Purpose.APPLICATION: "APPLICATION",
    Purpose.LIBRARY: "LIBRARY",
    Purpose.FRAMEWORK: "FRAMEWORK",
    Purpose.FILE: "FILE",
    Purpose.SOURCE: "SOURCE",
}


def spdx_id(ref: str) -> str:
    """The SPDXID of a package ref (refs are SPDXIDs without the prefix)."""
    if ref in (NONE, NOASSERTION):
        return ref
    return f"SPDXRef-{ref}"


def created_text(sbom: Sbom) -> str:
    """``created`` as SPDX wants it: UTC, seconds, ``Z`` (SPDX §6.9)."""
    return sbom.created.strftime("%Y-%m-%dT%H:%M:%SZ")


def check_namespace_base(base: str) -> str:
    """An https URI without ``#`` or user info (SPDX §6.5); a bad one is a usage error."""
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.netloc or "#" in base or "@" in parts.netloc:
        raise UsageError(
            "namespace base must be an https URI without '#' or user info",
            subject=base,
        )
    return base.rstrip("/")


_EMPTY_NAMESPACE = b'"documentNamespace": ""'


def document_uuid(sbom: Sbom) -> uuid.UUID:
    """UUIDv5 over the SHA-256 of the document written with an empty namespace.

    The CycloneDX writer uses it as the serial number, so both documents of one scan share it.
    """
    return _uuid_of(_render(_document(sbom, namespace="")))


def _uuid_of(body: bytes) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, hashlib.sha256(body).hexdigest())


def write_spdx(sbom: Sbom, *, namespace_base: str = DEFAULT_NAMESPACE_BASE) -> bytes:
    """The SPDX 2.3 JSON bytes of ``sbom`` (UTF-8, 2-space indent, final newline)."""
    base = check_namespace_base(namespace_base)
    # Rendered once: the namespace is the only difference between the hashed form and the
    # output, and its key/value text cannot occur elsewhere (strings inside are escaped).
    body = _render(_document(sbom, namespace=""))
    namespace = f"{base}/{slug(sbom.name, 80)}-{_uuid_of(body)}"
    filled = json.dumps({"documentNamespace": namespace}, ensure_ascii=False)[1:-1]
    return body.replace(_EMPTY_NAMESPACE, filled.encode("utf-8"), 1)


def _render(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _document(sbom: Sbom, *, namespace: str) -> dict[str, Any]:
    created = created_text(sbom)
    creators = [TOOL, *sorted(c for c in set(sbom.creators) if c != TOOL)]
    doc: dict[str, Any] = {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": " ".join(sbom.name.split()) or "unnamed",
        "documentNamespace": namespace,
        "creationInfo": {
            "created": created,
            "creators": creators,
            "licenseListVersion": LICENSE_LIST_VERSION,
        },
    }
    if sbom.properties:
        doc["comment"] = "; ".join(f"{k}={v}" for k, v in sbom.properties)
    doc["packages"] = [_package(pkg, created) for pkg in sbom.packages]
    extracted = _extracted_licenses(sbom)
    if extracted:
        doc["hasExtractedLicensingInfos"] = extracted
    doc["relationships"] = _relationships(sbom)
    return doc


def _package(pkg: Package, created: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": pkg.name, "SPDXID": spdx_id(pkg.ref)}
    if pkg.version:
        out["versionInfo"] = pkg.version
    out["supplier"] = _actor(pkg.supplier)
    out["downloadLocation"] = (
        pkg.download_location
        if pkg.download_location and is_download_location(pkg.download_location)
        else NOASSERTION
    )
    out["filesAnalyzed"] = False
    if pkg.homepage and is_url(pkg.homepage):
        out["homepage"] = pkg.homepage
    if pkg.checksums:
        out["checksums"] = [
            {"algorithm": c.algorithm, "checksumValue": c.value} for c in sorted(pkg.checksums)
        ]
    out["licenseConcluded"] = NOASSERTION
    out["licenseDeclared"] = pkg.license_declared or NOASSERTION
    out["copyrightText"] = pkg.copyright_text or NOASSERTION
    if pkg.summary:
        out["summary"] = " ".join(pkg.summary.split())
    refs: list[dict[str, str]] = []
    if pkg.purl:
        refs.append(
            {
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": pkg.purl,
            }
        )
    for cpe in sorted(pkg.cpes):
        refs.append(
            {"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": cpe}
        )
    if refs:
        out["externalRefs"] = refs
    if pkg.purpose is not None:
        out["primaryPackagePurpose"] = _PURPOSES[pkg.purpose]
    if pkg.properties:
        out["annotations"] = [
            {
                "annotationDate": created,
                "annotationType": "OTHER",
                "annotator": TOOL,
                "comment": f"{key}={value}",
            }
            for key, value in sorted(set(pkg.properties))
        ]
    return out


def _actor(text: str | None) -> str:
    """A supplier the SPDX grammar accepts (``Person:``/``Organization:`` + one line), else
    NOASSERTION: metadata is image data and must not make the document invalid."""
    if not text or "\n" in text or "\r" in text:
        return NOASSERTION
    kind, _, name = text.partition(":")
    if kind not in ("Person", "Organization") or not name.strip():
        return NOASSERTION
    return text


def _extracted_licenses(sbom: Sbom) -> list[dict[str, str]]:
    """Every ``LicenseRef-`` a package uses, with its text; one we were not given gets its
    own id as text, so the document never references an undefined licence (SPDX §10)."""
    known = {lic.license_id: lic for lic in sbom.extracted_licenses}
    used: set[str] = set()
    for pkg in sbom.packages:
        if pkg.license_declared:
            used.update(_LICENSE_REF.findall(pkg.license_declared))
    out = []
    for license_id in sorted(used | set(known)):
        lic = known.get(license_id)
        entry = {"licenseId": license_id, "extractedText": (lic.text if lic else "") or license_id}
        if lic is not None and lic.name:
            entry["name"] = lic.name
        out.append(entry)
    return out


def _relationships(sbom: Sbom) -> list[dict[str, str]]:
    """DESCRIBES first, then the rest sorted; ``A DEPENDS_ON NONE`` is dropped when A has a
    real edge of the same type (it would contradict it)."""
    rows = [("SPDXRef-DOCUMENT", "DESCRIBES", spdx_id(sbom.root))]
    seen = set(rows)
    rest = set()
    has_real = {
        (r.source, r.type) for r in sbom.relationships if r.target not in (NONE, NOASSERTION)
    }
    for rel in sbom.relationships:
        if rel.source == rel.target or rel.source in (NONE, NOASSERTION):
            continue
        if rel.target == NONE and (rel.source, rel.type) in has_real:
            continue
        row = (spdx_id(rel.source), RelType(rel.type).value, spdx_id(rel.target))
        if row not in seen:
            rest.add(row)
    return [
        {"spdxElementId": a, "relationshipType": t, "relatedSpdxElement": b}
        for a, t, b in rows + sorted(rest)
    ]
