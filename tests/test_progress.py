"""The progress extension: what its line says, where it goes (terminal or log)."""

from __future__ import annotations

import logging

import pytest
from scrapy.utils.test import get_crawler

from vusta_crawler import stats
from vusta_crawler.crawl.progress import Progress
from vusta_crawler.crawl.spiders.vusta import VustaSpider


def progress(setting: bool, interval: float = 60.0) -> Progress:
    crawler = get_crawler(
        VustaSpider, {"VUSTA_PROGRESS": setting, "VUSTA_PROGRESS_INTERVAL": interval}
    )
    crawler.stats.open_spider()
    for key, value in [
        ("downloader/response_count", 30),
        ("item_scraped_count", 12),
        (stats.ARCHIVE + "new", 9),
        (stats.ARCHIVE + "updated", 2),
        (stats.ARCHIVE + "unchanged", 1),
        ("downloader/exception_type_count/twisted.internet.error.TimeoutError", 2),
        ("downloader/exception_type_count/builtins.ConnectionResetError", 1),
    ]:
        crawler.stats.set_value(key, value)
    return Progress(crawler)


def test_the_line_counts_pages_articles_errors_and_rate() -> None:
    line = progress(False).line()
    assert line.startswith("30 pages, 12 articles (11 new or updated), 3 errors, ")
    rate = float(line.split(", ")[3].removesuffix(" pages/s"))
    assert rate > 0


def test_a_terminal_gets_one_line_rewritten(capsys: pytest.CaptureFixture[str]) -> None:
    extension = progress(True)
    assert extension.interval == 1.0
    extension.show()
    extension.show()
    extension.closed()
    err = capsys.readouterr().err
    assert err.count("\r30 pages, 12 articles") == 2 and err.endswith("\n")
    assert err.count("\n") == 1, "rewritten in place, one line break at the end"


def test_a_log_gets_a_line_per_interval(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert progress(False, 0).interval == 1.0, "never a busy loop"
    extension = progress(False, 30)
    assert extension.interval == 30.0, "VUSTA_PROGRESS_INTERVAL"
    with caplog.at_level(logging.WARNING, logger="vusta_crawler.crawl.progress"):
        extension.show()
        extension.closed()
    assert [r.getMessage()[:30] for r in caplog.records] == ["Progress: 30 pages, 12 article"]
    assert "\r" not in capsys.readouterr().err
