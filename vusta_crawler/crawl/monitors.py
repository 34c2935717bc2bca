"""The run's monitors (spidermon): run when the spider closes, each failure fails the run (exit 1).

Spidermon's own monitors check the finish reason, item validation against the package's JSON
Schema (``schemas/article.schema.json``, via spidermon's ``ItemValidationPipeline``), logged
errors and exhausted retries; ours check what a VUSTA archive needs: field coverage (a layout
change that empties ``published`` or the link lists must fail the run, not fill the archive
with nulls), article URLs lost, listings that could not be fetched, archive write errors and a
minimum of articles for a full crawl. The thresholds are settings (``VUSTA_MONITOR_*`` in
:mod:`vusta_crawler.settings`). :class:`RecordOutcomes` writes every verdict into the spider's
:class:`~vusta_crawler.crawl.ledger.RunLedger`, where the run's report and exit code read them.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.monitors.mixins.spider import SpiderMonitorMixin
from spidermon.contrib.scrapy.monitors import (
    ErrorCountMonitor,
    FinishReasonMonitor,
    ItemValidationMonitor,
    RetryCountMonitor,
)
from spidermon.core.actions import Action
from spidermon.settings import MONITOR

from vusta_crawler import stats as keys
from vusta_crawler.crawl.ledger import MonitorOutcome

# spidermon 1.27 logs its results through Spider.log(), which Scrapy 2.15 deprecates: theirs.
warnings.filterwarnings("ignore", message=r"Spider\.log\(\) is deprecated", module="spidermon")


class _FailureTracebacks(logging.Filter):
    """spidermon logs each failed monitor's traceback at ERROR; the run's summary already names
    each failed monitor with its message, so the traceback goes to DEBUG (``--log-level
    DEBUG`` shows it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and str(record.msg).startswith("[Spidermon]"):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


logging.getLogger("vusta").addFilter(_FailureTracebacks())  # the spider's logger


class _VustaMonitor(Monitor, SpiderMonitorMixin):
    longMessage = False  # our messages say it all

    def setting(self, name: str) -> Any:
        return self.crawler.settings.get(name)

    def stat(self, name: str) -> int:
        return int(self.data.stats.get(name, 0) or 0)

    @property
    def items(self) -> int:
        return self.stat("item_scraped_count")


@monitors.name("Field coverage")
class FieldCoverageMonitor(_VustaMonitor):
    """Title and body on every item; ``published`` on most; link lists not all empty."""

    def _coverage(self, field: str) -> float:
        return float(self.data.stats.get(keys.FIELD_COVERAGE + field, 0.0) or 0.0)

    def _sample(self) -> bool:
        return self.items >= int(self.setting("VUSTA_MONITOR_MIN_SAMPLE"))

    @monitors.name("title and body_text on every item")
    def test_title_and_body(self) -> None:
        if not self.items:
            return
        for field in ("title", "body_text"):
            share = self._coverage(field)
            self.assertGreaterEqual(share, 1.0, f"{field} on {share:.0%} of the items")

    @monitors.name("published on enough items")
    def test_published(self) -> None:
        if not self._sample():
            return
        least = float(self.setting("VUSTA_MONITOR_MIN_PUBLISHED"))
        share = self._coverage("published")
        self.assertGreaterEqual(
            share, least, f"published on {share:.0%} of {self.items} items (at least {least:.0%})"
        )

    @monitors.name("link lists not all empty")
    def test_link_lists(self) -> None:
        if not self._sample():
            return
        found = self._coverage("related") + self._coverage("latest")
        self.assertGreater(found, 0.0, f"no related or latest links on any of {self.items} items")


@monitors.name("Lost pages")
class LostPagesMonitor(_VustaMonitor):
    """Article URLs that gave no item, pages that failed for good (after retries, or refused),
    and listings that could not be fetched."""

    @monitors.name("few article pages lost")
    def test_lost_articles(self) -> None:
        ledger = self.spider.ledger
        lost = len(ledger.lost) - self.stat(keys.LISTING_FAILED)
        wanted = self.stat(keys.ARTICLES_NEW_URLS) + self.stat(keys.RECHECKED)
        allowed = max(
            int(self.setting("VUSTA_MONITOR_MAX_LOST")),
            int(wanted * float(self.setting("VUSTA_MONITOR_MAX_LOST_SHARE"))),
        )
        reasons = sorted({entry.reason for entry in ledger.lost})
        self.assertLessEqual(
            lost, allowed, f"{lost} of {wanted} article pages lost ({', '.join(reasons)})"
        )

    @monitors.name("no page failed for good")
    def test_failures(self) -> None:
        failed = [entry for entry in self.spider.ledger.lost if entry.failed]
        self.assertFalse(
            failed,
            f"{len(failed)} page(s) failed after retries (the next run asks again): "
            + "; ".join(f"{entry.url} ({entry.reason})" for entry in failed[:5])
            + ("; …" if len(failed) > 5 else ""),
        )

    @monitors.name("every listing fetched")
    def test_listings(self) -> None:
        failed = self.stat(keys.LISTING_FAILED)
        self.assertEqual(failed, 0, f"{failed} listing page(s) could not be fetched")


@monitors.name("Archive")
class ArchiveMonitor(_VustaMonitor):
    """No failed archive write; a full crawl finds at least the expected articles."""

    @monitors.name("no archive write error")
    def test_writes(self) -> None:
        lost = self.stat(keys.ARCHIVE_WRITE_ERROR)
        failures = self.stat(keys.ARCHIVE_WRITE_FAILURES)
        self.assertEqual(failures, 0, f"{failures} archive write(s) failed, {lost} item(s) lost")

    @monitors.name("a full crawl finds enough articles")
    def test_full_crawl_size(self) -> None:
        if not self.spider.options.full:
            return
        least = int(self.setting("VUSTA_MONITOR_MIN_FULL_ARTICLES"))
        self.assertGreaterEqual(
            self.items, least, f"a full crawl found {self.items} articles (at least {least})"
        )


@monitors.name("Captures")
class CaptureMonitor(_VustaMonitor):
    """Every response captured; the QA pass reads the run's articles back from their records."""

    @monitors.name("every response captured")
    def test_writes(self) -> None:
        errors = self.stat(keys.CAPTURE_ERROR)
        self.assertEqual(errors, 0, f"{errors} response(s) could not be written to the WARC files")

    @monitors.name("QA pass: stored articles equal their WARC records")
    def test_quality(self) -> None:
        qa = self.spider.ledger.qa
        if qa is None:
            return
        problems = [f"{d['url']} ({', '.join(d['fields'])})" for d in qa["differences"]]
        problems += [f"{f['url'] or 'the pass'}: {f['reason']}" for f in qa["failed"]]
        self.assertFalse(
            problems,
            f"{len(problems)} of {qa['examined']} sampled article(s) differ from their records: "
            + "; ".join(problems[:5]),
        )


class RecordOutcomes(Action):
    """Every monitor's verdict, into the spider's ledger (the report and exit code read it)."""

    def run_action(self) -> None:
        ledger = self.data.spider.ledger
        for result in self.result.monitor_results:
            if result.status in MONITOR.STATUSES.SUCCESSFUL:
                ledger.monitors.append(MonitorOutcome(result.item.name, True))
                continue
            # a failed assertion's message; for an error, the traceback's last line
            lines = str(result.reason or result.error or "").strip().splitlines()
            ledger.monitors.append(
                MonitorOutcome(result.item.name, False, lines[-1] if lines else "")
            )


class RunMonitorSuite(MonitorSuite):
    monitors = [  # noqa: RUF012 (spidermon's declaration)
        FinishReasonMonitor,
        ItemValidationMonitor,
        ErrorCountMonitor,
        RetryCountMonitor,
        FieldCoverageMonitor,
        LostPagesMonitor,
        ArchiveMonitor,
        CaptureMonitor,
    ]
    monitors_finished_actions = [RecordOutcomes]  # noqa: RUF012
