"""Item pipelines: validate, then deduplicate and store in the archive.

https://docs.scrapy.org/en/latest/topics/item-pipeline.html
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from vusta_crawler import stats
from vusta_crawler.store.archive import Archive

REQUIRED_FIELDS = ("url", "title", "body_text", "content_hash")
"""An item missing one of these is dropped (stat ``vusta/dropped/missing_<field>``)."""


class ItemDropped(DropItem):
    """A dropped item with a named reason (counted per reason in stats and the summary)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class ValidatePipeline:
    """Drops items that lack what the archive needs, counting each reason."""

    def __init__(self, crawler: Crawler) -> None:
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
                raise ItemDropped(reason, str(adapter.get("url")))
        return item


class ArchivePipeline:
    """Stores items in the SQLite archive (setting ``VUSTA_DB``); counts outcomes."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("VUSTA_DB", "data/vusta.sqlite3")
        self.batch_size = crawler.settings.getint("VUSTA_DB_BATCH", 100)
        self.counts: Counter[str] = Counter()
        self.archive: Archive | None = None
        self.started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.archive = Archive(self.path, batch_size=self.batch_size)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.archive is not None:
            self.archive.record_run(self.started_at, dict(self.counts))
            self.archive.close()

    def process_item(self, item: Any) -> Any:
        if self.archive is None:
            self.open_spider()
        assert self.archive is not None
        outcome = self.archive.store(item)
        self.counts[outcome] += 1
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stats.ARCHIVE + outcome)
        return item
