"""Repairing the WARC files of a killed run: a cut-off last record is trimmed away.

Records are written one gzip member each and flushed one by one, so a run killed while writing
leaves at most its last member incomplete; every record before it is whole (and every record
the archive names was committed after it was written). The next run checks the files of the
runs that never finished and truncates each after its last complete member, so that
``warcio check``, replay tools and WACZ packages read them.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 16
_GZIP = 16 + zlib.MAX_WBITS


@dataclass(frozen=True)
class Repair:
    """A WARC file cut back to its complete records."""

    file: str
    records: int  # gzip members (WARC records) kept
    kept_bytes: int
    trimmed_bytes: int


def complete_members(path: Path) -> tuple[int, int]:
    """How many whole gzip members the file starts with, and the offset where they end."""
    count = end = offset = 0
    member = zlib.decompressobj(_GZIP)
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            data = chunk
            while data:
                try:
                    member.decompress(data, _CHUNK)  # output bounded, and not kept
                except zlib.error:
                    return count, end  # damaged: keep what came before
                if member.eof:
                    offset += len(data) - len(member.unused_data)
                    count, end = count + 1, offset
                    data = member.unused_data
                    member = zlib.decompressobj(_GZIP)
                else:
                    offset += len(data) - len(member.unconsumed_tail)
                    data = member.unconsumed_tail
    return count, end


def run_of(path: Path) -> str:
    """The run that wrote a file named ``<run id>-NNNNN.warc.gz``."""
    return path.name.removesuffix(".warc.gz").rsplit("-", 1)[0]


def unfinished_files(directory: Path, finished: Iterable[str]) -> list[Path]:
    """The WARC files in ``directory`` of runs not in ``finished``."""
    done = set(finished)
    return sorted(p for p in directory.glob("*.warc.gz") if run_of(p) not in done)


def repair(path: Path) -> Repair | None:
    """Truncate ``path`` after its last complete record (remove it if none is); None if it
    was whole."""
    size = path.stat().st_size
    records, end = complete_members(path)
    if end == size:
        return None
    if records == 0:
        path.unlink()
    else:
        with path.open("r+b") as stream:
            stream.truncate(end)
    return Repair(path.name, records, end, size - end)
