"""One O(N + E) pass over an SPDX 2.3 JSON document that every rule shares.

Rules must keep working on documents that fail the schema (so one run reports everything), so
every accessor here is tolerant: wrong types are skipped, never raised on. The index maps each
SPDXID to its JSON Pointer once, and relationships become adjacency lists once, so no rule ever
scans the relationship list per package (the quadratic trap spdx-tools falls into).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from supplychain.validation.pointer import join

DOCUMENT_ID = "SPDXRef-DOCUMENT"
SPECIAL_TARGETS = ("NONE", "NOASSERTION")
# The forward edges we follow from the document to decide what the SBOM actually covers.
REACH_TYPES = frozenset({"DESCRIBES", "CONTAINS", "DEPENDS_ON"})


@dataclass(frozen=True)
class Element:
    kind: str  # "package" | "file" | "snippet"
    index: int
    pointer: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Relation:
    index: int
    source: str
    type: str
    target: str

    @property
    def pointer(self) -> str:
        return join("relationships", self.index)


@dataclass
class SpdxView:
    doc: dict[str, Any]
    elements: dict[str, Element] = field(default_factory=dict)
    duplicates: list[tuple[str, Element]] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    outgoing: dict[str, list[Relation]] = field(default_factory=lambda: defaultdict(list))
    declared_refs: set[str] = field(default_factory=set)
    external_docs: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, doc: dict[str, Any]) -> SpdxView:
        view = cls(doc)
        for kind, key in (("package", "packages"), ("file", "files"), ("snippet", "snippets")):
            for index, body in indexed_dicts(doc.get(key)):
                spdx_id = body.get("SPDXID")
                if not isinstance(spdx_id, str):
                    continue
                element = Element(kind, index, join(key, index), body)
                if spdx_id in view.elements:
                    view.duplicates.append((spdx_id, element))
                else:
                    view.elements[spdx_id] = element
        for index, rel in indexed_dicts(doc.get("relationships")):
            source, rtype, target = (
                rel.get("spdxElementId"),
                rel.get("relationshipType"),
                rel.get("relatedSpdxElement"),
            )
            if isinstance(source, str) and isinstance(rtype, str) and isinstance(target, str):
                relation = Relation(index, source, rtype, target)
                view.relations.append(relation)
                view.outgoing[source].append(relation)
        for info in list_of_dicts(doc.get("hasExtractedLicensingInfos")):
            license_id = info.get("licenseId")
            if isinstance(license_id, str):
                view.declared_refs.add(license_id)
        for ref in list_of_dicts(doc.get("externalDocumentRefs")):
            ext_id = ref.get("externalDocumentId")
            if isinstance(ext_id, str):
                view.external_docs.add(ext_id)
        return view

    # --- accessors ------------------------------------------------------------------------

    def packages(self) -> Iterator[tuple[str, Element]]:
        for spdx_id, element in self.elements.items():
            if element.kind == "package":
                yield spdx_id, element

    def files(self) -> Iterator[tuple[str, Element]]:
        for spdx_id, element in self.elements.items():
            if element.kind == "file":
                yield spdx_id, element

    def described(self) -> list[Relation]:
        """The ``SPDXRef-DOCUMENT DESCRIBES X`` relationships, in document order."""
        return [r for r in self.outgoing.get(DOCUMENT_ID, []) if r.type == "DESCRIBES"]

    def root(self) -> tuple[str, Element] | None:
        """The one described package, if there is exactly one DESCRIBES to a package."""
        targets = [r.target for r in self.described()]
        packages = [t for t in targets if self.is_package(t)]
        if len(targets) == 1 and len(packages) == 1:
            return packages[0], self.elements[packages[0]]
        return None

    def is_package(self, spdx_id: str) -> bool:
        element = self.elements.get(spdx_id)
        return element is not None and element.kind == "package"

    def reachable(self, types: frozenset[str] = REACH_TYPES) -> set[str]:
        """Every SPDXID reached from the document along forward ``types`` edges (one BFS)."""
        seen = {DOCUMENT_ID}
        queue = deque([DOCUMENT_ID])
        while queue:
            node = queue.popleft()
            for rel in self.outgoing.get(node, ()):
                if rel.type in types and rel.target not in seen:
                    seen.add(rel.target)
                    queue.append(rel.target)
        return seen

    def pointer_of(self, spdx_id: str) -> str:
        element = self.elements.get(spdx_id)
        return element.pointer if element else ""


def list_of_dicts(value: Any) -> list[dict[str, Any]]:
    """The dict items of ``value`` if it is a list; anything else counts as empty."""
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def indexed_dicts(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """Like :func:`list_of_dicts` but keeps each item's index, for JSON Pointers."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def text(value: Any) -> str | None:
    """``value`` if it is a string, else None (tolerant accessor)."""
    return value if isinstance(value, str) else None
