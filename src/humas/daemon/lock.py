"""One daemon per SQLite file, and a name for each daemon instance (it names its leases)."""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from pathlib import Path
from typing import IO

from humas.errors import AnotherInstanceRunning


class InstanceLock:
    """An exclusive ``flock`` on ``<database>.daemon.lock``, released when the process dies however it dies."""

    def __init__(self, db_file: Path) -> None:
        self.db_file = db_file
        self.path = db_file.with_name(db_file.name + ".daemon.lock")
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("a+")
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise AnotherInstanceRunning(
                f"another humas daemon ({holder}) already runs on {self.db_file}; stop it first, "
                "or use PostgreSQL (HUMAS_DATABASE_URL) to run several"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} on {socket.gethostname()}")
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def instance_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
