"""The crawl against a misbehaving mirror: faults lose nothing for good, refusals are named.

Crawls run ``vusta-crawler crawl --mirror …`` in subprocesses against generated sites served by
the fault-injecting mirror (:mod:`vusta_crawler.devtools.faults`) in this process; the mirror's
request log says what was and was not asked for. Faults hit a page's first request only (unless
a test asks for more), so a retry or the next run gets it: what the scheduled-run design relies
on. Seeds are fixed: the same pages get the same faults on every run of the suite.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy.http import HtmlResponse, XmlResponse

from tests.test_runs import command, crawl, report_of
from vusta_crawler.crawl.bodies import truncation
from vusta_crawler.devtools.faults import FaultSpec
from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.extract.urls import is_article_url

FAST = ("-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_BACKOFF_BASE=0.2")
"""A hang (4 s) outlasts the timeout, a trickle (0.5 s) does not; a 5xx slows the host for
0.2 s, not 2 (a 429 for its Retry-After, 1 s): the test's time, not the crawl's behaviour."""
HANG, TRICKLE = 4.0, 0.5


def hashes(db: Path) -> dict[str, str]:
    """The archive's articles: URL → content hash."""
    with sqlite3.connect(db) as connection:
        return dict(connection.execute("SELECT url, content_hash FROM articles"))


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("articles", "aliases", "revisions")}  # fmt: skip


def spec(text: str, attempts: int = 1) -> FaultSpec:
    return FaultSpec.parse(text, attempts=attempts, hang_seconds=HANG, trickle_seconds=TRICKLE)


def assert_nothing_left_the_sites(server: MirrorServer) -> None:
    log = server.log
    assert log.offsite_total == 0 and not log.offsite, sorted(log.offsite)[:5]
    assert set(log.hosts) <= {"vusta.vn", "en.vusta.vn"}, log.hosts


# --- a 500-article site with 20 % transient faults ---------------------------------------------


def generated(factory: pytest.TempPathFactory, name: str, articles: int) -> Path:
    root = factory.mktemp(name) / "site"
    build_generated_site(root, articles)
    return root


def crawled_without_faults(site: Path, factory: pytest.TempPathFactory, name: str) -> Path:
    """The archive of a fault-free crawl of ``site``: what a faulted one must end as."""
    db = factory.mktemp(name) / "a.sqlite3"
    with MirrorServer(MirrorSite(site)) as server:
        done = crawl(server.url, db)
    assert done.returncode == 0, done.stderr[-3000:]
    return db


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(tmp_path_factory, "big", 500)


