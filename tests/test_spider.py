"""The spider's article callback: items, and named outcomes for what is not one."""

from __future__ import annotations

import pytest
from scrapy import Request, signals
from scrapy.robotstxt import ProtegoRobotParser
from scrapy.utils.test import get_crawler

from vusta_crawler import stats
from vusta_crawler.crawl.spiders.vusta import VustaSpider
from vusta_crawler.devtools.replay import FIXTURES_DIR, Case
from vusta_crawler.items import ArticleItem


def make_spider() -> VustaSpider:
    spider = get_crawler(VustaSpider)._create_spider()
    assert isinstance(spider, VustaSpider)
    return spider


def callback(spider: VustaSpider, kind: str, name: str) -> list[object]:
    return list(spider.parse_article(Case(FIXTURES_DIR / kind / name).response()))


def test_date_problems_become_stats() -> None:
    spider = make_spider()
    for name, key in [
        ("weekday_mismatch", "vusta/date/weekday_mismatch"),
        ("future_date", "vusta/date/future_date"),
        ("impossible_date", "vusta/date/invalid_date"),
    ]:
        item = callback(spider, "article", name)[0]
        assert isinstance(item, ArticleItem)
        assert item.published is None and item.published_raw, name
        assert spider.crawler.stats.get_value(key) == 1, key


def test_not_articles_are_counted_by_reason() -> None:
    spider = make_spider()
    assert callback(spider, "broken", "widget_only_p66035") == []
    assert callback(spider, "listing", "co_quan_tw_p4") == []
    counted = spider.crawler.stats
    assert counted.get_value(stats.NOT_ARTICLE + "no_title") == 1
    assert counted.get_value(stats.NOT_ARTICLE + "not_article_url") == 1


def test_callback_yields_the_item_then_follows_its_link_lists() -> None:
    response = Case(FIXTURES_DIR / "article" / "seed_form_a").response()
    out = list(make_spider().parse_article(response))
    item, requests = out[0], out[1:]
    assert isinstance(item, ArticleItem)
    assert item.fetched_at == "2026-11-20T08:00:00Z", "the replay's fetch time is kept"
    assert all(isinstance(r, Request) for r in requests)
    expected = [link["url"] for link in item.related + item.latest]
    assert [r.url for r in requests] == expected
    assert all(r.callback.__name__ == "parse_article" for r in requests)


class RecordingEngine:
    """Stands in for the engine: keeps what the spider schedules."""

    def __init__(self) -> None:
        self.scheduled: list[Request] = []

    def crawl(self, request: Request) -> None:
        self.scheduled.append(request)


def test_sitemaps_come_from_the_robots_middlewares_parse() -> None:
    robots = (
        b"User-agent: *\nDisallow: /admin/\n"
        b"Sitemap: https://vusta.vn/sitemap.xml\n"
        b"Sitemap: https://en.vusta.vn/sitemap.xml\n"  # not this run's site
        b"Sitemap: https://evil.example/sitemap.xml\n"
    )
    for sections, expected in [(None, ["https://vusta.vn/sitemap.xml"]), ("tin-tuc", [])]:
        crawler = get_crawler(VustaSpider)
        spider = crawler._create_spider(site="vi", sections=sections)
        engine = RecordingEngine()
        crawler.engine = engine  # type: ignore[assignment]
        parser = ProtegoRobotParser.from_crawler(crawler, robots)
        crawler.signals.send_catch_log(
            signals.robots_parsed, robotparser=parser, request=Request("https://vusta.vn/")
        )
        assert [r.url for r in engine.scheduled] == expected, sections
        assert all(r.callback == spider.parse_sitemap for r in engine.scheduled)


@pytest.mark.parametrize(
    ("lastmod", "changed"),
    [
        ("2026-12-01T10:00:00+07:00", True),  # after the fetch (09:00 Vietnam time)
        ("2026-12-01T08:00:00+07:00", False),
        ("2026-12-01T02:30:00Z", True),  # 09:30 in Vietnam
        ("2026-12-01", True),  # the fetch's day: any moment of it, the fetch's hour or later
        ("2026-11-30", False),  # the day before the fetch
        ("2026-12-02", True),
        ("2026-13-01", False),  # no date: nothing to go on
        ("", False),
        (None, False),
    ],
)
def test_a_sitemap_lastmod_marks_a_stored_article_changed(
    lastmod: str | None, changed: bool
) -> None:
    spider = make_spider()
    url = "https://vusta.vn/a-p1.html"
    spider.state.fetched[url] = "2026-12-01T02:00:00Z"  # 09:00 in Vietnam
    assert spider._changed_since(url, lastmod) is changed
    assert spider._changed_since("https://vusta.vn/unknown-p2.html", lastmod) is False
