"""Progress of a long run: a line on stderr, rewritten in place when it is a terminal, or a log
line every ``VUSTA_PROGRESS_INTERVAL`` seconds otherwise (cron and systemd keep logs, not
terminals). ``VUSTA_PROGRESS`` (``--progress/--no-progress``) forces either way.
"""

from __future__ import annotations

import logging
import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from vusta_crawler import stats as keys

logger = logging.getLogger(__name__)


class Progress:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        setting = crawler.settings.get("VUSTA_PROGRESS")
        self.terminal = sys.stderr.isatty() if setting is None else bool(setting)
        interval = crawler.settings.getfloat("VUSTA_PROGRESS_INTERVAL", 60.0)
        self.interval = 1.0 if self.terminal else max(interval, 1.0)  # never a busy loop
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self) -> None:
        self.loop = task.LoopingCall(self.show)
        self.loop.start(self.interval, now=False)

    def closed(self) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if self.terminal:
            sys.stderr.write("\n")

    def line(self) -> str:
        stats = self.crawler.stats
        get = stats.get_value if stats is not None else (lambda key, default=0: default)
        pages = get("downloader/response_count", 0)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        errors = sum(
            value
            for key, value in (stats.get_stats() if stats is not None else {}).items()
            if key.startswith("downloader/exception_type_count/")
        )
        stored = sum(get(keys.ARCHIVE + outcome, 0) for outcome in ("new", "updated"))
        return (
            f"{pages} pages, {get('item_scraped_count', 0)} articles ({stored} new or updated), "
            f"{errors} errors, {pages / elapsed:.1f} pages/s, {elapsed:.0f} s"
        )

    def show(self) -> None:
        if self.terminal:
            sys.stderr.write("\r" + self.line().ljust(79))
            sys.stderr.flush()
        else:
            logger.warning("Progress: %s", self.line())
