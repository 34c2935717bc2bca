"""What a run notes as it goes, beside Scrapy's stats: the URLs lost for good and why, the HTTP
validators of the article pages fetched (for the archive), and the monitors' verdicts.

The spider owns one :class:`RunLedger` (``spider.ledger``); the archive pipeline reads the
validators from it, the monitors' action writes their outcomes into it, and the run's report
is built from it and the stats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vusta_crawler.capture.warc import Capture
from vusta_crawler.store.archive import Validators

GONE_REASONS = frozenset({"http_404", "http_410"})
"""Losses the site itself declares: the page is not there."""


@dataclass(frozen=True)
class LostUrl:
    """A URL the run wanted and did not get: ``reason`` is ``http_404`` or another status
    after retries (``http_503``), a refusal (``redirect_offsite``, ``truncated``, …, see
    :data:`vusta_crawler.stats.REFUSALS`), a download error's type (``DownloadTimeoutError``…),
    or ``not_article/<reason>`` for an article URL with no item."""

    url: str
    reason: str

    @property
    def failed(self) -> bool:
        """A failure to fetch (a fault, a refusal): not a page the site says is gone (404,
        410), nor a fetched page that holds no article."""
        return self.reason not in GONE_REASONS and not self.reason.startswith("not_article/")


@dataclass(frozen=True)
class MonitorOutcome:
    """One monitor's verdict on the run."""

    name: str
    passed: bool
    message: str = ""


@dataclass
class RunLedger:
    lost: list[LostUrl] = field(default_factory=list)
    validators: dict[str, Validators] = field(default_factory=dict)
    # stored articles the site answered 304 for, with when (RFC 3339, UTC): checked, unchanged
    not_modified: dict[str, str] = field(default_factory=dict)
    monitors: list[MonitorOutcome] = field(default_factory=list)
    # WARC records written and not yet noted in the archive; the record of each article page
    captures: list[Capture] = field(default_factory=list)
    article_captures: dict[str, str] = field(default_factory=dict)
    # (host, section path) of the listings this run paged through to their end
    completed_listings: set[tuple[str, str]] = field(default_factory=set)
    # the end-of-run QA pass (Reextraction.as_report()), when the run captured
    qa: dict[str, Any] | None = None

    def take_captures(self) -> list[Capture]:
        taken, self.captures = self.captures, []
        return taken

    def lose(self, url: str, reason: str) -> None:
        self.lost.append(LostUrl(url, reason))

    @property
    def failed_monitors(self) -> list[MonitorOutcome]:
        return [outcome for outcome in self.monitors if not outcome.passed]
