"""End to end: the real Scrapy engine crawls the bundled mirror over HTTP on 127.0.0.1.

Each crawl runs ``vusta-crawler crawl --mirror …`` in a subprocess (Scrapy's reactor starts
once per process); the mirror runs in this process and records what was asked of it.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

import pytest

from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.replay import FIXTURES_DIR
from vusta_crawler.devtools.sitegen import DEMO_DIR
from vusta_crawler.store.archive import Archive

MANIFEST = json.loads((DEMO_DIR / "manifest.json").read_text(encoding="utf-8"))


def crawl(mirror: str, db: Path, stats: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror", mirror,
        "--db", str(db), "--stats", str(stats), *extra,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", timeout=300)


def expected_item(reference: str | dict[str, Any]) -> dict[str, Any]:
    """The item a crawl must archive: a fixture's expected.json, or the generator's fields."""
    if isinstance(reference, str):
        path = FIXTURES_DIR / reference.removeprefix("fixture:") / "expected.json"
        item: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        item.pop("fetched_at")
        return item
    return reference


@pytest.fixture(scope="module")
def first_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    work = tmp_path_factory.mktemp("crawl")
    with MirrorServer(MirrorSite(DEMO_DIR)) as server:
        result = crawl(server.url, work / "vusta.sqlite3", work / "stats.json")
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    yield {
        "work": work,
        "db": work / "vusta.sqlite3",
        "stats": json.loads((work / "stats.json").read_text(encoding="utf-8")),
        "requested": requested,
        "stdout": result.stdout,
        "stderr": result.stderr,
    }


def test_archive_holds_exactly_the_manifest_articles(first_crawl: dict[str, Any]) -> None:
    with Archive(first_crawl["db"]) as archive:
        urls = [row["url"] for row in archive.iter_rows()]
        assert len(urls) == len(set(urls)), "each article once"
        assert set(urls) == set(MANIFEST["articles"])
        assert len(urls) >= 60


@pytest.mark.parametrize("url", sorted(MANIFEST["articles"]))
def test_archived_fields_equal_the_expected_items(first_crawl: dict[str, Any], url: str) -> None:
    expected = expected_item(MANIFEST["articles"][url])
    with Archive(first_crawl["db"]) as archive:
        stored = archive.get(url)
    assert stored is not None, url
    for name, value in expected.items():
        assert stored[name] == value, f"{url}: field {name!r}"
    assert stored["fetched_at"].endswith("Z")


def test_the_duplicate_url_becomes_an_alias(first_crawl: dict[str, Any]) -> None:
    with Archive(first_crawl["db"]) as archive:
        assert archive.aliases() == MANIFEST["aliases"]
    alias = next(iter(MANIFEST["aliases"]))
    assert alias in first_crawl["requested"], "the alias URL was crawled, then deduplicated"
    assert first_crawl["stats"]["vusta/archive/alias"] == 1


def test_the_404_is_reported_not_stored(first_crawl: dict[str, Any]) -> None:
    missing = MANIFEST["missing"][0]
    assert missing in first_crawl["requested"]
    assert first_crawl["stats"]["downloader/response_status_count/404"] == 1
    assert "404: 1" in first_crawl["stderr"]
    with Archive(first_crawl["db"]) as archive:
        assert archive.get(missing) is None


def test_discovery_uses_robots_sitemaps_and_pagination(first_crawl: dict[str, Any]) -> None:
    requested = first_crawl["requested"]
    assert MANIFEST["sitemap_only"][0] in requested, "an article only the sitemap names"
    assert "https://vusta.vn/tin-tuc.html?page=3" in requested
    assert "https://vusta.vn/tin-tuc.html?page=5" not in requested, (
        "stops on a page with nothing new"
    )
    assert not set(MANIFEST["forbidden"]) & set(requested), "robots.txt is obeyed"
    assert {url.split("/")[2] for url in requested} == {"vusta.vn", "en.vusta.vn"}
    # robots.txt is read once per host, by Scrapy's robots middleware, which hands the spider
    # its Sitemap lines; every page is fetched once.
    assert requested.count("https://vusta.vn/robots.txt") == 1
    assert len(requested) == len(set(requested)), "no page fetched twice"


def test_summary_names_sites_sections_and_outcomes(first_crawl: dict[str, Any]) -> None:
    out = first_crawl["stderr"]
    assert (
        f"{len(MANIFEST['articles'])} new, 0 updated, 0 unchanged (0 by 304), 1 under another URL"
        in out
    )
    assert "Tin tức" in out and "en.vusta.vn" in out and "Dropped: none." in out


def test_a_second_crawl_adds_nothing(first_crawl: dict[str, Any], tmp_path: Path) -> None:
    db = tmp_path / "again.sqlite3"
    shutil.copy(first_crawl["db"], db)
    with MirrorServer(MirrorSite(DEMO_DIR)) as server:
        result = crawl(server.url, db, tmp_path / "stats.json")
    assert result.returncode == 0, result.stderr
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats.get("vusta/archive/new", 0) == 0
    assert stats.get("vusta/archive/updated", 0) == 0
    with Archive(db) as archive:
        assert archive.count() == len(MANIFEST["articles"])
        assert archive.count("revisions") == 0
        assert archive.count("runs") == 2


def test_a_changed_article_adds_one_revision_on_a_full_crawl(
    first_crawl: dict[str, Any], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    shutil.copytree(DEMO_DIR, site)
    url = next(u for u, ref in MANIFEST["articles"].items() if isinstance(ref, dict))
    page = site / MANIFEST["pages"][url]["file"]  # a generated page, inside the site folder
    old_text = MANIFEST["articles"][url]["body_text"].split("\n\n")[-1]
    html = page.read_text(encoding="utf-8")
    printed = escape(old_text)
    assert printed in html
    page.write_text(html.replace(printed, printed + " Bản cập nhật."), encoding="utf-8")
    db = tmp_path / "changed.sqlite3"
    shutil.copy(first_crawl["db"], db)
    with MirrorServer(MirrorSite(site)) as server:
        incremental = crawl(server.url, db, tmp_path / "stats.json")
        assert incremental.returncode == 0, incremental.stderr
        assert url not in server.requests, "an old stored article is not fetched again"
        result = crawl(server.url, db, tmp_path / "stats.json", "--full")
    assert result.returncode == 0, result.stderr
    with Archive(db) as archive:
        assert archive.count("revisions") == 1
        assert archive.count() == len(MANIFEST["articles"])
        stored = archive.get(url)
        assert stored is not None and stored["body_text"].endswith("Bản cập nhật.")
        revision = archive.db.execute("SELECT item FROM revisions").fetchone()[0]
        assert json.loads(revision)["body_text"].endswith(old_text)


def test_spider_arguments_restrict_the_crawl(tmp_path: Path) -> None:
    with MirrorServer(MirrorSite(DEMO_DIR)) as server:
        args = ("--site", "en", "--sections", "news", "--max-pages", "1")
        result = crawl(server.url, tmp_path / "en.sqlite3", tmp_path / "stats.json", *args)
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    assert {url.split("/")[2] for url in requested} == {"en.vusta.vn"}
    assert "https://en.vusta.vn/news.html?page=2" not in requested
    with Archive(tmp_path / "en.sqlite3") as archive:
        assert {row["site"] for row in archive.iter_rows()} == {"en.vusta.vn"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_site_stops_with_a_clear_message(tmp_path: Path) -> None:
    mirror = f"http://127.0.0.1:{closed_port()}"
    result = crawl(mirror, tmp_path / "db.sqlite3", tmp_path / "stats.json")
    assert result.returncode == 3
    assert "could not reach" in result.stderr and "make demo" in result.stderr


def test_scrapy_feed_exports_keep_working(tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    root = Path(__file__).resolve().parent.parent
    with MirrorServer(MirrorSite(DEMO_DIR)) as server:
        command = [
            sys.executable, "-m", "scrapy", "crawl", "vusta", "-O", str(out),
            "-s", f"VUSTA_MIRROR={server.url}", "-s", f"VUSTA_DB={tmp_path / 'db.sqlite3'}",
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
            "-a", "site=en",
        ]  # fmt: skip
        result = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "\\u" not in out.read_text(encoding="utf-8"), "FEED_EXPORT_ENCODING is utf-8"
    en = [url for url in MANIFEST["articles"] if url.startswith("https://en.vusta.vn/")]
    assert sorted(json.loads(line)["url"] for line in lines) == sorted(en)


def test_unreachable_hosts_are_named() -> None:
    from vusta_crawler.crawl.run import unreachable_hosts

    assert set(unreachable_hosts(("127.0.0.1",), timeout=2)) == {"127.0.0.1"}  # nothing on :443


def test_since_stops_paging_a_section_once_its_listing_is_older(tmp_path: Path) -> None:
    def published(url: str) -> str:
        item = expected_item(MANIFEST["articles"][url])
        return str(item["published"] or "")

    def listing_dates(page: int) -> list[str]:
        file = DEMO_DIR / MANIFEST["pages"][f"https://vusta.vn/tin-tuc.html?page={page}"]["file"]
        html = file.read_text(encoding="utf-8")
        return [published(url) for url in MANIFEST["articles"] if f'href="{url}"' in html]

    newest_on_page_2 = max(listing_dates(2))
    since = (date.fromisoformat(newest_on_page_2[:10]) + timedelta(days=1)).isoformat()
    assert max(listing_dates(1))[:10] >= since, "page 1 still has newer articles"
    with MirrorServer(MirrorSite(DEMO_DIR)) as server:
        args = ("--site", "vi", "--sections", "tin-tuc", "--since", since)
        result = crawl(server.url, tmp_path / "db.sqlite3", tmp_path / "stats.json", *args)
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    assert "https://vusta.vn/tin-tuc.html?page=2" in requested
    assert "https://vusta.vn/tin-tuc.html?page=3" not in requested, "page 2 is all older"
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    assert stats["vusta/listing/stopped_by_since"] == 1
