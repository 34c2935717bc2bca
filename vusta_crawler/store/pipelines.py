"""Item pipelines: validate, then deduplicate and store in the archive.

https://docs.scrapy.org/en/latest/topics/item-pipeline.html
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from vusta_crawler import stats
from vusta_crawler.extract.urls import is_article_url
from vusta_crawler.items import REQUIRED_FIELDS
from vusta_crawler.store.archive import Archive, ArchiveWriteError, RunRecord, Validators
from vusta_crawler.store.reextract import Failure, Reextraction, qa_sample

logger = logging.getLogger(__name__)

WRITE_ERROR = "write_error"
"""The drop reason of an item the archive failed to write."""


class ItemDropped(DropItem):
    """A dropped item with a named reason (counted per reason in stats and the summary)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class ValidatePipeline:
    """Drops items that lack what the archive needs, counting each reason."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in REQUIRED_FIELDS:
            if not adapter.get(name):
                reason = f"missing_{name}"
                if self.stats is not None:
                    self.stats.inc_value(stats.DROPPED + reason)
                ledger = getattr(self.crawler.spider, "ledger", None)
                if ledger is not None and adapter.get("url"):
                    ledger.lose(str(adapter.get("url")), f"dropped/{reason}")
                raise ItemDropped(reason, str(adapter.get("url")))
        return item


class ArchivePipeline:
    """Stores items in the SQLite archive (setting ``VUSTA_DB``); counts outcomes.

    The HTTP validators of an item's page come from the spider (``spider.ledger.validators``).
    A failed write is counted (``stats.ARCHIVE_WRITE_ERROR``, one per item lost) and the item
    dropped as ``write_error``; the run goes on. The run's row in ``runs`` is written at close
    (``VUSTA_RUN_ID``; the command line completes it with the run's status and report).

    Listings read to their end are marked complete (so that the next run may stop early on
    them) only when the spider closed with reason ``finished``: a run stopped by a signal or a
    ``CloseSpider`` may not yet have fetched the articles those listings scheduled."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("VUSTA_DB", "data/vusta.sqlite3")
        self.batch_size = crawler.settings.getint("VUSTA_DB_BATCH", 100)
        self.run_id = crawler.settings.get("VUSTA_RUN_ID") or uuid.uuid4().hex[:12]
        self.counts: Counter[str] = Counter()
        self.archive: Archive | None = None
        self.started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self, spider: Spider | None = None) -> None:
        self.archive = Archive(self.path, batch_size=self.batch_size)

    def close_spider(self, spider: Spider | None = None) -> None:
        """Commit, record the lost article URLs and the run's row; the archive stays open for
        :meth:`spider_closed` (spidermon's monitors, on that signal too, see any write error)."""
        if self.archive is None:
            return
        ledger = self._ledger()
        try:
            self._note_captures(ledger)
            self.archive.commit()
        except ArchiveWriteError as error:
            self._write_failed(error)
        finished = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            if ledger is not None:
                lost = [(e.url, e.reason) for e in ledger.lost if is_article_url(e.url)]
                self.archive.record_pending(lost)
                self.archive.confirm_unchanged(ledger.not_modified)
            self.archive.record_run(
                RunRecord(self.run_id, self.started_at, finished, dict(self.counts))
            )
        except Exception as error:  # sqlite3 errors: the run's row is lost, not the articles
            self._write_failed(ArchiveWriteError(f"recording the run: {error}", lost=0))
        self._quality_check(ledger)

    def _quality_check(self, ledger: Any) -> None:
        """The QA pass: a sample of the articles this run stored, read again from its WARC
        records (``VUSTA_QA_SAMPLE``) and compared with the archive; counted in stats."""
        size = self.crawler.settings.getint("VUSTA_QA_SAMPLE", 0)
        if self.archive is None or not size or not self.crawler.settings.get("VUSTA_WARC_DIR"):
            return
        try:
            result = qa_sample(self.archive, self.run_id, size)
        except Exception as error:  # a bug here must not cost the run its report
            logger.error("The QA pass failed: %s", error)
            result = Reextraction(failures=[Failure("", "qa_pass_failed", str(error))])
        self._inc(stats.QA_EXAMINED, result.examined)
        self._inc(stats.QA_EQUAL, result.equal)
        for name, count in result.by_field.items():
            self._inc(stats.QA_DIFFER + name, count)
        for failure in result.failures:
            self._inc(stats.QA_FAILED + failure.reason)
        for difference in result.differences:
            logger.warning("QA: %s reads differently from its WARC record: %s",
                         difference.url, ", ".join(difference.fields))  # fmt: skip
        if ledger is not None:
            ledger.qa = result.as_report()

    def spider_closed(self, reason: str) -> None:
        """Mark the listings read whole complete if the run finished, then let go of the file."""
        if self.archive is None:
            return
        ledger = self._ledger()
        try:
            # a lost batch's URLs are unknown: its listings must be read whole again
            if (
                reason == "finished"
                and ledger is not None
                and ledger.completed_listings
                and not self._stat(stats.ARCHIVE_WRITE_ERROR)
            ):
                self.archive.mark_listings_complete(ledger.completed_listings)
                self.archive.commit()
        except Exception as error:  # the next run reads those listings whole: nothing lost
            logger.warning("Could not mark the listings read whole as complete: %s", error)
        finally:
            with contextlib.suppress(Exception):  # let go of the file whatever happened
                self.archive.close()
            self.archive = None

    def _note_captures(self, ledger: Any) -> None:
        """Note the WARC records written since the last item, in the open batch."""
        if self.archive is not None and ledger is not None and ledger.captures:
            self.archive.record_captures(ledger.take_captures(), self.run_id)

    def _ledger(self) -> Any:
        return getattr(self.crawler.spider, "ledger", None)

    def process_item(self, item: Any) -> Any:
        if self.archive is None:
            self.open_spider()
        assert self.archive is not None
        url = str(ItemAdapter(item).get("url"))
        ledger = self._ledger()
        known: dict[str, Validators] = ledger.validators if ledger is not None else {}
        try:
            self._note_captures(ledger)
            capture = ledger.article_captures.pop(url, None) if ledger is not None else None
            outcome = self.archive.store(item, known.pop(url, None), capture)
        except ArchiveWriteError as error:
            self._write_failed(error)
            if ledger is not None:
                ledger.lose(url, WRITE_ERROR)
            raise ItemDropped(WRITE_ERROR, url) from error
        self.counts[outcome] += 1
        self._inc(stats.ARCHIVE + outcome)
        return item

    def _write_failed(self, error: ArchiveWriteError) -> None:
        logger.error("Archive write failed (%d item(s) not archived): %s", error.lost, error)
        self._inc(stats.ARCHIVE_WRITE_ERROR, error.lost)
        self._inc(stats.ARCHIVE_WRITE_FAILURES)

    def _stat(self, key: str) -> int:
        return int(self.crawler.stats.get_value(key, 0)) if self.crawler.stats is not None else 0

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None and count:
            self.crawler.stats.inc_value(key, count)
