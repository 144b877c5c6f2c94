"""The neutral :class:`~supplychain.model.sbom.Sbom` as a CycloneDX 1.6 JSON document.

API (used by the image SBOM and the Go module SBOM alike)::

    from supplychain.formats.cyclonedx import write_cyclonedx
    data: bytes = write_cyclonedx(sbom)

Built with cyclonedx-python-lib (its model, serializer and schema knowledge) so the document is
what the reference library would write; two things it cannot express are added to its JSON
output afterwards: ``compositions`` (unknown dependency edges, SBOM.md §G) and our canonical purl
strings (the library re-renders purls and leaves ``/`` raw in qualifier values, SBOM.md §D).
bom-refs are the SPDXIDs without ``SPDXRef-`` so a component can be found in both documents, and
the serial number is the SPDX document's UUIDv5, so the same input gives the same bytes (§H).
"""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

from cyclonedx.exception import CycloneDxException
from cyclonedx.model import (
    ExternalReference,
    ExternalReferenceType,
    HashAlgorithm,
    HashType,
    Property,
    XsUri,
)
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.contact import OrganizationalEntity
from cyclonedx.model.license import LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from supplychain import __version__
from supplychain.errors import InvalidInputError
from supplychain.formats.spdx import document_uuid
from supplychain.model.sbom import NOASSERTION, NONE, Package, Purpose, RelType, Sbom

_TYPES = {
    Purpose.CONTAINER: ComponentType.CONTAINER,
    Purpose.OPERATING_SYSTEM: ComponentType.OPERATING_SYSTEM,
    Purpose.APPLICATION: ComponentType.APPLICATION,
    Purpose.FRAMEWORK: ComponentType.FRAMEWORK,
    Purpose.FILE: ComponentType.FILE,
    Purpose.LIBRARY: ComponentType.LIBRARY,
    # CycloneDX has no "source" type; what a source tree builds is an application.
    Purpose.SOURCE: ComponentType.APPLICATION,
}
_HASHES = {
    "SHA1": HashAlgorithm.SHA_1,
    "SHA256": HashAlgorithm.SHA_256,
    "SHA384": HashAlgorithm.SHA_384,
    "SHA512": HashAlgorithm.SHA_512,
}
TOOL_REF = "supplychain-tool"
# An absolute URL without whitespace, controls or characters an IRI reference forbids; metadata
# values that are not are left out rather than making the document fail its schema.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"{}|\\^`\x00-\x1f\x7f]+")


