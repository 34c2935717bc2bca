"""The mirror: serving, the download handler's URL mapping, the host guard, the demo site."""

from __future__ import annotations

import filecmp
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.test import get_crawler

from vusta_crawler.crawl.handlers import mirror_url
from vusta_crawler.crawl.middlewares import HostGuardMiddleware
from vusta_crawler.crawl.spiders.vusta import VustaSpider
from vusta_crawler.devtools import sitegen
from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite, real_url
from vusta_crawler.devtools.sitegen import DEMO_DIR, build_demo_site, build_generated_site


def test_mirror_urls_round_trip() -> None:
    url = "https://en.vusta.vn/news.html?page=2"
    mirrored = mirror_url("http://127.0.0.1:9", url)
    assert mirrored == "http://127.0.0.1:9/en.vusta.vn/news.html?page=2"
    assert real_url(mirrored.removeprefix("http://127.0.0.1:9")) == url


def test_mirror_serves_pages_and_404s() -> None:
    with MirrorServer(MirrorSite(DEMO_DIR)) as server:
        with urllib.request.urlopen(f"{server.url}/vusta.vn/robots.txt") as response:
            assert b"Sitemap: https://vusta.vn/sitemap.xml" in response.read()
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{server.url}/vusta.vn/no-such-page-p1.html")
        assert error.value.code == 404
        error.value.close()
    assert server.requests == [
        "https://vusta.vn/robots.txt",
        "https://vusta.vn/no-such-page-p1.html",
    ]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://vusta.vn/a-p1.html", True),
        ("https://www.vusta.vn/a-p1.html", True),
        ("https://en.vusta.vn/", True),
        ("https://cdn.vusta.vn/a.jpg", False),
        ("https://example.org/", False),
        ("http://127.0.0.1:8000/vusta.vn/", False),
        ("https://vusta.vn.evil.example/", False),
        ("https://vusta.vn:443/tin-tuc.html", True),
        ("http://vusta.vn:80/tin-tuc.html", True),
        ("https://vusta.vn:8443/tin-tuc.html", False),
        ("http://en.vusta.vn:443/", False),
        ("https://vusta.vn:0/", False),
        ("file://vusta.vn/etc/passwd", False),
        ("ftp://vusta.vn/pub/", False),
        ("s3://vusta.vn/bucket", False),
    ],
)
def test_host_guard(url: str, allowed: bool) -> None:
    crawler = get_crawler(VustaSpider)
    guard = HostGuardMiddleware.from_crawler(crawler)
    if allowed:
        assert guard.process_request(Request(url)) is None
    else:
        with pytest.raises(IgnoreRequest):
            guard.process_request(Request(url))
        assert crawler.stats.get_value("vusta/offsite_blocked") == 1


def test_the_bundled_demo_site_is_what_the_builder_makes(tmp_path: Path) -> None:
    manifest = build_demo_site(tmp_path / "site")
    assert manifest == json.loads((DEMO_DIR / "manifest.json").read_text(encoding="utf-8"))
    comparison = filecmp.dircmp(tmp_path / "site" / "pages", DEMO_DIR / "pages")
    assert not comparison.diff_files and not comparison.left_only and not comparison.right_only
    articles = manifest["articles"]
    assert len(articles) >= 60 and {u.split("/")[2] for u in articles} == {
        "vusta.vn",
        "en.vusta.vn",
    }
    listing_pages = [u for u in manifest["pages"] if "?page=3" in u]
    assert len(listing_pages) >= 3, "three sections with three listing pages or more"


def test_a_generated_site_is_deterministic(tmp_path: Path) -> None:
    one = build_generated_site(tmp_path / "one", 150)
    two = build_generated_site(tmp_path / "two", 150)
    assert one == two and len(one["articles"]) == 150
    assert (tmp_path / "one" / "pages" / "0007.html").read_bytes() == (
        tmp_path / "two" / "pages" / "0007.html"
    ).read_bytes()


def lines_run_building(out: Path, articles: int) -> int:
    """How many lines of sitegen.py run (loop iterations included) to build a site: a count of
    work that does not depend on the machine or its load, unlike a time."""
    count = 0

    def count_lines(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal count
        count += event == "line"
        return count_lines

    def only_sitegen(frame: FrameType, event: str, arg: Any) -> Any:
        return count_lines if frame.f_code.co_filename == sitegen.__file__ else None

    previous = sys.gettrace()
    sys.settrace(only_sitegen)
    try:
        build_generated_site(out, articles)
    finally:
        sys.settrace(previous)
    return count


def test_a_generated_site_takes_work_in_proportion_to_its_size(tmp_path: Path) -> None:
    # every article's page once copied the list of all articles to pick its neighbours: four
    # times the articles were some seven times the work at this size (sixteen in the limit)
    small = lines_run_building(tmp_path / "small", 100)
    large = lines_run_building(tmp_path / "large", 400)
    assert large / small < 4.5, f"{small} lines for 100 articles, {large} for 400"


def test_a_generated_site_of_one_article(tmp_path: Path) -> None:
    manifest = build_generated_site(tmp_path / "one", 1)
    [expected] = manifest["articles"].values()
    assert expected["related"] == [] and expected["latest"] == []


def test_retries_back_off_and_the_host_recovers_its_pace() -> None:
    from types import SimpleNamespace

    from scrapy.http import HtmlResponse

    from vusta_crawler.crawl.middlewares import BackoffRetryMiddleware

    crawler = get_crawler(VustaSpider, {"RETRY_BACKOFF_BASE": 2.0, "RETRY_BACKOFF_MAX": 60.0})
    crawler.spider = crawler._create_spider()
    slot = SimpleNamespace(delay=1.0)
    downloader = SimpleNamespace(get_slot_key=lambda request: "vusta.vn", slots={"vusta.vn": slot})
    crawler.engine = SimpleNamespace(downloader=downloader)  # type: ignore[assignment]
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    request = Request("https://vusta.vn/tin-tuc.html")
    busy = HtmlResponse(request.url, status=503, request=request)
    retry = middleware.process_response(request, busy)
    assert isinstance(retry, Request) and slot.delay == 2.0
    again = middleware.process_response(retry, busy)
    assert isinstance(again, Request) and slot.delay == 4.0, "doubled"
    told = HtmlResponse(request.url, status=429, headers={"Retry-After": "30"}, request=request)
    middleware.process_response(request, told)
    assert slot.delay == 30.0, "Retry-After is honoured"
    ok = HtmlResponse(request.url, status=200, request=request)
    assert middleware.process_response(request, ok) is ok and slot.delay == 15.0, "relaxing"
    delays = [middleware.process_response(request, ok) and slot.delay for _ in range(6)]
    assert delays == [7.5, 3.75, 1.875, 1.0, 1.0, 1.0], "halved back to where it was"
    assert crawler.stats.get_value("vusta/backoff") == 3
    assert crawler.stats.get_value("vusta/backoff_relaxed") == 1
    middleware.process_response(request, told)
    assert slot.delay == 30.0, "raised again from its base"
