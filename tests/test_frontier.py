"""The frontier: a sitemap's thousands of article URLs wait as strings, not as queued Requests.

Memory is tested by counting work: the most requests Scrapy's scheduler held at once
(``vusta/scheduler/peak``) stays small however many articles the sitemap names, and every one of
them is still fetched once.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.test_runs import crawl
from tests.test_spider import make_spider
from vusta_crawler import stats
from vusta_crawler.crawl.frontier import Frontier, Waiting
from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.extract.urls import is_article_url
from vusta_crawler.store.archive import Validators


def test_the_frontier_hands_out_the_longest_waiting_first() -> None:
    frontier = Frontier()
    frontier.add(["https://vusta.vn/a-p1.html", "https://vusta.vn/b-p2.html"], referer="s.xml")
    frontier.add(["https://vusta.vn/c-p3.html"])
    assert frontier.peak == 3 and len(frontier) == 3
    assert frontier.take(2) == [
        Waiting("https://vusta.vn/a-p1.html", "s.xml"),
        Waiting("https://vusta.vn/b-p2.html", "s.xml"),
    ]
    assert frontier.take(5) == [Waiting("https://vusta.vn/c-p3.html")]
    assert frontier.take(5) == [] and not frontier and frontier.peak == 3


@pytest.mark.parametrize("articles", [300, 1200])
def test_the_scheduler_holds_a_few_requests_whatever_the_sitemap_names(
    tmp_path: Path, articles: int
) -> None:
    site = tmp_path / "site"
    manifest = build_generated_site(site, articles)
    db, stats_file = tmp_path / "a.sqlite3", tmp_path / "stats.json"
    with MirrorServer(MirrorSite(site)) as server:
        done = crawl(server.url, db, "--stats", str(stats_file))
        requested = [entry.url for entry in server.log.entries]
    assert done.returncode == 0, done.stderr[-3000:]
    counted = json.loads(stats_file.read_text(encoding="utf-8"))
    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert stored == articles, "every article fetched and stored"
    article_requests = [url for url in requested if is_article_url(url)]
    assert len(article_requests) == len(set(article_requests)), "each once"
    assert set(article_requests) == {*manifest["articles"], *manifest["missing"]}
    assert counted[stats.FRONTIER_PEAK] > articles / 2, "the sitemaps named most at once"
    assert counted[stats.SCHEDULER_PEAK] <= 60, "they waited as URLs, not as queued Requests"


def test_a_frontier_request_names_its_sitemap_and_stays_conditional_when_stored() -> None:
    spider = make_spider()
    stored = "https://vusta.vn/a-p1.html"
    spider.state.fetched[stored] = "2026-12-01T02:00:00Z"
    spider.state.recent[stored] = Validators(etag='"v1"')
    new = spider.article_request("https://vusta.vn/b-p2.html", "https://vusta.vn/s.xml")
    assert new.headers.get("Referer") == b"https://vusta.vn/s.xml"
    assert new.callback == spider.parse_article
    again = spider.article_request(stored, "https://vusta.vn/s.xml")
    assert again.headers.get("If-None-Match") == b'"v1"'
    assert again.headers.get("Referer") == b"https://vusta.vn/s.xml"
    assert spider.article_request("https://vusta.vn/c-p3.html").headers.get("Referer") is None
