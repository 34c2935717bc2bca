"""Re-extraction: today's extraction run again on the archived articles' WARC captures, offline.

``vusta-crawler reextract`` gives each article whose item now reads differently a revision
(reason ``reextract``): this is how an extraction fix reaches articles already archived, pages
the site has since changed or removed included. The end-of-run QA pass reads a sample of a
run's articles the same way, changing nothing, to prove that what was stored is what the
capture holds.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from scrapy.http import TextResponse

from vusta_crawler.capture.read import CaptureReadError, read_page
from vusta_crawler.extract.article import Extraction, NotAnArticle, extract_article
from vusta_crawler.extract.dates import parse_rfc3339
from vusta_crawler.items import ARTICLE_FIELDS, REQUIRED_FIELDS
from vusta_crawler.store.archive import Archive, row_to_item

COMPARED_FIELDS = tuple(name for name in ARTICLE_FIELDS if name not in ("url", "fetched_at"))
"""The fields compared with the archive: all but the archived URL (the article's identity; an
alias keeps the other) and the fetch time (a 304 moves it; the capture's time does not)."""

Extractor = Callable[[TextResponse, datetime], Extraction]

# Why an article could not be read again (``failed`` reasons; not_article/<reason> also).
NO_RECORD = "no_record"
UNREADABLE = "capture_unreadable"
EXTRACTION_FAILED = "extraction_failed"


@dataclass(frozen=True)
class Difference:
    """An article whose item reads differently from its capture today."""

    url: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Failure:
    url: str
    reason: str
    detail: str = ""


@dataclass
class Reextraction:
    """What a re-extraction found: per article equal, different (by field), or failed."""

    examined: int = 0
    equal: int = 0
    differences: list[Difference] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)

    @property
    def by_field(self) -> dict[str, int]:
        counts = Counter(name for d in self.differences for name in d.fields)
        return {name: counts[name] for name in COMPARED_FIELDS if counts[name]}

    def as_report(self) -> dict[str, object]:
        return {
            "examined": self.examined,
            "equal": self.equal,
            "differ": len(self.differences),
            "by_field": self.by_field,
            "differences": [asdict(d) for d in self.differences],
            "failed": [asdict(f) for f in self.failures],
        }


def differing_fields(stored: dict[str, object], item: dict[str, object]) -> tuple[str, ...]:
    """The compared fields whose values differ (lists compared as the archive keeps them)."""
    return tuple(
        name for name in COMPARED_FIELDS if _plain(stored.get(name)) != _plain(item.get(name))
    )


def _plain(value: object) -> object:
    return json.loads(json.dumps(value, ensure_ascii=False)) if isinstance(value, list) else value


def reread(
    archive: Archive, row: sqlite3.Row, extract: Extractor = extract_article
) -> dict[str, object]:
    """The item of the archived article ``row`` extracted again from its content's capture;
    raises :class:`RereadFailed` with a named reason."""
    if row["capture_id"] is None:
        raise RereadFailed(NO_RECORD, "no capture of its content")
    capture = archive.content_capture(row["capture_id"])
    if capture is None:
        raise RereadFailed(NO_RECORD, f"record {row['capture_id']} is not in the captures table")
    try:
        page = read_page(archive.warc_path(capture.warc_file), capture.offset)
    except CaptureReadError as error:
        raise RereadFailed(UNREADABLE, str(error)) from error
    try:
        extraction = extract(page.response(), parse_rfc3339(page.date))
    except NotAnArticle as error:
        raise RereadFailed(f"not_article/{error.reason}", error.detail) from error
    except Exception as error:  # an extractor bug on one page must not stop the others
        raise RereadFailed(EXTRACTION_FAILED, f"{type(error).__name__}: {error}") from error
    item = asdict(extraction.item)
    for name in REQUIRED_FIELDS:
        if not item.get(name):
            raise RereadFailed(f"missing_{name}", "")
    return item


class RereadFailed(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def reextract(
    archive: Archive,
    articles: Iterable[int],
    *,
    dry_run: bool = False,
    extract: Extractor = extract_article,
) -> Reextraction:
    """Read ``articles`` (row ids) again from their captures; unless ``dry_run``, each that
    differs gets a revision (reason ``reextract``), committed in batches."""
    result = Reextraction()
    for article in articles:
        row = archive.article_row(article)
        if row is None:
            continue
        result.examined += 1
        try:
            item = reread(archive, row, extract)
        except RereadFailed as error:
            result.failures.append(Failure(row["url"], error.reason, error.detail))
            continue
        changed = differing_fields(row_to_item(row), item)
        if not changed:
            result.equal += 1
            continue
        result.differences.append(Difference(row["url"], changed))
        if not dry_run:
            archive.reextracted(article, item)
    if not dry_run:
        archive.commit()
    return result


def qa_sample(archive: Archive, run_id: str, size: int) -> Reextraction:
    """The QA pass: up to ``size`` of the articles whose content run ``run_id`` stored, read
    again from its captures and compared with the archive (nothing is changed)."""
    return reextract(archive, archive.stored_by_run(run_id, size), dry_run=True)
