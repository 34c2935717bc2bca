"""Scheduled runs as an operator meets them: exit codes, the lock, reports and the runs table,
monitors that fail a run on a layout change, incremental runs and re-checks, interruptions.

Crawls run ``vusta-crawler crawl --mirror …`` in subprocesses against generated mirror sites
served from this process on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from vusta_crawler import patterns
from vusta_crawler.crawl.lock import RunLock
from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.extract import dates
from vusta_crawler.extract.urls import is_article_url
from vusta_crawler.store.archive import Archive

NOW = datetime.now(dates.VN_TZ).replace(microsecond=0)


def command(mirror: str, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror", mirror, "--db",
            str(db), "--no-progress", *extra]  # fmt: skip


def crawl(mirror: str, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(mirror, db, *extra), capture_output=True, text=True, encoding="utf-8", timeout=300
    )


def report_of(db: Path, result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    run_id = re.search(r"^Run (\S+):", result.stderr, re.M)
    assert run_id, result.stderr
    path = db.parent / "runs" / f"{run_id.group(1)}.json"
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return report


@pytest.fixture(scope="module")
def recent_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 articles, the newest an hour old: four published in the last 7 days."""
    root = tmp_path_factory.mktemp("recent") / "site"
    build_generated_site(root, 40, newest=NOW - timedelta(hours=1))
    return root


