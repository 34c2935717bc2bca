"""WACZ export: the WARC captures of a run, of a period or of the whole archive, as one package
for replay (ReplayWeb.page) and for other archives.

https://specs.webrecorder.net/wacz/1.2.0/ — the package holds:

- ``archive/<run id>-NNNNN.warc.gz``: the whole WARC files the selected captures are in, stored
  (not deflated), so that an offset of the index is an offset into the ZIP member;
- ``indexes/index.cdxj``: one line per response and revisit record of those files, byte-sorted;
- ``pages/pages.jsonl``: one page per archived article captured in the selection, with its text;
- ``datapackage.json`` and ``datapackage-digest.json``: each file's sha256 and size; revisit
  records whose original lies in a WARC file outside the package name that file under
  ``relation.requires`` (browsertrix-crawler's key for a package's dependencies).

Each WARC file is read once: warcio parses it while every byte it reads goes on into the ZIP and
into the file's hash, so the index describes exactly the bytes packaged. Memory stays flat: files
are streamed in blocks and the index is sorted in chunks on disk.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import re
import sqlite3
import tempfile
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.timeutils import iso_date_to_timestamp

from vusta_crawler import __version__
from vusta_crawler.export.files import atomic_binary_writer
from vusta_crawler.store.archive import Archive

WACZ_VERSION = "1.2.0"
PROFILE = "data-package"
"""1.2.0 names the profile ``wacz``, but frictionless (which ``wacz validate`` runs) cannot
resolve that profile and ReplayWeb.page refuses it ("Unknown package profile"): every WACZ
producer writes ``data-package``, and so does this one."""

PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
HOME_PAGES = ("https://vusta.vn/", "https://en.vusta.vn/")
"""The package's ``home`` is the selection's first capture of one of these, if it has one."""

INDEXED_RECORDS = frozenset({"response", "revisit"})
_BLOCK = 1024 * 1024
_SORT_CHUNK = 100_000  # index lines sorted in memory at once (~35 MB); more go to disk
_WWW = re.compile(r"^www\d*\.")
_MIME_END = re.compile(r"[;\s]")


class WaczError(Exception):
    """The package cannot be made: no such run, nothing captured in the selection, or a WARC
    file missing or unreadable. The message is one line."""


@dataclass(frozen=True)
class Dependency:
    """A WARC file outside the package holding the originals that revisit records in it refer
    to (an earlier run's capture of the same content): replay needs it loaded too."""

    filename: str
    run_id: str | None
    records: int  # revisit records of the package referring to it
    hash: str | None = None  # sha256 of the file, when it was found
    size: int | None = None

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"filename": self.filename, "crawlId": self.run_id}
        if self.hash is not None:
            entry.update(hash=self.hash, size=self.size)
        entry["records"] = self.records
        return entry


@dataclass(frozen=True)
class WaczSummary:
    """What a package holds."""

    path: Path
    warc_files: tuple[str, ...]
    pages: int
    records: int  # lines of the index
    dependencies: tuple[Dependency, ...]
    size: int  # bytes of the .wacz


@dataclass(frozen=True)
class _Resource:
    path: str
    hash: str
    bytes: int

    def as_json(self) -> dict[str, Any]:
        # frictionless allows lower-case names only (a run id has a T and a Z)
        name = self.path.rsplit("/", 1)[-1].lower()
        return {"name": name, "path": self.path, "hash": self.hash, "bytes": self.bytes}


@dataclass(frozen=True)
class _Selection:
    where: str  # on ``captures``
    params: tuple[str, ...]
    scope: str


def write_wacz(
    archive: Archive,
    output: Path,
    *,
    run_id: str | None = None,
    since: str | None = None,
    title: str | None = None,
) -> WaczSummary:
    """Write the WACZ package of the captures of run ``run_id`` (an id or a unique prefix),
    or of those captured on or after ``since`` (``YYYY-MM-DD``, UTC), or of all captures, to
    ``output``, atomically. Raises :class:`WaczError` (nothing written) when it cannot."""
    output = Path(output)
    selection = _selection(archive, run_id, since)
    warcs = _warc_files(archive, selection)
    created = datetime.now(UTC)
    stamp = time.gmtime(created.timestamp())[:6]
    resources: list[_Resource] = []
    refers: Counter[tuple[str, str]] = Counter()
    with (
        atomic_binary_writer(output) as out,
        zipfile.ZipFile(out, "w", allowZip64=True) as package,
        _SortedLines() as index,
    ):
        for name, path in warcs:
            with _member(package, f"archive/{name}", stamp, resources, stored=True,
                         size=path.stat().st_size) as member:  # fmt: skip
                _copy_and_index(archive, path, name, member, index, refers)
        with _member(package, "indexes/index.cdxj", stamp, resources) as member:
            for line in index:
                member.write(line)
        with _member(package, "pages/pages.jsonl", stamp, resources) as member:
            pages = _write_pages(archive, selection, member)
        dependencies = _dependencies(archive, refers, {path.resolve() for _, path in warcs})
        data = _datapackage(
            title or f"VUSTA news archive: {selection.scope}",
            _description(selection, len(warcs), index.count, pages, dependencies),
            created, _home(archive, selection), resources, dependencies,
        )  # fmt: skip
        _write_small(package, "datapackage.json", stamp, data)
        digest = {"path": "datapackage.json", "hash": _sha256(data)}
        _write_small(package, "datapackage-digest.json", stamp, json.dumps(digest).encode())
    return WaczSummary(
        output, tuple(name for name, _ in warcs), pages, index.count, dependencies,
        output.stat().st_size,
    )  # fmt: skip