def write_cyclonedx(sbom: Sbom) -> bytes:
    """The CycloneDX 1.6 JSON bytes of ``sbom`` (UTF-8, 2-space indent, final newline)."""
    components = {pkg.ref: _component(pkg) for pkg in sbom.packages}
    root = components[sbom.root]
    bom = Bom(
        serial_number=document_uuid(sbom),
        metadata=BomMetaData(
            timestamp=sbom.created,
            component=root,
            tools=ToolRepository(
                components=[
                    Component(
                        type=ComponentType.APPLICATION,
                        name="supplychain",
                        version=__version__,
                        bom_ref=BomRef(TOOL_REF),
                    )
                ]
            ),
            properties=[Property(name=k, value=v) for k, v in sbom.properties],
        ),
        components=[c for ref, c in sorted(components.items()) if ref != sbom.root],
    )
    children: dict[str, set[str]] = {ref: set() for ref in components}
    unknown: set[str] = set()
    for rel in sbom.relationships:
        if rel.type != RelType.DEPENDS_ON or rel.source not in components:
            continue
        if rel.target == NOASSERTION:
            unknown.add(rel.source)
        elif rel.target != NONE and rel.target in components:
            children[rel.source].add(rel.target)
    for ref in sorted(children):
        bom.register_dependency(components[ref], [components[c] for c in sorted(children[ref])])
    with warnings.catch_warnings():
        # The library warns about things we decide on purpose (e.g. refs it did not generate).
        warnings.simplefilter("ignore")
        text = JsonV1Dot6(bom).output_as_string(indent=2)
    doc = json.loads(text)
    _restore_purls(doc, {pkg.ref: pkg.purl for pkg in sbom.packages if pkg.purl})
    doc["compositions"] = _compositions(sbom, unknown)
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def validate_cyclonedx(data: bytes) -> None:
    """Raise ``InvalidInputError`` unless ``data`` passes the CycloneDX 1.6 JSON schema.

    The validator (jsonschema and the bundled schemas) is imported here, not at module top:
    it costs over a second that writing a document does not need."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(data.decode("utf-8"))
    if error is not None:
        raise InvalidInputError(f"not valid CycloneDX 1.6: {error}", subject="cyclonedx")


def _component(pkg: Package) -> Component:
    purl = None
    if pkg.purl:
        try:
            purl = PackageURL.from_string(pkg.purl)
        except ValueError:
            purl = None
    refs = []
    for url, kind in (
        (pkg.homepage, ExternalReferenceType.WEBSITE),
        (pkg.download_location, ExternalReferenceType.DISTRIBUTION),
    ):
        if url and url not in (NONE, NOASSERTION) and _IRI.fullmatch(url):
            try:
                refs.append(ExternalReference(type=kind, url=XsUri(url)))
            except (CycloneDxException, ValueError):
                continue
    return Component(
        name=pkg.name,
        version=pkg.version,
        type=_TYPES.get(pkg.purpose, ComponentType.LIBRARY)
        if pkg.purpose
        else ComponentType.LIBRARY,
        bom_ref=BomRef(pkg.ref),
        supplier=_supplier(pkg.supplier),
        licenses=[LicenseExpression(pkg.license_declared)]
        if pkg.license_declared and pkg.license_declared not in (NONE, NOASSERTION)
        else None,
        copyright=pkg.copyright_text
        if pkg.copyright_text and pkg.copyright_text not in (NONE, NOASSERTION)
        else None,
        description=" ".join(pkg.summary.split()) if pkg.summary else None,
        hashes=[
            HashType(alg=_HASHES[c.algorithm], content=c.value)
            for c in pkg.checksums
            if c.algorithm in _HASHES
        ],
        purl=purl,
        cpe=pkg.cpes[0] if pkg.cpes else None,
        external_references=refs,
        properties=[Property(name=k, value=v) for k, v in sorted(set(pkg.properties))],
    )


def _supplier(text: str | None) -> OrganizationalEntity | None:
    """``Organization: X (mail)`` / ``Person: Y`` → an entity named X / Y (mail dropped)."""
    if not text or text in (NONE, NOASSERTION):
        return None
    _, _, name = text.partition(":")
    name = name.strip()
    if name.endswith(")") and "(" in name:
        name = name[: name.rindex("(")].strip()
    return OrganizationalEntity(name=name or text)


def _restore_purls(doc: dict[str, Any], purls: dict[str, str]) -> None:
    component = doc.get("metadata", {}).get("component")
    for comp in [*(doc.get("components") or []), *([component] if component else [])]:
        ref = comp.get("bom-ref")
        if ref in purls and "purl" in comp:
            comp["purl"] = purls[ref]


def _compositions(sbom: Sbom, unknown: set[str]) -> list[dict[str, Any]]:
    """Root ``complete`` when every edge is known, else ``incomplete``; refs whose edges are
    unknown (SPDX ``DEPENDS_ON NOASSERTION``) listed as ``unknown``."""
    incomplete = bool(unknown) or ("supplychain:composition", "incomplete") in sbom.properties
    out: list[dict[str, Any]] = [
        {"aggregate": "incomplete" if incomplete else "complete", "assemblies": [sbom.root]}
    ]
    if unknown:
        out.append({"aggregate": "unknown", "dependencies": sorted(unknown)})
    return out
