"""One run at a time per archive: an advisory lock (``flock``) on a file beside the database.

The kernel drops a ``flock`` when its process dies, however it dies, so a lock left by a killed
run is simply taken by the next one; the file's text (which run holds it) is only for messages.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path
from typing import IO, Any


class Locked(Exception):
    """Another run holds the archive's lock; ``holder`` says which (pid, run id, start)."""

    def __init__(self, path: Path, holder: dict[str, Any]) -> None:
        who = ", ".join(f"{key} {value}" for key, value in holder.items()) or "unknown"
        super().__init__(f"{path} is locked by another run ({who})")
        self.holder = holder


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


class RunLock:
    """``with RunLock(db, run_id=…, started_at=…):`` holds the archive for one run; raises
    :class:`Locked` at once (never waits) when another run holds it."""

    def __init__(self, db: Path, **holder: Any) -> None:
        self.path = lock_path(db)
        self.holder = {"pid": os.getpid(), "host": socket.gethostname(), **holder}
        self.file: IO[str] | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            try:
                holder = json.loads(file.read() or "{}")
            except ValueError:
                holder = {}
            file.close()
            raise Locked(self.path, holder) from None
        file.seek(0)
        file.truncate()
        file.write(json.dumps(self.holder))
        file.flush()
        self.file = file
        return self

    def release(self) -> None:
        if self.file is not None:
            self.file.seek(0)
            self.file.truncate()
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
