"""The read-only filesystem that catalogers see, and its implementation for rootfs directories.

Catalogers must not care whether they look at a plain ``dir:PATH`` rootfs or at the squashed
view of an image's layers, so they only ever talk to :class:`FileView`. Paths are image paths:
POSIX, relative to the root, no leading ``/`` (``var/lib/dpkg/status``). Symlinks are resolved
with container semantics (an absolute target starts at the image root, ``..`` at the root stays
at the root, at most :data:`MAX_LINK_HOPS` hops), so nothing a hostile image contains can make a
cataloger read a host file.

Contract shared by every implementation:

* ``paths()`` yields every non-directory entry (regular files, symlinks, devices …) exactly once,
  in no promised order. Catalogers sort what they report.
* ``is_file``/``is_dir``/``size``/``read``/``open`` follow symlinks (inside the root only);
  ``readlink`` does not. A dangling or escaping link is simply "not a file".
* ``read(path, limit)`` returns the whole content or raises ``LimitExceededError`` when the file
  is bigger than ``limit``; a missing path raises ``FileNotFoundError`` (catalogers probe).
* ``open(path)`` returns a *seekable* binary stream: the Go build-info reader and the zip reader
  seek. A layered view serves large captured members from its private spool file.
* ``layer_of(path)`` names the layer whose copy is visible, ``None`` for a plain directory.

Which files a layered view must capture: those for which any cataloger's ``wants(path)`` is
true, plus regular files whose first bytes start with one of a cataloger's ``magics``
(``catalog.catalog.wanted`` and ``base.Cataloger``). Anything else may be absent from ``read``.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from supplychain.errors import LimitExceededError, UsageError

MAX_LINK_HOPS = 40

# What a cataloger may parse in memory (SECURITY.md §4.2, "Entry counts / sizes").
PARSE_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True, order=True)
class LayerRef:
    """The layer that last wrote a file: its index in the manifest (0 = base) and diff_id."""

    index: int
    diff_id: str

    def property_value(self) -> str:
        """The ``supplychain:layer`` annotation value, ``<index>:<diffID>`` (SBOM.md §B.3)."""
        return f"{self.index}:{self.diff_id}"


@runtime_checkable
class FileView(Protocol):
    """A read-only root filesystem, see the module docstring for the contract."""

    def paths(self) -> Iterator[str]:
        """Every non-directory entry, once each, order unspecified."""
        ...

    def glob(self, pattern: str) -> Iterator[str]:
        """``paths()`` matching ``pattern`` (see :func:`glob_match`)."""
        ...

    def exists(self, path: str) -> bool: ...

    def is_file(self, path: str) -> bool:
        """A regular file, after following symlinks inside the root."""
        ...

    def is_dir(self, path: str) -> bool: ...

    def size(self, path: str) -> int: ...

    def read(self, path: str, limit: int = PARSE_LIMIT) -> bytes:
        """The whole content; ``LimitExceededError`` if larger than ``limit``."""
        ...

    def open(self, path: str) -> BinaryIO:
        """A binary stream over the content (for files too big to read whole)."""
        ...

    def readlink(self, path: str) -> str | None:
        """The raw target if ``path`` itself is a symlink, else ``None``."""
        ...

    def layer_of(self, path: str) -> LayerRef | None:
        """The layer of the visible copy of ``path``; ``None`` outside images."""
        ...


# --- paths ------------------------------------------------------------------------------------


def normalize(path: str) -> str:
    """An image path in canonical form: no leading ``/`` or ``./``, no empty or ``.`` parts.

    ``..`` is resolved lexically and can never climb above the root (container semantics).
    """
    parts: list[str] = []
    for part in path.replace("\x00", "").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def join(base: str, rel: str) -> str:
    """``rel`` seen from directory ``base`` (absolute ``rel`` starts at the root)."""
    if rel.startswith("/"):
        return normalize(rel)
    return normalize(f"{base}/{rel}" if base else rel)


def parent(path: str) -> str:
    head, _, _ = path.rpartition("/")
    return head


def basename(path: str) -> str:
    return path.rpartition("/")[2]


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """``**/`` = zero or more directories, ``*``/``?``/``[..]`` stay inside one component."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape("["))
                i += 1
            else:
                translated = fnmatch.translate(pattern[i : end + 1])
                # fnmatch gives '(?s:[...])\Z'; keep the class only.
                out.append(translated[4:-3])
                i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def glob_match(pattern: str, path: str) -> bool:
    """Whether image path ``path`` matches ``pattern`` (``**/`` spans directories)."""
    return _glob_regex(pattern).match(path) is not None


# --- rootfs directories -----------------------------------------------------------------------


class DirView:
    """A :class:`FileView` over a rootfs directory on the host (``dir:PATH``).

    Every lookup walks the path one component at a time with ``lstat`` and resolves symlinks
    itself, so a link to ``/etc/shadow`` means the rootfs's ``etc/shadow``, never the host's.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        try:
            info = os.stat(self.root)
        except FileNotFoundError as exc:
            raise UsageError("no such directory", subject=str(root)) from exc
        if not stat.S_ISDIR(info.st_mode):
            raise UsageError("not a directory", subject=str(root))
        # A rootfs does not change during a scan: walks and link resolutions are memoised
        # (every cataloger asks; a Debian rootfs has tens of thousands of entries).
        self._paths: list[str] | None = None
        self._resolved: dict[tuple[str, bool], str | None] = {}

    # resolution

    def _host(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/")) if rel else str(self.root)

    def _resolve(self, path: str, *, follow_last: bool = True) -> str | None:
        """The canonical image path ``path`` names, or ``None`` when it dangles or loops."""
        key = (path, follow_last)
        if key not in self._resolved:
            if len(self._resolved) > 200_000:
                self._resolved.clear()
            self._resolved[key] = self._resolve_uncached(path, follow_last=follow_last)
        return self._resolved[key]

    def _resolve_uncached(self, path: str, *, follow_last: bool) -> str | None:
        pending = normalize(path).split("/") if normalize(path) else []
        done: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if done:
                    done.pop()
                continue
            if part in ("", "."):
                continue
            candidate = "/".join([*done, part])
            try:
                info = os.lstat(self._host(candidate))
            except (FileNotFoundError, NotADirectoryError):
                return None
            except OSError:
                return None
            if stat.S_ISLNK(info.st_mode) and (pending or follow_last):
                hops += 1
                if hops > MAX_LINK_HOPS:
                    return None
                try:
                    target = os.readlink(self._host(candidate))
                except OSError:
                    return None
                if target.startswith("/"):
                    done = []
                pending = [p for p in target.split("/") if p] + pending
                continue
            done.append(part)
        return "/".join(done)

    def _stat(self, path: str) -> os.stat_result | None:
        real = self._resolve(path)
        if real is None:
            return None
        try:
            return os.lstat(self._host(real))
        except OSError:
            return None

    # FileView

    def paths(self) -> Iterator[str]:
        if self._paths is None:
            self._paths = list(self._walk())
        return iter(self._paths)

    def _walk(self) -> Iterator[str]:
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            rel_dir = os.path.relpath(dirpath, self.root)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
            dirnames.sort()
            # os.walk lists symlinks to directories among dirnames; they are entries too.
            for name in sorted(filenames + [d for d in dirnames if _is_link(dirpath, d)]):
                yield f"{rel_dir}/{name}" if rel_dir else name

    def glob(self, pattern: str) -> Iterator[str]:
        return (p for p in self.paths() if glob_match(pattern, p))

    def exists(self, path: str) -> bool:
        return self._stat(path) is not None

    def is_file(self, path: str) -> bool:
        info = self._stat(path)
        return info is not None and stat.S_ISREG(info.st_mode)

    def is_dir(self, path: str) -> bool:
        info = self._stat(path)
        return info is not None and stat.S_ISDIR(info.st_mode)

    def size(self, path: str) -> int:
        info = self._stat(path)
        if info is None or not stat.S_ISREG(info.st_mode):
            raise FileNotFoundError(path)
        return info.st_size

    def open(self, path: str) -> BinaryIO:
        real = self._resolve(path)
        if real is None:
            raise FileNotFoundError(path)
        host = self._host(real)
        try:
            fd = os.open(host, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        except OSError as exc:
            raise FileNotFoundError(path) from exc
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise FileNotFoundError(path)
        return os.fdopen(fd, "rb")

    def read(self, path: str, limit: int = PARSE_LIMIT) -> bytes:
        with self.open(path) as handle:
            data = handle.read(limit + 1)
        if len(data) > limit:
            raise LimitExceededError(f"over the {limit}-byte parse limit", subject=path)
        return data

    def readlink(self, path: str) -> str | None:
        real_parent = self._resolve(parent(normalize(path)))
        if real_parent is None:
            return None
        candidate = join(real_parent, basename(normalize(path)))
        try:
            return os.readlink(self._host(candidate))
        except OSError:
            return None

    def layer_of(self, path: str) -> LayerRef | None:
        return None


def _is_link(dirpath: str, name: str) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(os.path.join(dirpath, name)).st_mode)
    except OSError:
        return False


def read_text(view: FileView, path: str, limit: int = PARSE_LIMIT) -> str:
    """A metadata file as text: UTF-8, with undecodable bytes replaced (never an error)."""
    return view.read(path, limit).decode("utf-8", errors="replace")
