"""The private temp dir where big wanted members (Go binaries, jars) are written.

SECURITY.md §4.3: a ``mkdtemp`` directory (0700) owned by this process; files created by our
code only, relative to the directory fd with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and mode 0600, named
by a counter (never by the archive's names), regular files only, removed on :meth:`close` even
after an error. Nothing from an archive is ever written anywhere else.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from types import TracebackType


class Spool:
    def __init__(self, parent: str | None = None) -> None:
        self.path = tempfile.mkdtemp(prefix="supplychain-layers-", dir=parent)
        os.chmod(self.path, 0o700)
        self._dir_fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        self._counter = 0
        self._lock = threading.Lock()

    def create(self) -> tuple[int, str]:
        """A new empty file: ``(writable fd, absolute path)``."""
        with self._lock:  # layers are read by several threads
            self._counter += 1
            name = f"m{self._counter:08d}"
        flags = os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(name, flags, 0o600, dir_fd=self._dir_fd)
        return fd, os.path.join(self.path, name)

    def close(self) -> None:
        if self._dir_fd >= 0:
            os.close(self._dir_fd)
            self._dir_fd = -1
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