@pytest.fixture(scope="module")
def first_run(recent_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    work = tmp_path_factory.mktemp("first")
    db = work / "vusta.sqlite3"
    with MirrorServer(MirrorSite(recent_site)) as server:
        result = crawl(server.url, db)
        requested = list(server.requests)
    yield {"db": db, "result": result, "requested": requested, "report": report_of(db, result)}


# --- exit codes ------------------------------------------------------------------------------


def test_exit_0_a_run_that_worked_reports_itself(first_run: dict) -> None:
    result, report = first_run["result"], first_run["report"]
    assert result.returncode == 0, result.stderr
    assert report["status"] == "ok" and report["exit_code"] == 0
    assert report["items"]["new"] == 40 and report["monitors_failed"] == []
    assert report["field_coverage"]["title"] == 1.0 and report["field_coverage"]["published"] == 1.0
    assert {m["name"].split("/")[0] for m in report["monitors"]} >= {
        "Field coverage", "Lost pages", "Archive", "Finish Reason Monitor",
        "Item Validation Monitor",
    }  # fmt: skip
    with Archive(first_run["db"]) as archive:
        row = archive.runs()[0]
        assert row["status"] == "ok" and row["exit_code"] == 0 and row["new"] == 40
        assert json.loads(row["report"])["run_id"] == report["run_id"]
    assert f"Run {report['run_id']}: ok (exit 0)" in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--overlap", "0"], "overlap must be a whole number of at least 1"),
        (["--refresh-days", "soon"], "refresh_days must be a whole number"),
        (["--sections", "tin tuc!"], "is not a section path"),
        (["--feed", "f.json", "--feed-url", "file:///tmp/f.json"], "--feed-url must be"),
        (["--log-level", "LOUD"], "one of CRITICAL, ERROR, WARNING, INFO, DEBUG"),
    ],
)
def test_exit_2_usage_errors_say_what_is_wrong(
    tmp_path: Path, extra: list[str], message: str
) -> None:
    result = crawl("http://127.0.0.1:9", tmp_path / "a.sqlite3", *extra)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_exit_2_for_a_db_that_cannot_be_the_archive(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    Archive(newer).close()
    with sqlite3.connect(newer) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    (tmp_path / "notes.txt").write_text("not a database " * 100)
    for db_path, message in [
        (tmp_path, "is a directory"),
        (newer, "newer than this vusta-crawler"),
        (tmp_path / "notes.txt", "not an archive"),
        (tmp_path / "notes.txt" / "x.sqlite3", "--db"),
    ]:
        result = crawl("http://127.0.0.1:9", db_path)
        assert result.returncode == 2, (db_path, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr


def test_exit_3_when_the_mirror_cannot_be_reached(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    result = crawl("http://127.0.0.1:9", db)
    assert result.returncode == 3, result.stderr
    assert "could not reach the mirror" in result.stderr
    report = report_of(db, result)
    assert report["status"] == "unreachable" and report["download_errors"]


def test_exit_75_while_another_run_holds_the_archive(recent_site: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with RunLock(db, run_id="the-other-run"), MirrorServer(MirrorSite(recent_site)) as server:
        result = crawl(server.url, db)
        assert server.requests == [], "a locked run fetches nothing"
    assert result.returncode == 75
    assert "the-other-run" in result.stderr and "locked" in result.stderr
    # the lock goes with its holder: now the run goes ahead
    with MirrorServer(MirrorSite(recent_site)) as server:
        assert crawl(server.url, db, "--max-pages", "1").returncode == 0


def test_two_runs_started_together_one_waits_out(recent_site: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(recent_site)) as server:
        runs = [subprocess.Popen(command(server.url, db), stderr=subprocess.PIPE, text=True,
                                 encoding="utf-8") for _ in range(2)]  # fmt: skip
        outputs = [run.communicate(timeout=300)[1] for run in runs]
    codes = sorted(run.returncode for run in runs)
    assert codes == [0, 75], outputs
    with Archive(db) as archive:
        assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert archive.count() == 40 and archive.count("runs") == 1


def _slow(site: MirrorSite, seconds: float) -> MirrorSite:
    lookup = site.lookup

    def slow_lookup(url: str) -> tuple[int, bytes, str]:
        time.sleep(seconds)
        return lookup(url)

    site.lookup = slow_lookup  # type: ignore[method-assign]
    return site


def _crashes(stderr: str) -> list[int]:
    """Lines where a traceback starts that is not spidermon's report of a failed monitor
    (``FAIL: <monitor>``, a rule, then the assertion's traceback)."""
    lines = stderr.splitlines()
    return [
        number for number, line in enumerate(lines)
        if line.startswith("Traceback") and not lines[max(number - 2, 0)].startswith("FAIL: ")
    ]  # fmt: skip


def _interrupt(
    server: MirrorServer, run: subprocess.Popen[str], signals: int, after: int = 25
) -> str:
    """Send SIGINT ``signals`` times (0.1 s apart) once ``after`` requests came; stderr."""
    deadline = time.monotonic() + 60
    while len(server.requests) < after and time.monotonic() < deadline:
        time.sleep(0.05)
    for _ in range(signals):
        run.send_signal(signal.SIGINT)
        time.sleep(0.1)
    return run.communicate(timeout=120)[1]


@pytest.mark.parametrize(
    ("signals", "delay", "after", "reason"),
    [(1, 0.05, 25, "shutdown"), (2, 1.0, 50, "forced_shutdown")],
    ids=["once", "twice"],
)
def test_exit_130_on_sigint_stops_cleanly_and_says_so(
    recent_site: Path, tmp_path: Path, signals: int, delay: float, after: int, reason: str
) -> None:
    """Twice (while pages take a second to come) is Scrapy's "forcing unclean shutdown": the
    reactor stops with the spider never closed, and the run must still commit, release the
    archive and say it was interrupted."""
    db = tmp_path / "a.sqlite3"
    with MirrorServer(_slow(MirrorSite(recent_site), delay)) as server:
        run = subprocess.Popen(command(server.url, db), stderr=subprocess.PIPE, text=True,
                               encoding="utf-8")  # fmt: skip
        stderr = _interrupt(server, run, signals, after)
    assert run.returncode == 130, stderr
    assert ": interrupted (exit 130)" in stderr and f"finish reason {reason}" in stderr
    assert not _crashes(stderr), stderr
    with Archive(db) as archive:
        assert archive.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = archive.count()
        row = archive.runs()[0]
        assert row["status"] == "interrupted" and row["exit_code"] == 130
    assert 0 < stored < 40, "what was fetched before the signal is kept"


def _listing_pages(site: Path) -> tuple[set[str], set[str]]:
    """The last listing pages of a generated site (the empty page past each listing's end),
    and the articles that only second and later listing pages show."""
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    links: dict[str, set[str]] = {}
    for url, page in manifest["pages"].items():
        if is_article_url(url) or not patterns.LISTING_PATH_RE.match(urlsplit(url).path):
            continue
        html = (site / page["file"]).read_text(encoding="utf-8")
        found = {urljoin(url, href) for href in re.findall(r'href="([^"]+)"', html)}
        links[url] = {link for link in found if is_article_url(link)}
    later = re.compile(r"\?page=([2-9]|\d\d)")
    ends = {url for url, found in links.items() if not found and links.get(url.split("?")[0])}
    first = set().union(*(found for url, found in links.items() if not later.search(url)))
    deep = set().union(*(found for url, found in links.items() if later.search(url)))
    return ends, deep - first


def _slow_articles(site: MirrorSite, articles: set[str], seconds: float) -> MirrorSite:
    """No sitemap (the listings are all a run has), and ``articles`` take ``seconds``."""
    lookup = site.lookup

    def serve(url: str) -> tuple[int, bytes, str]:
        if "sitemap" in url:
            return 404, b"", "text/plain"
        if url in articles:
            time.sleep(seconds)
        return lookup(url)

    site.lookup = serve  # type: ignore[method-assign]
    return site


def test_an_interrupted_run_marks_no_listing_complete_and_the_next_fetches_the_rest(
    tmp_path: Path,
) -> None:
    """A run interrupted after it read a listing to its end, with articles of that listing
    still to come, must not mark the listing complete: the next run could then stop after the
    first page it has seen whole and never fetch what the stopped run had only scheduled."""
    db, site = tmp_path / "a.sqlite3", tmp_path / "site"
    build_generated_site(site, 120, newest=NOW - timedelta(hours=1))
    ends, deep = _listing_pages(site)
    assert len(ends) == 4 and len(deep) > 32, "four listings; more than two rounds of requests"
    with MirrorServer(_slow_articles(MirrorSite(site), deep, 0.5)) as server:
        run = subprocess.Popen(command(server.url, db), stderr=subprocess.PIPE, text=True,
                               encoding="utf-8")  # fmt: skip
        deadline = time.monotonic() + 60
        while not ends & set(server.requests) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the first listing read to its end
        run.send_signal(signal.SIGINT)
        stderr = run.communicate(timeout=120)[1]
        assert run.returncode == 130, stderr
        with Archive(db) as archive:
            assert archive.count() < 120
            assert archive.db.execute("SELECT count(*) FROM listings").fetchone()[0] == 0
        again = crawl(server.url, db)
    assert again.returncode == 0, again.stderr
    with Archive(db) as archive:
        assert archive.count() == 120, again.stderr
        marked = {tuple(row) for row in archive.db.execute("SELECT host, section FROM listings")}
    read_whole = {(urlsplit(url).hostname, urlsplit(url).path[1:-5]) for url in ends}
    assert read_whole <= marked, "a finished run marks the listings it read to their end"


# --- monitors --------------------------------------------------------------------------------


def _move_markup(site: Path, what: str) -> None:
    """The site's article pages after a redesign: the date line or the body in markup the
    extraction does not know (a client-rendered app: data attributes and JSON state)."""
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    for url in manifest["articles"]:
        page = site / manifest["pages"][url]["file"]
        html = page.read_text(encoding="utf-8")
        if what == "date":
            html = re.sub(r'<div class="date">[^<]*</div>',
                          '<div class="meta" data-ts="1638953520"></div>', html)  # fmt: skip
        else:
            html = re.sub(r'<div class="content">.*?</div>(?=\s*<div class="box">)',
                          '<div id="app"></div><script type="application/json">{}</script>',
                          html, flags=re.S)  # fmt: skip
        page.write_text(html, encoding="utf-8")


@pytest.mark.parametrize(
    ("moved", "monitor"),
    [("date", "Field coverage/published on enough items"),
     ("body", "Lost pages/few article pages lost")],
)  # fmt: skip
def test_exit_1_when_a_layout_change_empties_fields(
    tmp_path: Path, moved: str, monitor: str
) -> None:
    site = tmp_path / "site"
    build_generated_site(site, 30)
    _move_markup(site, moved)
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(site)) as server:
        result = crawl(server.url, db)
    assert result.returncode == 1, result.stderr
    assert f"Monitor failed: {monitor}" in result.stderr
    report = report_of(db, result)
    assert report["status"] == "monitors_failed" and monitor in report["monitors_failed"]
    if moved == "body":
        unread = [e for e in report["lost"] if e["reason"].startswith("not_article/")]
        assert len(unread) == 30, "every article page named as lost, with the reason"
        assert {e["reason"] for e in report["lost"]} - {e["reason"] for e in unread} == {
            "http_404"
        }, "and the site's one missing page"


# --- incremental runs ------------------------------------------------------------------------


def test_a_second_run_fetches_only_listings_heads_and_recent_articles(
    first_run: dict, recent_site: Path, tmp_path: Path
) -> None:
    db = tmp_path / "again.sqlite3"
    db.write_bytes(first_run["db"].read_bytes())
    counts = []
    for _ in range(2):
        with MirrorServer(MirrorSite(recent_site)) as server:
            result = crawl(server.url, db)
            counts.append(len(server.requests))
            rechecked = set(server.not_modified)
        assert result.returncode == 0, result.stderr
    report = report_of(db, result)
    assert counts[0] == counts[1], "two identical runs fetch the same pages"
    recent = {u for u, item in _articles(recent_site).items()
              if datetime.fromisoformat(item["published"]) >= NOW - timedelta(days=7)}  # fmt: skip
    assert len(recent) == 4 and rechecked == recent, "recent articles re-checked, answered 304"
    # per host: robots.txt (once: Scrapy's middleware hands the spider its Sitemap lines), the
    # home page, the sitemap index and its urlset, the page its menu names, the first page of
    # each listing and the one article URL the first run lost (a 404): asked for again
    assert counts[0] == 2 * (1 + 1 + 2 + 1) + 5 + len(recent) + 1
    assert "https://vusta.vn/bai-viet-da-go-bo-p99999.html" in server.requests
    with Archive(db) as archive:
        attempts = archive.db.execute("SELECT url, reason, attempts FROM pending").fetchall()
        assert [tuple(row) for row in attempts] == [
            ("https://vusta.vn/bai-viet-da-go-bo-p99999.html", "http_404", 3)
        ]
    assert report["items"]["not_modified"] == 4 and report["items"]["new"] == 0
    with Archive(db) as archive:
        assert archive.count() == 40 and archive.count("revisions") == 0
        checked = dict(archive.db.execute("SELECT url, fetched_at FROM articles"))
    with Archive(first_run["db"]) as archive:
        before = dict(archive.db.execute("SELECT url, fetched_at FROM articles"))
    later = {url for url in before if checked[url] > before[url]}
    assert later == recent, "a 304 counts as the stored copy's latest fetch"


def _articles(site: Path) -> dict[str, Any]:
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    articles: dict[str, Any] = manifest["articles"]
    return articles


def test_a_changed_site_gives_exactly_its_revisions_and_new_articles(
    first_run: dict, tmp_path: Path
) -> None:
    db = tmp_path / "changed.sqlite3"
    db.write_bytes(first_run["db"].read_bytes())
    site = tmp_path / "site"
    build_generated_site(site, 40, newest=NOW - timedelta(hours=1), added=5, changed=4,
                         changed_at=datetime.now(dates.VN_TZ) + timedelta(minutes=1))  # fmt: skip
    with MirrorServer(MirrorSite(site)) as server:
        result = crawl(server.url, db)
    assert result.returncode == 0, result.stderr
    report = report_of(db, result)
    assert report["items"]["new"] == 5 and report["items"]["updated"] == 4
    with Archive(db) as archive:
        assert archive.count() == 45 and archive.count("revisions") == 4


def test_a_full_run_fetches_every_article_again_and_counts_them(first_run: dict, recent_site: Path,
                                                tmp_path: Path) -> None:  # fmt: skip
    db = tmp_path / "full.sqlite3"
    db.write_bytes(first_run["db"].read_bytes())
    with MirrorServer(MirrorSite(recent_site)) as server:
        result = crawl(server.url, db, "--full")
        fetched = set(server.requests)
    assert set(_articles(recent_site)) <= fetched
    assert report_of(db, result)["items"]["unchanged"] == 40
    # a full crawl of the real site finds thousands: 40 is a site gone wrong
    assert result.returncode == 1
    assert (
        "Monitor failed: Archive/a full crawl finds enough articles: a full crawl found 40 "
        "articles (at least 50)" in result.stderr
    )


def test_runs_and_stats_commands_read_the_archive(first_run: dict) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "vusta_crawler.cli", *args,
                               "--db", str(first_run["db"])],
                              capture_output=True, text=True, encoding="utf-8")  # fmt: skip

    run_id = first_run["report"]["run_id"]
    listing = cli("runs")
    assert listing.returncode == 0 and run_id in listing.stdout and " ok " in listing.stdout
    shown = cli("runs", "show", run_id[:12])
    assert shown.returncode == 0 and json.loads(shown.stdout) == first_run["report"]
    assert cli("runs", "show", "nosuchrun").returncode == 2
    assert cli("runs", "nonsense").returncode == 2
    stats = cli("stats")
    assert stats.returncode == 0 and "40 articles" in stats.stdout
    assert f"Last successful run: {run_id}" in stats.stdout
    by_year = stats.stdout.split("By year published:")[1].split()
    assert sum(map(int, by_year[1::2])) == 40 and str(NOW.year) in by_year[::2]


def test_the_deploy_files_run_the_scheduled_entry_point() -> None:
    import configparser
    import shlex

    from vusta_crawler.cli import build_parser

    deploy = Path(__file__).parent.parent / "deploy"
    service = configparser.ConfigParser(interpolation=None, strict=False)
    service.read(deploy / "vusta-crawler.service")
    assert service["Service"]["SuccessExitStatus"] == "75" and service["Service"]["Restart"] == "no"
    cron = next(
        line for line in (deploy / "vusta-crawler.cron").read_text().splitlines()
        if line and not line.startswith("#")
    )  # fmt: skip
    assert "[ $? -eq 75 ]" in cron
    for line in (service["Service"]["ExecStart"], cron.split("&&", 1)[1].split("||")[0]):
        words = shlex.split(line)
        program = next(i for i, word in enumerate(words) if word.endswith("vusta-crawler"))
        args = build_parser().parse_args(words[program + 1 :])  # the options exist
        assert args.command == "crawl" and args.feed_url.startswith("https://")
    timer = configparser.ConfigParser()
    timer.read(deploy / "vusta-crawler.timer")
    assert timer["Timer"]["OnCalendar"] == "*-*-* 00/6:17:00"
    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).parent.parent / "scrapy.cfg")
    assert cfg["deploy"]["project"] == "vusta_crawler"


def test_sections_restrict_the_run_and_a_missing_listing_fails_it(
    recent_site: Path, tmp_path: Path
) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(MirrorSite(recent_site)) as server:
        result = crawl(server.url, db, "--sections", "tin-tuc/co-quan-tw")
        requested = list(server.requests)
    assert result.returncode == 0, result.stderr
    assert not [u for u in requested if "sitemap" in u], "sitemaps name every section"
    with Archive(db) as archive:
        assert {row["section"] for row in archive.iter_rows()} == {"Cơ quan TW"}
    with MirrorServer(MirrorSite(recent_site)) as server:
        result = crawl(server.url, tmp_path / "b.sqlite3", "--sections", "khong-co")
    assert result.returncode == 1
    assert "Monitor failed: Lost pages/every listing fetched" in result.stderr
