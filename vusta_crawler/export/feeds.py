"""Exports for archivists: JSON Feed 1.1 and JSON Lines, streamed from the archive.

Items are read from an SQLite cursor and written one at a time, so memory stays flat however
large the archive. UTF-8 throughout, never ``\\u``-escaped.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

from vusta_crawler.export.files import atomic_writer
from vusta_crawler.store.archive import Archive, capture_ref, row_to_item

JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
FEED_TITLE = "VUSTA — Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam (archive)"
HOME_PAGE_URL = "https://vusta.vn/"


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def feed_item(row: sqlite3.Row) -> dict[str, Any]:
    """One archived article as a JSON Feed 1.1 item (VUSTA's own fields under ``_vusta``)."""
    item = row_to_item(row)
    entry: dict[str, Any] = {
        "id": item["url"],
        "url": item["url"],
        "title": item["title"],
        "content_html": item["body_html"],
        "content_text": item["body_text"],
    }
    if item["summary"]:
        entry["summary"] = item["summary"]
    if item["published"]:
        entry["date_published"] = item["published"]
    if row["modified"]:
        entry["date_modified"] = row["modified"]
    if item["authors"]:
        entry["authors"] = [{"name": name} for name in item["authors"]]
    entry["language"] = item["language"]
    if item["section"]:
        entry["tags"] = [item["section"]]
    if item["images"]:
        entry["image"] = item["images"][0]["url"]
    entry["_vusta"] = {
        "article_id": item["article_id"],
        "site": item["site"],
        "published_raw": item["published_raw"],
        "related": item["related"],
        "latest": item["latest"],
        "content_hash": item["content_hash"],
        "fetched_at": item["fetched_at"],
        "capture": capture_ref(row),
    }
    return entry


def page_name(path: Path, number: int) -> Path:
    """``feed.json``, ``feed-2.json``, ``feed-3.json`` … for the pages of a split feed."""
    return path if number == 1 else path.with_name(f"{path.stem}-{number}{path.suffix}")


def write_jsonfeed(
    archive: Archive,
    path: Path,
    *,
    feed_url: str | None = None,
    page_size: int | None = None,
    **filters: Any,
) -> list[Path]:
    """Write the archive as a JSON Feed, newest first; split into pages linked by ``next_url``
    when ``page_size`` is given. ``feed_url`` is where the first page will be published; later
    pages sit beside it (without it, the feed names no ``feed_url`` and links its pages by file
    name: a local path is no URL a reader can use). Each file is written atomically. Returns
    the files written."""
    path = Path(path)
    base = feed_url or path.name
    rows = archive.iter_rows(**filters)
    written: list[Path] = []
    number = 1
    pending = next(rows, None)
    while True:
        target = page_name(path, number)
        url = _beside(base, target.name) if number > 1 else base
        next_url = _beside(base, page_name(path, number + 1).name)
        with atomic_writer(target) as out:
            pending = _write_page(out, rows, pending, url if feed_url else None, next_url,
                                  page_size)  # fmt: skip
        written.append(target)
        if pending is None:
            return written
        number += 1


def write_jsonfeed_stream(
    archive: Archive, out: IO[str], *, feed_url: str | None = None, **filters: Any
) -> None:
    """The whole feed, in one document, to ``out`` (standard output)."""
    rows = archive.iter_rows(**filters)
    _write_page(out, rows, next(rows, None), feed_url, None, None)


def _write_page(
    out: IO[str],
    rows: Iterator[sqlite3.Row],
    pending: sqlite3.Row | None,
    feed_url: str | None,
    next_url: str | None,
    page_size: int | None,
) -> sqlite3.Row | None:
    """One feed document of up to ``page_size`` items; returns the first row left over."""
    out.write("{" + f'"version":{_dumps(JSONFEED_VERSION)},"title":{_dumps(FEED_TITLE)},')
    out.write(f'"home_page_url":{_dumps(HOME_PAGE_URL)},')
    if feed_url:
        out.write(f'"feed_url":{_dumps(feed_url)},')
    out.write('"items":[')
    count = 0
    while pending is not None and (page_size is None or count < page_size):
        out.write(("," if count else "") + "\n" + _dumps(feed_item(pending)))
        count += 1
        pending = next(rows, None)
    out.write("\n]")
    if pending is not None and next_url is not None:
        out.write(f',"next_url":{_dumps(next_url)}')
    out.write("}\n")
    return pending


def _beside(url: str, name: str) -> str:
    """The URL of file ``name`` in the same folder as ``url`` (a bare file name stays one)."""
    return urljoin(url, name)


def write_jsonl_file(archive: Archive, path: Path, **filters: Any) -> int:
    """Write JSON Lines to the file ``path``, atomically; return the number of items."""
    with atomic_writer(Path(path)) as out:
        return write_jsonl(archive, out, **filters)


def iter_jsonl(archive: Archive, **filters: Any) -> Iterator[str]:
    """The archive as JSON Lines: one item of the package's schema per line, with the
    ``capture`` reference of its content's WARC record."""
    for row in archive.iter_rows(**filters):
        yield _dumps({**row_to_item(row), "capture": capture_ref(row)}) + "\n"


def write_jsonl(archive: Archive, out: IO[str], **filters: Any) -> int:
    """Write JSON Lines to ``out``; return the number of items."""
    count = 0
    for line in iter_jsonl(archive, **filters):
        out.write(line)
        count += 1
    return count
