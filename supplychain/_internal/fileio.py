"""Atomic file writes and private temp dirs.

Nothing supplychain writes may ever be half there: a reader either sees the old file or the
complete new one (temp file in the same directory, fsync, rename).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from supplychain.errors import InvalidInputError, LimitExceededError, UsageError
from supplychain.model.digest import Digest


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` so that no reader ever sees a partial file.

    A target we cannot write (missing directory, read-only file system, permissions) is the
    caller's request failing, so it is a one-line usage error naming the path.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write here ({exc.strerror})", subject=str(target)) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise UsageError(f"cannot write here ({exc.strerror})", subject=str(target)) from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int = 0o644) -> None:
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def file_sha256(path: str | os.PathLike[str], *, what: str | None = None) -> Digest:
    """The sha256 of a file, streamed in 1 MiB blocks (binaries and charts can be large).

    A missing or unreadable file is a usage error naming it: the user pointed us at it.
    """
    name = what or str(path)
    hasher = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                hasher.update(block)
    except FileNotFoundError as exc:
        raise UsageError("no such file", subject=name) from exc
    except OSError as exc:
        raise UsageError(f"cannot read ({exc.strerror})", subject=name) from exc
    return Digest("sha256", hasher.hexdigest())


def read_bounded(path: str | os.PathLike[str], *, limit: int, what: str | None = None) -> bytes:
    """Read a whole file, refusing one larger than ``limit`` before reading it."""
    name = what or str(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise LimitExceededError(
                    f"{size} bytes is over the {limit}-byte limit", subject=name
                )
            data = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise UsageError("no such file", subject=name) from exc
    except IsADirectoryError as exc:
        raise InvalidInputError("is a directory, expected a file", subject=name) from exc
    except PermissionError as exc:
        raise InvalidInputError("permission denied", subject=name) from exc
    if len(data) > limit:
        raise LimitExceededError(f"more than {limit} bytes", subject=name)
    return data


@contextlib.contextmanager
def private_tempdir(prefix: str = "supplychain-") -> Iterator[Path]:
    """A 0700 temp dir removed on exit, whatever happened inside."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        os.chmod(path, 0o700)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