def _datapackage(
    title: str,
    description: str,
    created: datetime,
    home: dict[str, str] | None,
    resources: list[_Resource],
    dependencies: tuple[Dependency, ...],
) -> bytes:
    """``datapackage.json``: the frictionless descriptor WACZ readers and validators expect."""
    descriptor: dict[str, Any] = {
        "profile": PROFILE,
        "wacz_version": WACZ_VERSION,
        "title": title,
        "description": description,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": f"vusta-crawler {__version__}",
    }
    if home is not None:
        descriptor["home"] = home
    descriptor["resources"] = [resource.as_json() for resource in resources]
    if dependencies:
        descriptor["relation"] = {"requires": [d.as_json() for d in dependencies]}
    return (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode()


def surt_key(url: str) -> str:
    """The CDXJ lookup key of ``url``, as the ``surt`` package and ReplayWeb.page make it:
    lower case, no scheme, ``www.`` and fragment dropped, host labels reversed and comma
    separated, ``)``, the path, and the query with its arguments sorted."""
    if not url.lower().startswith(("http://", "https://")):
        return url
    parts = urlsplit(url.lower())
    host = _WWW.sub("", parts.hostname or "")
    key = ",".join(reversed(host.split(".")))
    default = 443 if parts.scheme == "https" else 80
    if parts.port is not None and parts.port != default:
        key += f":{parts.port}"
    key += ")" + (parts.path or "/")
    if parts.query:
        key += "?" + "&".join(sorted(parts.query.split("&")))
    return key


def locate_warc(archive: Archive, warc_file: str) -> Path | None:
    """The file a ``captures.warc_file`` names, or None: an absolute path as it is; a relative
    one in the archive's folder (as the archive names them), else in the current folder
    (where a crawl before that wrote them)."""
    path = Path(warc_file)
    candidates = [path] if path.is_absolute() else [archive.warc_path(warc_file), Path.cwd() / path]
    return next((candidate for candidate in candidates if candidate.is_file()), None)


# --- the selection ---------------------------------------------------------------------------


def _selection(archive: Archive, run_id: str | None, since: str | None) -> _Selection:
    if run_id is not None and since is not None:
        raise ValueError("select by run_id or by since, not both")
    if run_id is not None:
        row = archive.run(run_id)
        if row is None:
            raise WaczError(f"{archive.path}: no run {run_id!r} (give one run's id or its prefix)")
        return _Selection("captures.run_id = ?", (row["run_id"],), f"run {row['run_id']}")
    if since is not None:
        try:
            date.fromisoformat(since)
            if len(since) != 10:
                raise ValueError(since)
        except ValueError:
            raise WaczError(f"since must be a date, YYYY-MM-DD (got {since!r})") from None
        return _Selection("captures.captured_at >= ?", (since,), f"captures since {since}")
    return _Selection("1 = 1", (), "all captures")


def _warc_files(archive: Archive, selection: _Selection) -> list[tuple[str, Path]]:
    """(name in ``archive/``, file) of each WARC file the selection's captures are in."""
    stored = [row[0] for row in archive.db.execute(
        f"SELECT DISTINCT warc_file FROM captures WHERE {selection.where}", selection.params
    )]  # fmt: skip
    if not stored:
        raise WaczError(f"{archive.path}: nothing captured in {selection.scope}")
    found: dict[str, Path] = {}
    for warc_file in stored:
        path = locate_warc(archive, warc_file)
        if path is None:
            raise WaczError(
                f"WARC file {warc_file} not found (looked in {archive.warc_path(warc_file).parent}"
                f" and {Path.cwd()})"
            )
        name = path.name
        if name in found and found[name].resolve() != path.resolve():
            raise WaczError(f"two WARC files named {name}: {found[name]} and {path}")
        found[name] = path
    return sorted(found.items())


# --- writing the package -----------------------------------------------------------------------


class _Member:
    """The bytes going into one file of the package, hashed and counted on the way."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.stream.write(data)
        self.sha256.update(data)
        self.size += len(data)


@contextmanager
def _member(
    package: zipfile.ZipFile,
    path: str,
    stamp: tuple[int, ...],
    resources: list[_Resource],
    *,
    stored: bool = False,
    size: int = 0,
) -> Iterator[_Member]:
    """A file of the package, streamed; listed in ``resources`` once written. WARC files are
    ``stored``: the spec forbids compressing what is compressed already (and offsets into a
    deflated member would not work)."""
    info = zipfile.ZipInfo(path, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    info.file_size = size  # zipfile decides on ZIP64 from it; the real size replaces it
    with package.open(info, "w") as stream:
        member = _Member(stream)
        yield member
    resources.append(_Resource(path, "sha256:" + member.sha256.hexdigest(), member.size))


def _write_small(package: zipfile.ZipFile, path: str, stamp: tuple[int, ...], data: bytes) -> None:
    info = zipfile.ZipInfo(path, date_time=stamp)  # type: ignore[arg-type]
    info.compress_type = zipfile.ZIP_DEFLATED
    package.writestr(info, data)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class _Tee:
    """A WARC file as warcio reads it: every byte read is also written into the package."""

    source: BinaryIO
    member: _Member

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.member.write(data)
        return data


def _copy_and_index(
    archive: Archive,
    path: Path,
    name: str,
    member: _Member,
    index: _SortedLines,
    refers: Counter[tuple[str, str]],
) -> None:
    """Copy the WARC file ``path`` into ``member`` while indexing its records; count what each
    revisit record refers to (target URI, date)."""
    with path.open("rb") as source:
        tee = _Tee(source, member)
        try:
            records = ArchiveIterator(tee)
            for record in records:
                if record.rec_type not in INDEXED_RECORDS:
                    continue
                headers = record.rec_headers
                if record.rec_type == "revisit":
                    target = headers.get_header("WARC-Refers-To-Target-URI")
                    when = headers.get_header("WARC-Refers-To-Date")
                    if target and when:
                        refers[(target, when)] += 1
                offset, length = records.get_record_offset(), records.get_record_length()
                index.add(_cdxj_line(archive, record, name, offset, length))
            while tee.read(_BLOCK):  # whatever follows the last record, byte for byte
                pass
        except (ArchiveLoadFailed, EOFError, zlib.error, ValueError) as error:
            text = str(error).strip()
            message = text.splitlines()[0] if text else type(error).__name__
            raise WaczError(f"{path}: not a readable WARC file ({message})") from error


def _cdxj_line(archive: Archive, record: Any, name: str, offset: int, length: int) -> str:
    """``<SURT> <14-digit timestamp> {json}``, the fields as py-wacz's and browsertrix's."""
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI")
    fields: dict[str, Any] = {"url": url, "mime": _mime(record)}
    if record.http_headers is not None and record.http_headers.get_statuscode():
        fields["status"] = int(record.http_headers.get_statuscode())
    digest = headers.get_header("WARC-Payload-Digest")
    if not digest and record.rec_type == "revisit":  # a 304's record names no digest; the
        digest = _noted_digest(archive.db, headers.get_header("WARC-Record-ID"))  # archive does
    if digest:
        fields["digest"] = digest
    fields.update(length=length, offset=offset, filename=name)
    timestamp = iso_date_to_timestamp(headers.get_header("WARC-Date"))
    return f"{surt_key(url)} {timestamp} {json.dumps(fields)}"


def _mime(record: Any) -> str:
    if record.rec_type == "revisit":
        return "warc/revisit"
    value = record.http_headers.get_header("Content-Type") if record.http_headers else None
    value = value or record.rec_headers.get_header("Content-Type") or ""
    return _MIME_END.split(value.strip(), maxsplit=1)[0]


def _noted_digest(db: sqlite3.Connection, record_id: str | None) -> str | None:
    row = db.execute("SELECT payload_digest FROM captures WHERE record_id = ?", (record_id,))
    found = row.fetchone()
    return (found[0] or None) if found else None


@dataclass
class _SortedLines:
    """Index lines, given in any order, read back sorted as bytes (as ``LC_ALL=C sort``): in
    chunks sorted in memory, merged from temporary files."""

    count: int = 0
    _chunk: list[bytes] = field(default_factory=list)
    _runs: list[IO[bytes]] = field(default_factory=list)

    def add(self, line: str) -> None:
        self._chunk.append(line.encode() + b"\n")
        self.count += 1
        if len(self._chunk) >= _SORT_CHUNK:
            self._chunk.sort()
            run = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__, after the merge)
            run.writelines(self._chunk)
            run.seek(0)
            self._runs.append(run)
            self._chunk = []

    def __iter__(self) -> Iterator[bytes]:
        self._chunk.sort()
        return heapq.merge(self._chunk, *self._runs)

    def __enter__(self) -> _SortedLines:
        return self

    def __exit__(self, *exc: object) -> None:
        for run in self._runs:
            run.close()


# --- pages, home, dependencies -----------------------------------------------------------------

_PAGES_SQL = """
WITH fetched AS (
    SELECT captures.record_id, captures.url, captures.captured_at, articles.id AS article,
           ROW_NUMBER() OVER (
               PARTITION BY articles.id
               ORDER BY captures.record_id = articles.capture_id DESC,
                        captures.captured_at DESC, captures.record_id
           ) AS rank
    FROM captures JOIN articles ON articles.id = COALESCE(
        (SELECT id FROM articles WHERE url = captures.url),
        (SELECT article FROM aliases WHERE url = captures.url))
    WHERE {where}
)
SELECT fetched.record_id, fetched.url, fetched.captured_at, articles.title, articles.body_text
FROM fetched JOIN articles ON articles.id = fetched.article
WHERE fetched.rank = 1
ORDER BY fetched.captured_at, fetched.record_id
"""
"""Each article fetched in the selection (under its URL or an alias), once: the capture its
content came from if it is in the selection, else its latest capture there."""


def _write_pages(archive: Archive, selection: _Selection, member: _Member) -> int:
    member.write((json.dumps(PAGES_HEADER) + "\n").encode())
    count = 0
    for row in archive.db.execute(_PAGES_SQL.format(where=selection.where), selection.params):
        page = {
            "id": row["record_id"].strip("<>"),
            "url": row["url"],
            "ts": row["captured_at"],
            "title": row["title"],
            "text": row["body_text"],
        }
        member.write((json.dumps(page, ensure_ascii=False) + "\n").encode())
        count += 1
    return count


def _home(archive: Archive, selection: _Selection) -> dict[str, str] | None:
    marks = ", ".join("?" for _ in HOME_PAGES)
    row = archive.db.execute(
        f"SELECT url, captured_at FROM captures WHERE {selection.where} AND url IN ({marks}) "
        "ORDER BY captured_at LIMIT 1",
        (*selection.params, *HOME_PAGES),
    ).fetchone()
    return {"url": row["url"], "ts": row["captured_at"]} if row is not None else None


def _dependencies(
    archive: Archive, refers: Counter[tuple[str, str]], packaged: set[Path]
) -> tuple[Dependency, ...]:
    """The WARC files outside the package holding the records the revisits refer to."""
    outside: Counter[tuple[str, str | None]] = Counter()
    for (url, when), records in refers.items():
        original = archive.db.execute(
            "SELECT warc_file, run_id FROM captures WHERE url = ? AND captured_at = ? "
            "AND record_type = 'response' LIMIT 1",
            (url, when),
        ).fetchone()
        if original is None:  # not noted in this archive: nothing to name
            continue
        path = locate_warc(archive, original["warc_file"])
        if path is None or path.resolve() not in packaged:
            outside[(original["warc_file"], original["run_id"])] += records
    dependencies = []
    for (warc_file, run_id), records in sorted(outside.items(), key=lambda item: item[0][0]):
        path = locate_warc(archive, warc_file)
        digest, size = _file_digest(path) if path is not None else (None, None)
        dependencies.append(Dependency(Path(warc_file).name, run_id, records, digest, size))
    return tuple(dependencies)


def _file_digest(path: Path) -> tuple[str, int]:
    sha256, size = hashlib.sha256(), 0
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            sha256.update(block)
            size += len(block)
    return "sha256:" + sha256.hexdigest(), size


def _description(
    selection: _Selection,
    warcs: int,
    records: int,
    pages: int,
    dependencies: tuple[Dependency, ...],
) -> str:
    text = (
        f"{_count(pages, 'article')} of vusta.vn and en.vusta.vn ({selection.scope}) as "
        f"vusta-crawler archived them: {_count(warcs, 'WARC file')}, "
        f"{_count(records, 'response and revisit record')}."
    )
    if dependencies:
        referring = sum(dependency.records for dependency in dependencies)
        text += (
            f" {_count(referring, 'revisit record')} refer to earlier captures in "
            f"{_count(len(dependencies), 'WARC file')} outside this package, listed under "
            "`relation.requires`: replay them with those files loaded too."
        )
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
