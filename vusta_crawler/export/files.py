"""Files written whole or not at all: a temporary file beside the target, then a rename.

A reader (a feed reader, a mirror job) never sees half a file, and a run killed while
exporting leaves the previous file in place.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_writer(path: Path) -> Iterator[IO[str]]:
    """``with atomic_writer(path) as out:`` — ``path`` appears, complete, when the block ends
    without an error; on an error (or a kill) it is left as it was."""
    with _atomic(path, binary=False) as out:
        yield out


@contextmanager
def atomic_binary_writer(path: Path) -> Iterator[IO[bytes]]:
    """:func:`atomic_writer` for bytes (a seekable file: a ZIP package is written into it)."""
    with _atomic(path, binary=True) as out:
        yield out


@contextmanager
def _atomic(path: Path, *, binary: bool) -> Iterator[Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # what open() would give, not mkstemp's 0600
        with os.fdopen(handle, "wb") if binary else os.fdopen(handle, "w", encoding="utf-8") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
