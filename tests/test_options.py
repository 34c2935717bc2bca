"""Spider arguments: a table of bad values and the messages they get."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from vusta_crawler.crawl.options import CrawlOptions, OptionError

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"site": "fr"}, "site must be one of vi, en, all, vusta.vn, en.vusta.vn (got 'fr')"),
        ({"sections": "tin tuc"}, "section 'tin tuc' is not a section path"),
        ({"sections": "../etc"}, "section '../etc' is not a section path"),
        ({"site": "vi", "sections": "en.vusta.vn/news"}, "is on en.vusta.vn, which this crawl"),
        ({"since": "20/11/2026"}, "since must be a date as YYYY-MM-DD (got '20/11/2026')"),
        ({"since": "2027-01-01"}, "since is in the future (2027-01-01)"),
        ({"max_pages": "0"}, "max_pages must be a whole number of at least 1 (got '0')"),
        ({"max_pages": "many"}, "max_pages must be a whole number of at least 1 (got 'many')"),
    ],
)
def test_bad_arguments(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(OptionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        CrawlOptions.parse(**arguments, today=TODAY)


def test_good_arguments() -> None:
    options = CrawlOptions.parse(
        "VI", "tin-tuc, tin-tuc/co-quan-tw.html", "2024-01-31", "3", today=TODAY
    )
    assert options.hosts == ("vusta.vn",)
    assert options.sections_for("vusta.vn") == ("tin-tuc", "tin-tuc/co-quan-tw")
    assert options.since == date(2024, 1, 31) and options.max_pages == 3
    both = CrawlOptions.parse("all", "en.vusta.vn/news,tu-van-phan-bien", today=TODAY)
    # a bare path goes to the hosts that declare it: en.vusta.vn has no tu-van-phan-bien, and
    # asking for it would 404 and (since runs are monitored) fail the run
    assert both.sections_for("en.vusta.vn") == ("news",)
    assert both.sections_for("vusta.vn") == ("tu-van-phan-bien",)
    assert CrawlOptions.parse("all", "tin-tuc/su-kien", today=TODAY).sections == (
        ("vusta.vn", "tin-tuc/su-kien"), ("en.vusta.vn", "tin-tuc/su-kien"),
    ), "an undeclared bare path: every host"  # fmt: skip
    defaults = CrawlOptions.parse(today=TODAY)
    assert defaults.hosts == ("vusta.vn", "en.vusta.vn") and defaults.sections is None


def test_the_cli_refuses_bad_arguments_before_crawling() -> None:
    command = [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--site", "fr"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "site must be one of vi, en, all" in result.stderr