@pytest.fixture(scope="module")
def fault_free(big_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crawled_without_faults(big_site, tmp_path_factory, "fault-free")


@pytest.fixture(scope="module")
def faulted(big_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The same site with 20 % transient faults and 2 % refused redirects: the first run, and
    the follow-up run (the next scheduled one) when the first could not get everything."""
    db = tmp_path_factory.mktemp("faulted") / "a.sqlite3"
    faults = spec("transient=0.2,redirect_loop=0.01,redirect_offsite=0.01")
    with MirrorServer(MirrorSite(big_site), faults=faults, seed=2026) as server:
        runs = [crawl(server.url, db, *FAST)]
        first_injected = dict(server.faults_injected)
        first_log = list(server.log.entries)
        if runs[0].returncode != 0:
            runs.append(crawl(server.url, db, *FAST))
        reports = [report_of(db, run) for run in runs]
        yield {"db": db, "runs": runs, "reports": reports, "server": server,
               "first_injected": first_injected, "first_log": first_log}  # fmt: skip


def test_faults_of_every_kind_were_injected(faulted: dict[str, Any]) -> None:
    injected = faulted["first_injected"]
    kinds = {"500", "502", "503", "429", "hang", "reset", "truncate", "truncate_nolength",
             "trickle", "redirect_loop", "redirect_offsite"}  # fmt: skip
    assert kinds <= set(injected), injected
    first_requests = sum(1 for entry in faulted["first_log"] if entry.attempt == 1)
    share = sum(1 for e in faulted["first_log"] if e.attempt == 1 and e.fault) / first_requests
    assert 0.17 <= share <= 0.27, share


def test_after_at_most_one_follow_up_run_the_archive_is_the_fault_free_one(
    faulted: dict[str, Any], fault_free: Path
) -> None:
    runs = faulted["runs"]
    assert len(runs) <= 2
    assert runs[-1].returncode == 0, runs[-1].stderr[-3000:]
    assert hashes(faulted["db"]) == hashes(fault_free), "the same articles, the same contents"
    assert counts(faulted["db"]) == counts(fault_free), "each stored once, no revisions"
    assert counts(fault_free)["articles"] >= 500


def test_what_the_first_run_lost_it_lists_by_url_and_reason_and_a_monitor_fails(
    faulted: dict[str, Any],
) -> None:
    report, run = faulted["reports"][0], faulted["runs"][0]
    refused = {e.url for e in faulted["first_log"] if e.attempt == 1
               and e.fault in ("redirect_loop", "redirect_offsite")}  # fmt: skip
    assert refused, "the seed gives the first run refused redirects"
    lost = {e["url"]: e["reason"] for e in report["lost"] if e["reason"] != "http_404"}
    assert set(lost) == refused, "every refused redirect is a lost URL, nothing else is"
    assert set(lost.values()) <= {"redirect_loop", "redirect_offsite"}
    assert report["refused"]["redirect_offsite"] + report["refused"]["redirect_loop"] == len(
        refused
    )
    assert run.returncode == 1 and "Lost pages/no page failed for good" in report["monitors_failed"]
    failed = next(m for m in report["monitors"] if m["name"].startswith("Lost pages/no page"))
    assert "failed after retries" in failed["message"] and next(iter(lost)) in run.stderr
    assert "Refused: " in run.stderr and "Lost for good:" in run.stderr


def test_a_cut_body_is_retried_never_stored(faulted: dict[str, Any], fault_free: Path) -> None:
    report = faulted["reports"][0]
    cut = {e.url for e in faulted["first_log"] if e.fault in ("truncate", "truncate_nolength")}
    assert cut
    assert report["refused"].get("truncated", 0) == 0, "a retry got each one whole"
    stored = hashes(faulted["db"])
    baseline = hashes(fault_free)
    for url in cut:
        if url in baseline:
            assert stored[url] == baseline[url], url


def test_nothing_off_the_two_hosts_was_requested(faulted: dict[str, Any]) -> None:
    server = faulted["server"]
    assert faulted["first_injected"]["redirect_offsite"] > 0
    assert_nothing_left_the_sites(server)


def test_backoff_raised_by_429_relaxes_again(faulted: dict[str, Any]) -> None:
    backoff = faulted["reports"][0]["backoff"]
    assert backoff["raised"] > 0 and backoff["relaxed"] > 0, backoff


# --- small sites: one kind of fault at a time ---------------------------------------------------


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated(tmp_path_factory, "small", 30)


@pytest.fixture(scope="module")
def small_fault_free(small_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return crawled_without_faults(small_site, tmp_path_factory, "small-free")


def test_a_page_that_keeps_failing_is_a_permanent_failure_listed_and_failing_the_run(
    small_site: Path, tmp_path: Path
) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(small_site), faults=spec("503=0.4", 5), seed=4) as server:
        done = crawl(server.url, db, *FAST)
        always = {url for url in server.faulted_last() if server.attempts(url) >= 2}
    report = report_of(db, done)
    assert done.returncode == 1
    lost = {e["url"]: e["reason"] for e in report["lost"] if e["reason"] != "http_404"}
    assert always and set(lost) == always and set(lost.values()) == {"http_503"}
    assert "Lost pages/no page failed for good" in report["monitors_failed"]
    assert all(url not in hashes(db) for url in always)


def test_bodies_cut_short_twice_are_lost_as_truncated_and_never_stored(
    small_site: Path, tmp_path: Path, small_fault_free: Path
) -> None:
    db = tmp_path / "a.sqlite3"
    faults = spec("truncate_nolength=0.5", attempts=2)
    with MirrorServer(MirrorSite(small_site), faults=faults, seed=9) as server:
        done = crawl(server.url, db, *FAST, "--stats", str(tmp_path / "stats.json"))
        cut = set(server.faulted_last())
        first_cut = [e.url for e in server.log.entries if e.fault and e.attempt == 1]
    report = report_of(db, done)
    stats = json.loads((tmp_path / "stats.json").read_text(encoding="utf-8"))
    lost = {e["url"]: e["reason"] for e in report["lost"] if e["reason"] != "http_404"}
    articles = {url for url in cut if is_article_url(url)}
    assert len(articles) >= 3 and set(lost) == cut and set(lost.values()) == {"truncated"}
    assert report["refused"]["truncated"] == len(cut)
    assert stats["retry/reason_count/truncated"] == len(first_cut), "each cut body retried"
    stored, baseline = hashes(db), hashes(small_fault_free)
    assert not articles & set(stored), "a cut page is never stored"
    assert all(stored[url] == baseline[url] for url in stored), "what is stored is whole"


def test_every_offsite_redirect_is_refused_and_reported(small_site: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(
        MirrorSite(small_site), faults=spec("redirect_offsite=0.5"), seed=1
    ) as server:
        done = crawl(server.url, db, *FAST)
        offsite = [e for e in server.log.entries if e.fault == "redirect_offsite"]
        assert_nothing_left_the_sites(server)
    report = report_of(db, done)
    assert len(offsite) >= 8
    assert report["refused"]["redirect_offsite"] == len(offsite) == report["redirects_refused"]
    assert {entry["reason"] for entry in report["lost"]} == {"redirect_offsite"}
    assert done.returncode == 1


# --- bodies too large once decompressed: a gzip bomb as a page and as a sitemap -----------------

BOMB_SIZE = 17 * 1024 * 1024  # over DOWNLOAD_MAXSIZE (16 MiB) once unpacked; 17 KB packed


@pytest.fixture(scope="module")
def bomb_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("bomb") / "site"
    manifest = build_generated_site(root, 20)
    bomb = gzip.compress(b"<html><body>" + b" " * BOMB_SIZE, compresslevel=9)
    (root / "bomb.gz").write_bytes(bomb)
    sitemap_bomb = gzip.compress(b"<?xml version='1.0'?><urlset>" + b" " * BOMB_SIZE)
    (root / "sitemap-bomb.xml.gz").write_bytes(sitemap_bomb)
    first = list(manifest["articles"])[5]  # (not the alias's or the sitemap-only article)
    pages = manifest["pages"]
    pages[first] = {"file": "bomb.gz", "content_type": "text/html; charset=utf-8",
                    "content_encoding": "gzip"}  # fmt: skip
    encoded = "https://vusta.vn/sitemap-encoded.xml"
    pages[encoded] = {"file": "sitemap-bomb.xml.gz", "content_type": "application/xml",
                      "content_encoding": "gzip"}  # fmt: skip
    packed = "https://vusta.vn/sitemap-bomb.xml.gz"
    pages[packed] = {"file": "sitemap-bomb.xml.gz", "content_type": "application/gzip"}
    robots = root / pages["https://vusta.vn/robots.txt"]["file"]
    robots.write_text(robots.read_text() + f"Sitemap: {encoded}\nSitemap: {packed}\n")
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"root": root, "article": first, "sitemaps": {encoded, packed}}


def test_gzip_bombs_are_refused_as_too_large_and_named(
    bomb_site: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(bomb_site["root"])) as server:
        done = crawl(server.url, db)
        asked = set(server.requests)
    assert bomb_site["sitemaps"] | {bomb_site["article"]} <= asked
    report = report_of(db, done)
    lost = {e["url"]: e["reason"] for e in report["lost"] if e["reason"] != "http_404"}
    assert lost == dict.fromkeys([bomb_site["article"], *bomb_site["sitemaps"]], "too_large")
    assert report["refused"]["too_large"] == 3
    assert bomb_site["article"] not in hashes(db)
    assert counts(db)["articles"] >= 19, "the rest of the site is stored"
    assert "Traceback" not in done.stderr


# --- meta refresh ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def refresh_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("refresh") / "site"
    manifest = build_generated_site(root, 20)
    pages, articles = manifest["pages"], list(manifest["articles"])[5:]
    target = articles[1]
    moved = {  # article URL → where its page refreshes to
        articles[0]: "https://evil.example/x-p1.html",
        articles[2]: "https://vusta.vn/tin-tuc.html",
        articles[3]: "http://127.0.0.1:9/",
        articles[4]: target,
    }
    for number, (url, where) in enumerate(moved.items()):
        name = f"refresh-{number}.html"
        (root / name).write_text(
            f'<html><head><meta http-equiv="refresh" content="0; url={where}"><title>Moved'
            "</title></head><body>Moved</body></html>",
            encoding="utf-8",
        )
        pages[url] = {"file": name, "content_type": "text/html; charset=utf-8"}
    (root / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"root": root, "moved": moved, "target": target}


def test_a_meta_refresh_is_followed_only_to_an_article_on_the_sites(
    refresh_site: dict[str, Any], tmp_path: Path
) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(refresh_site["root"])) as server:
        done = crawl(server.url, db)
        assert_nothing_left_the_sites(server)
    report = report_of(db, done)
    assert report["refused"]["meta_refresh"] == 3, report["refused"]
    assert refresh_site["target"] in hashes(db)
    lost = {entry["url"]: entry["reason"] for entry in report["lost"]}
    refused = [
        url for url, where in refresh_site["moved"].items() if where != refresh_site["target"]
    ]
    assert all(lost.get(url, "").startswith("not_article/") for url in refused), lost


# --- the pieces, without a crawl ------------------------------------------------------------

PAGE = b"<!DOCTYPE html><html><head><title>T</title></head><body><p>Text</p></body></html>\n"
MID = PAGE.index(b"Text") + 2  # "…<p>Te": cut mid-element


@pytest.mark.parametrize(
    ("body", "flags", "cut"),
    [
        (PAGE, [], False),
        (PAGE, ["partial"], False),  # no length declared, but whole
        (PAGE[:MID], ["partial"], True),
        (PAGE[:MID], [], True),  # ends mid-element: "<p>Te"
        (PAGE[: PAGE.index(b"</body>")], [], False),  # ends after a tag: cannot tell
        (PAGE[: PAGE.index(b"</body>")], ["partial"], True),
        (PAGE.replace(b"</html>", b""), ["dataloss"], False),  # </body> is there
        (b"", ["partial"], True),
        (b"", [], False),  # an empty page: extraction names it
    ],
)
def test_truncation_reads_the_end_of_an_html_page(body: bytes, flags: list[str], cut: bool) -> None:
    response = HtmlResponse("https://vusta.vn/a-p1.html", body=body, flags=flags)
    assert (truncation(response) is not None) == cut


def test_truncation_of_sitemaps_and_other_statuses() -> None:
    urlset = (
        b"<?xml version='1.0'?><urlset><url><loc>https://vusta.vn/a-p1.html</loc></url></urlset>"
    )
    url = "https://vusta.vn/sitemap.xml"
    assert truncation(XmlResponse(url, body=urlset, flags=["partial"])) is None
    assert truncation(XmlResponse(url, body=urlset[:70], flags=["partial"])) is not None
    assert truncation(HtmlResponse(url, status=500, body=PAGE[:MID], flags=["partial"])) is None


def test_the_crawl_command_takes_settings(small_site: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(small_site)) as server:
        argv = command(server.url, db, "-s", "CLOSESPIDER_PAGECOUNT=3", "--stats",
                       str(tmp_path / "s.json"))  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    stats = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert stats["finish_reason"] == "closespider_pagecount", done.stderr[-2000:]
    assert "CLOSESPIDER_PAGECOUNT" in report_of(db, done)["options"]["set"], "the report says"


# --- paths are the operator's, never the pages' -------------------------------------------


def test_output_paths_are_used_as_given(small_site: Path, tmp_path: Path) -> None:
    """--db, --warc, --report, --stats, --feed land exactly where given (odd names included);
    nothing a page says names a file: the only files are those and the archive's own."""
    work = tmp_path / "a folder" / "Thư mục"
    db, warc = work / "kho lưu trữ.sqlite3", tmp_path / "wärc files"
    report, feed = tmp_path / "r" / "report 1.json", tmp_path / "f" / "feed.json"
    with MirrorServer(MirrorSite(small_site)) as server:
        done = crawl(server.url, db, "--warc", str(warc), "--report", str(report),
                     "--stats", str(tmp_path / "stats.json"), "--feed", str(feed))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    made = {path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file()}
    warc_files = {name for name in made if name.startswith("wärc files/")}
    assert warc_files and all(name.endswith(".warc.gz") for name in warc_files)
    assert made - warc_files == {
        "a folder/Thư mục/kho lưu trữ.sqlite3", "a folder/Thư mục/kho lưu trữ.sqlite3.lock",
        "r/report 1.json", "stats.json", "f/feed.json",
    }  # fmt: skip
    assert json.loads(report.read_text(encoding="utf-8"))["exit_code"] == 0
