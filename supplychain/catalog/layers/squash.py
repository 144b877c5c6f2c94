"""The squashed, read-only view of an image: layer indexes folded bottom to top.

OCI image-spec ``layer.md`` semantics (SBOM.md §B.2): for each layer, its opaque directories
and whiteouts first remove entries of the layers *below* (never of the same layer, whatever the
tar order), then its entries are laid over: a directory merges with a directory, anything else
replaces what was there (a file replacing a directory drops the subtree). Each node remembers
the layer that wrote it, which is what package attribution reads (``layer_of``).

Placement and lookups resolve symlinks with container semantics inside this tree only: an
absolute target starts at the image root, ``..`` stops at the root, at most 40 hops. The tree
holds facts, not bytes; contents exist only for members captured while streaming.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import BinaryIO

from supplychain._internal.tarstream import Kind
from supplychain.catalog.base import Finding
from supplychain.catalog.fileview import (
    MAX_LINK_HOPS,
    PARSE_LIMIT,
    LayerRef,
    basename,
    glob_match,
    join,
    normalize,
    parent,
)
from supplychain.catalog.layers.index import Content, LayerIndex, Record
from supplychain.errors import LimitExceededError, UnsupportedError


class Node:
    __slots__ = ("children", "content", "kind", "layer", "link", "mode", "size")

    def __init__(
        self,
        kind: Kind,
        layer: int,
        *,
        mode: int = 0,
        size: int = 0,
        link: str = "",
        content: Content | None = None,
    ) -> None:
        self.kind = kind
        self.layer = layer
        self.mode = mode
        self.size = size
        self.link = link
        self.content = content
        self.children: dict[str, Node] | None = {} if kind is Kind.DIR else None


class SquashedView:
    """A :class:`~supplychain.catalog.fileview.FileView` over an image's layers."""

    def __init__(self, layers: Sequence[tuple[str, LayerIndex]]) -> None:
        """``layers``: ``(diff_id, index)`` base layer first."""
        self._root = Node(Kind.DIR, -1)
        self._diff_ids = [diff_id for diff_id, _ in layers]
        self.findings: list[Finding] = []
        # Files a cataloger tried to read although nobody captured them (probing by content):
        # the pipeline drops the cataloger's complaints about these, see image_sbom.
        self.not_captured: set[str] = set()
        for number, (_, index) in enumerate(layers):
            self._apply(number, index)

    # building -----------------------------------------------------------------------------

    def _apply(self, number: int, index: LayerIndex) -> None:
        for directory in sorted(index.opaque):
            node = self._lookup(self._resolve(directory) or "") if directory else self._root
            if node is not None and node.children is not None:
                node.children.clear()
        for path in sorted(index.whiteouts):
            home = self._resolve(parent(path))
            if home is None:
                continue
            holder = self._lookup(home)
            if holder is not None and holder.children is not None:
                holder.children.pop(basename(path), None)
        for path, record in index.records.items():
            self._place(number, path, record)

    def _place(self, number: int, path: str, record: Record) -> None:
        holder = self._directory_for(number, parent(path))
        if holder is None or holder.children is None:
            self._note("sbom.layer.unplaceable", number, path, "parent is a dangling symlink")
            return
        name = basename(path)
        existing = holder.children.get(name)
        if record.kind is Kind.DIR:
            if existing is not None and existing.kind is Kind.DIR:
                existing.mode = record.mode
                existing.layer = number  # the directory entry was written again here
                return
            holder.children[name] = Node(Kind.DIR, number, mode=record.mode)
            return
        if record.kind is Kind.HARDLINK:
            target = self._entry(record.link)
            if target is None or target.kind is Kind.DIR:
                self._note(
                    "sbom.layer.hardlink-dangling",
                    number,
                    path,
                    f"hard link to {record.link!r}, which is not an earlier entry; skipped",
                )
                return
            holder.children[name] = Node(
                target.kind,
                number,
                mode=target.mode,
                size=target.size,
                link=target.link,
                content=record.content or target.content,
            )
            return
        holder.children[name] = Node(
            record.kind,
            number,
            mode=record.mode,
            size=record.size,
            link=record.link,
            content=record.content,
        )

    def _directory_for(self, number: int, path: str) -> Node | None:
        """The directory node ``path`` names, created (implicitly) where missing.

        Symlinked parents are followed inside the root, as a runtime applying the layer does
        (``lib/x`` under ``lib -> usr/lib`` lands in ``usr/lib/x``).
        """
        node = self._root
        done: list[str] = []
        for part in path.split("/") if path else []:
            children = node.children
            assert children is not None
            child = children.get(part)
            if child is not None and child.kind is Kind.SYMLINK:
                resolved = self._resolve("/".join([*done, part]))
                target = self._lookup(resolved) if resolved is not None else None
                if target is None or target.kind is not Kind.DIR:
                    return None
                node, done = target, (resolved.split("/") if resolved else [])
                continue
            if child is None or child.kind is not Kind.DIR:
                child = Node(Kind.DIR, number)
                children[part] = child  # a file in the way is replaced (OCI changeset)
            node = child
            done.append(part)
        return node

    def _note(self, code: str, number: int, path: str, message: str) -> None:
        self.findings.append(Finding(code, f"layer {number} {path}", message))

    # lookups ------------------------------------------------------------------------------

    def _lookup(self, canonical: str) -> Node | None:
        """The node at a canonical (symlink-free) path, no links followed."""
        node = self._root
        for part in canonical.split("/") if canonical else []:
            if node.children is None:
                return None
            child = node.children.get(part)
            if child is None:
                return None
            node = child
        return node

    def _resolve(self, path: str, *, follow_last: bool = True) -> str | None:
        """The canonical path ``path`` names, or ``None`` when it dangles, loops or escapes."""
        text = normalize(path)
        pending = text.split("/") if text else []
        done: list[str] = []
        node = self._root
        hops = 0
        while pending:
            part = pending.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if done:
                    done.pop()
                    node = self._lookup("/".join(done)) or self._root
                continue
            if node.children is None:
                return None
            child = node.children.get(part)
            if child is None:
                return None
            if child.kind is Kind.SYMLINK and (pending or follow_last):
                hops += 1
                if hops > MAX_LINK_HOPS:
                    return None
                if child.link.startswith("/"):
                    done, node = [], self._root
                pending = [p for p in child.link.split("/") if p] + pending
                continue
            done.append(part)
            node = child
        return "/".join(done)

    def _entry(self, path: str) -> Node | None:
        """The entry ``path`` names itself (its parents resolved, the last link not followed)."""
        home = self._resolve(parent(normalize(path)))
        if home is None:
            return None
        return self._lookup(join(home, basename(normalize(path))))

    def _node(self, path: str) -> Node | None:
        """The node ``path`` names, links followed; a plain walk when no link is on the way."""
        node = self._root
        for part in path.split("/") if path else []:
            children = node.children
            child = children.get(part) if children is not None else None
            if child is None or child.kind is Kind.SYMLINK or part in ("", ".", ".."):
                break
            node = child
        else:
            return node
        resolved = self._resolve(path)
        return self._lookup(resolved) if resolved is not None else None

    # FileView ------------------------------------------------------------------------------

    def paths(self) -> Iterator[str]:
        stack: list[tuple[str, Node]] = [("", self._root)]
        while stack:
            prefix, node = stack.pop()
            assert node.children is not None
            for name in sorted(node.children, reverse=True):
                child = node.children[name]
                path = f"{prefix}/{name}" if prefix else name
                if child.kind is Kind.DIR:
                    stack.append((path, child))
                else:
                    yield path

    def captured_paths(self) -> Iterator[str]:
        """Regular files whose content was captured while streaming, in ``paths()`` order:
        catalogers that probe by content read only these instead of trying every file."""
        stack: list[tuple[str, Node]] = [("", self._root)]
        while stack:
            prefix, node = stack.pop()
            assert node.children is not None
            for name in sorted(node.children, reverse=True):
                child = node.children[name]
                path = f"{prefix}/{name}" if prefix else name
                if child.kind is Kind.DIR:
                    stack.append((path, child))
                elif child.kind is Kind.FILE and child.content is not None:
                    yield path

    def glob(self, pattern: str) -> Iterator[str]:
        return (p for p in self.paths() if glob_match(pattern, p))

    def exists(self, path: str) -> bool:
        return self._node(path) is not None

    def is_file(self, path: str) -> bool:
        node = self._node(path)
        return node is not None and node.kind is Kind.FILE

    def is_dir(self, path: str) -> bool:
        node = self._node(path)
        return node is not None and node.kind is Kind.DIR

    def size(self, path: str) -> int:
        node = self._node(path)
        if node is None or node.kind is not Kind.FILE:
            raise FileNotFoundError(path)
        return node.size

    def _content(self, path: str) -> Content:
        node = self._node(path)
        if node is None or node.kind is not Kind.FILE:
            raise FileNotFoundError(path)
        if node.content is None:
            self.not_captured.add(path)
            raise UnsupportedError(
                "content was not captured while streaming the layer "
                "(no cataloger asked for it, or it is over the analysis limit)",
                subject=path,
            )
        return node.content

    def open(self, path: str) -> BinaryIO:
        return self._content(path).open()

    def read(self, path: str, limit: int = PARSE_LIMIT) -> bytes:
        content = self._content(path)
        if content.size > limit:
            raise LimitExceededError(f"over the {limit}-byte parse limit", subject=path)
        return content.read()

    def readlink(self, path: str) -> str | None:
        node = self._entry(path)
        return node.link if node is not None and node.kind is Kind.SYMLINK else None

    def layer_of(self, path: str) -> LayerRef | None:
        """Files: the layer of the visible copy. Directories (a dist-info dir is a package's
        location): the last layer that wrote the directory entry. The root: ``None``."""
        node = self._node(path)
        if node is None or node.layer < 0:
            return None
        return LayerRef(node.layer, self._diff_ids[node.layer])

    def kind_of(self, path: str) -> Kind | None:
        """The entry's own kind (links not followed); for tests and audits."""
        node = self._entry(path)
        return node.kind if node is not None else None
