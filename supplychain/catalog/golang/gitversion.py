"""The main module's version from its git checkout, read from ``.git`` without running git.

SBOM.md §E.3: a module tree's own version is the semver tag at HEAD (for a module in a
sub-directory, tags carry the directory as prefix: ``sub/dir/v1.2.3``), else a pseudo-version of
HEAD, else ``(devel)``. We read HEAD, loose and packed refs and — for annotated tags and the
commit time — loose objects (zlib). Objects inside pack files are not decoded: an annotated tag
listed only in ``packed-refs`` still works (its peeled ``^`` line names the commit), but a packed
commit gives no time, hence no pseudo-version. Every read is size-capped; a broken or hostile
``.git`` yields ``None``, never an error — the version is a nicety, the SBOM is not wrong without
it.

The pseudo-version is the base form ``vX.0.0-<UTC yyyymmddhhmmss>-<12 hex>`` (X from a ``/vN``
path suffix); Go derives a base from the nearest ancestor tag, which needs a history walk we do
not do.
"""

from __future__ import annotations

import os
import re
import zlib
from datetime import datetime, timezone
from pathlib import Path

from supplychain.catalog.golang import semver

MAX_REF_BYTES = 1 << 20
MAX_OBJECT_BYTES = 1 << 20
_SHA = re.compile(r"^[0-9a-f]{40}$")


def main_version(module_dir: str | Path, module_path: str) -> tuple[str, str] | None:
    """(version, source) with source ``git-tag`` or ``git-pseudo``; None without evidence."""
    try:
        return _main_version(Path(module_dir).resolve(), module_path)
    except (OSError, ValueError, zlib.error, UnicodeDecodeError):
        return None


def _main_version(module_dir: Path, module_path: str) -> tuple[str, str] | None:
    found = _find_git(module_dir)
    if found is None:
        return None
    git_dir, work_tree = found
    head = _head(git_dir)
    if head is None:
        return None
    prefix = module_dir.relative_to(work_tree).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    major = _major(module_path)
    tags = [
        name[len(prefix) :]
        for name, target in _tags(git_dir).items()
        if target == head and name.startswith(prefix)
    ]
    valid = [t for t in tags if semver.is_canonical(t) and _major_ok(t, major)]
    if valid:
        return max(valid, key=semver.sort_key), "git-tag"
    stamp = _commit_time(git_dir, head)
    if stamp is None:
        return None
    return f"v{major or 0}.0.0-{stamp}-{head[:12]}", "git-pseudo"


def _find_git(start: Path) -> tuple[Path, Path] | None:
    for directory in (start, *start.parents):
        dot = directory / ".git"
        if dot.is_dir():
            return dot, directory
        if dot.is_file():
            text = _read(dot, MAX_REF_BYTES).decode("utf-8").strip()
            if text.startswith("gitdir:"):
                target = (directory / text[len("gitdir:") :].strip()).resolve()
                return target, directory
            return None
    return None


def _read(path: Path, limit: int) -> bytes:
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path} is too large")
    return data


def _head(git_dir: Path) -> str | None:
    text = _read(git_dir / "HEAD", MAX_REF_BYTES).decode("utf-8").strip()
    if text.startswith("ref:"):
        return _resolve_ref(git_dir, text[4:].strip())
    return text if _SHA.match(text) else None


def _common_dir(git_dir: Path) -> Path:
    """Worktrees keep refs and objects in the main repository (``commondir``)."""
    common = git_dir / "commondir"
    if common.is_file():
        return (git_dir / _read(common, MAX_REF_BYTES).decode("utf-8").strip()).resolve()
    return git_dir


def _resolve_ref(git_dir: Path, ref: str, depth: int = 0) -> str | None:
    if depth > 5 or ".." in ref.split("/"):
        return None
    for base in (git_dir, _common_dir(git_dir)):
        loose = base / ref
        if loose.is_file():
            text = _read(loose, MAX_REF_BYTES).decode("utf-8").strip()
            if text.startswith("ref:"):
                return _resolve_ref(git_dir, text[4:].strip(), depth + 1)
            return text if _SHA.match(text) else None
    packed = _packed_refs(_common_dir(git_dir))
    return packed.get(ref, (None, None))[0]


def _packed_refs(common: Path) -> dict[str, tuple[str, str | None]]:
    """ref → (sha, peeled commit sha of an annotated tag or None)."""
    path = common / "packed-refs"
    refs: dict[str, tuple[str, str | None]] = {}
    if not path.is_file():
        return refs
    last: str | None = None
    for line in _read(path, 16 * MAX_REF_BYTES).decode("utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if line.startswith("^") and last is not None:
            refs[last] = (refs[last][0], line[1:].strip())
            continue
        sha, _, name = line.partition(" ")
        if _SHA.match(sha):
            refs[name.strip()] = (sha, None)
            last = name.strip()
    return refs


def _tags(git_dir: Path) -> dict[str, str]:
    """tag name → the commit it points at (annotated tags peeled)."""
    common = _common_dir(git_dir)
    tags: dict[str, str] = {}
    for ref, (sha, peeled) in _packed_refs(common).items():
        if ref.startswith("refs/tags/"):
            commit = peeled or _peel(common, sha)
            if commit:
                tags[ref[len("refs/tags/") :]] = commit
    root = common / "refs" / "tags"
    if root.is_dir():
        for dirpath, _, files in os.walk(root):
            for name in files[:10000]:
                path = Path(dirpath) / name
                sha = _read(path, MAX_REF_BYTES).decode("utf-8").strip()
                if _SHA.match(sha):
                    commit = _peel(common, sha)
                    if commit:
                        tags[path.relative_to(root).as_posix()] = commit
    return tags


def _object(common: Path, sha: str) -> tuple[str, bytes] | None:
    """(type, body) of a loose object; None when it is packed or missing."""
    path = common / "objects" / sha[:2] / sha[2:]
    if not path.is_file():
        return None
    raw = _read(path, MAX_OBJECT_BYTES)
    inflater = zlib.decompressobj()
    data = inflater.decompress(raw, MAX_OBJECT_BYTES)
    header, _, body = data.partition(b"\0")
    kind = header.split(b" ")[0].decode("ascii")
    return kind, body


def _peel(common: Path, sha: str) -> str | None:
    """The commit a tag ref names: itself if a commit (or unknown), the target if a tag."""
    found = _object(common, sha)
    if found is None or found[0] == "commit":
        return sha
    if found[0] == "tag":
        for line in found[1].split(b"\n"):
            if line.startswith(b"object "):
                target = line[7:].decode("ascii").strip()
                return target if _SHA.match(target) else None
    return None


def _commit_time(git_dir: Path, sha: str) -> str | None:
    found = _object(_common_dir(git_dir), sha)
    if found is None or found[0] != "commit":
        return None
    for line in found[1].split(b"\n"):
        if line.startswith(b"committer "):
            parts = line.rsplit(b" ", 2)
            when = datetime.fromtimestamp(int(parts[1]), tz=timezone.utc)
            return when.strftime("%Y%m%d%H%M%S")
        if not line:
            break
    return None


def _major(module_path: str) -> int | None:
    match = re.search(r"/v([2-9]|[1-9][0-9]+)$", module_path)
    return int(match.group(1)) if match else None


def _major_ok(tag: str, major: int | None) -> bool:
    tag_major = int(tag[1:].split(".", 1)[0])
    if major is None:
        return tag_major in (0, 1) or tag.endswith("+incompatible")
    return tag_major == major
