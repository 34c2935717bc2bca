"""Speed, measured side by side in one run (``make bench``); writes benchmarks/results.json.

- ``extract``: on the full-size corpus (``vusta_crawler.devtools.fullsize``: every fixture
  article in a full site's chrome, 40–60 KB a page), the time of our whole extraction (decoding
  the bytes, parsing, the fully loaded item: ``extract_article``) against trafilatura's
  ``bare_extraction(html, with_metadata=True)`` on the same pages, given the decoded text
  (``ratio``, the target); the same on the small fixture pages (``ratio_small``, reported only);
  the floors that bound the ratio (lxml parsing alone, the ItemLoader alone with finished
  values); and where our time goes, stage by stage (``stages_ms``). Rounds interleave the
  contenders, so machine noise hits all alike; each figure is the median round.
- ``dates``: the date fast path (``dates.match_date_line`` and kin, no dateparser for the known
  forms) against ``dateparser.parse(text, languages=["vi"])`` on the fixtures' printed date texts;
  ``fast_path_share`` is the share of those texts the fast path reads by itself.
- ``export_memory``: peak memory of exports of 5,000 and 25,000 archived items.
- ``incremental``: three crawls of a generated 2,000-article mirror (first, unchanged, changed).
- ``capture``: crawl throughput with WARC capture and without, alternating (``overhead``,
  target ≤ 0.10), WARC bytes per article, re-extraction from the captures in articles per
  second against the crawl's pages per second.
- ``crawl``: pages per second of the whole crawl (every pipeline, the archive and WARC capture,
  politeness off) of a generated 5,000-article mirror on loopback against ``scrapy bench``'s,
  alternating (``ratio``, target ≥ 1.0), CPU ms per page and peak RSS (target ≤ 150 MB) of
  the crawl process.
- ``scale``: the same crawl at 20,000 articles against ``crawl``'s figures: throughput within
  10% (``throughput_ratio`` ≥ 0.90) and peak RSS growth ≤ 15% (``rss_growth``).
- ``crawl_settings`` (only when named): the crawl with Scrapy settings changed
  (``SETTINGS_TRIALS``), side by side with the unchanged one.

``python benchmarks/run.py`` runs them all but ``crawl_settings`` and writes results.json
anew; ``python benchmarks/run.py crawl scale`` runs only those and merges their figures and
targets into it.

Absolute times depend on the machine; the ratios are the claim.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vusta_crawler.devtools.fullsize import build_corpus  # noqa: E402
from vusta_crawler.devtools.replay import FIXTURES_DIR, file_response, iter_cases  # noqa: E402
from vusta_crawler.extract import dates  # noqa: E402
from vusta_crawler.extract.article import extract_article  # noqa: E402
from vusta_crawler.extract.dates import parse_rfc3339  # noqa: E402
from vusta_crawler.extract.loader import ArticleLoader  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results.json"
TARGETS = {"extract.ratio": 15.0, "dates.ratio": 300.0, "dates.fast_path_share": 1.0}


def median_round(rounds: int, work: Callable[[], None]) -> float:
    """Seconds of the median of ``rounds`` runs of ``work``."""
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _pages(kind: str) -> list[tuple[bytes, str, str | None, datetime]]:
    """(body, url, content type, fetch time) of the full-size corpus or the fixture pages."""
    if kind == "fullsize":
        return [
            (p.body, p.url, p.content_type, parse_rfc3339(p.fetched_at))
            for p in build_corpus(FIXTURES_DIR)
        ]
    return [
        ((c.path / "page.html").read_bytes(), c.meta["url"], c.meta.get("content_type"),
         parse_rfc3339(c.meta["fetched_at"]))
        for c in iter_cases()
        if c.meta["kind"] == "article"
    ]  # fmt: skip


def _race(pages: list[tuple[bytes, str, str | None, datetime]], rounds: int) -> dict[str, Any]:
    """Ours against trafilatura with metadata, interleaved round by round."""
    import trafilatura

    texts = [file_response(body, url, ctype).text for body, url, ctype, _ in pages]

    def ours() -> None:
        for body, url, ctype, fetched_at in pages:
            extract_article(file_response(body, url, ctype), fetched_at)

    def theirs() -> None:
        for text, (_, url, _, _) in zip(texts, pages, strict=True):
            trafilatura.bare_extraction(text, url=url, with_metadata=True)

    ours(), theirs()  # warm-up: imports, caches
    ours_times, theirs_times = [], []
    for _ in range(rounds):
        ours_times.append(median_round(1, ours))
        theirs_times.append(median_round(1, theirs))
    ms = statistics.median(ours_times) / len(pages) * 1000
    trafilatura_ms = statistics.median(theirs_times) / len(pages) * 1000
    return {
        "pages": len(pages),
        "bytes_median": int(statistics.median(len(p[0]) for p in pages)),
        "ms_per_page": round(ms, 3),
        "trafilatura_ms_per_page": round(trafilatura_ms, 3),
        "ratio": round(trafilatura_ms / ms, 1),
    }


def _floors(pages: list[tuple[bytes, str, str | None, datetime]], rounds: int) -> dict[str, Any]:
    """What no extraction can go below: parsing alone, and loading finished values alone."""
    from vusta_crawler.extract.document import parse_html

    texts = [file_response(body, url, ctype).text.encode() for body, url, ctype, _ in pages]
    items = [extract_article(file_response(*p[:3]), p[3]).item for p in pages]

    def parse() -> None:
        for text in texts:
            parse_html(text)

    def load() -> None:
        for item in items:
            loader = ArticleLoader()
            for name in ("url", "site", "article_id", "language"):
                loader.add_value(name, item.url)
            for name in ("title", "section", "summary", "body_html"):
                loader.add_value(name, getattr(item, name))
            loader.add_value("body_text", (item.body_text or "").split("\n\n"))
            for name in ("authors", "images", "related", "latest"):
                loader.add_value(name, getattr(item, name))
            loader.load_article()

    parse(), load()
    parse_s = statistics.median(median_round(1, parse) for _ in range(rounds))
    load_s = statistics.median(median_round(1, load) for _ in range(rounds))
    return {
        "lxml_parse_ms": round(parse_s / len(pages) * 1000, 3),
        "item_loader_ms": round(load_s / len(pages) * 1000, 3),
    }


def _stages(pages: list[tuple[bytes, str, str | None, datetime]]) -> dict[str, float]:
    """Where our time goes: each step of ``extract_article`` timed on its own (best of 5)."""
    from vusta_crawler.extract import anchors as A
    from vusta_crawler.extract import body as B
    from vusta_crawler.extract import fields as F
    from vusta_crawler.extract import linklists
    from vusta_crawler.extract.document import read_document
    from vusta_crawler.extract.layout import analyse
    from vusta_crawler.extract.urls import canonical_url

    best: dict[str, float] = {}
    for _ in range(5):
        spent: dict[str, float] = {}

        def timed(name: str, work: Callable[..., Any], *args: Any, spent: dict = spent) -> Any:
            start = time.perf_counter()
            value = work(*args)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
            return value

        for body, url, ctype, fetched_at in pages:
            response = file_response(body, url, ctype)
            own = canonical_url(response.url) or url
            doc = timed("decode and parse", read_document, response)
            links = timed("article links", A.read_article_links, doc, own)
            layout = timed("layout pass", analyse, doc.root, links)
            main = timed("main block", A.find_main_block, layout)
            title_el = timed("title", A.find_title_element, doc, layout, main)
            title = A.read_title(doc, title_el)
            date = timed("date line", A.find_date_line, doc, layout, links, title_el, main,
                         fetched_at.astimezone(dates.VN_TZ))  # fmt: skip
            lead = timed("lead", A.find_lead, doc, layout, main)
            box = A.find_date_box(layout, date, lead)
            anchors = A.Anchors(own, fetched_at, doc, layout, links, main, title_el, title, date,
                                lead, box)  # fmt: skip
            body_ = timed("body", B.read_body, anchors)
            timed("body html", B.body_html, anchors, body_)
            timed("section", F.section, anchors)
            timed("link lists", lambda a: (linklists.read_links(a, "related"),
                                           linklists.read_links(a, "latest")), anchors)  # fmt: skip
            timed("whole extraction", extract_article, file_response(body, url, ctype), fetched_at)
        for name, seconds in spent.items():
            best[name] = min(best.get(name, 1e9), seconds)
    return {name: round(seconds / len(pages) * 1000, 3) for name, seconds in best.items()}


def bench_extract(rounds: int) -> dict[str, Any]:
    fullsize = _pages("fullsize")
    small = _pages("fixtures")
    race = _race(fullsize, rounds)
    race_small = _race(small, rounds)
    return {
        **race,
        "rounds": rounds,
        "ratio_small": race_small["ratio"],
        "small": race_small,
        "floors": _floors(fullsize, rounds),
        "stages_ms": _stages(fullsize),
    }


def fixture_date_texts() -> list[str]:
    texts = []
    for case in iter_cases():
        raw = case.expected().get("published_raw")
        if raw:
            texts.append(raw)
    return texts


def bench_dates(rounds: int) -> dict[str, Any]:
    import dateparser

    texts = fixture_date_texts()
    # in Vietnam time, as ArticlePage holds it (converted once per page, not per date)
    fetched_at = parse_rfc3339("2026-11-20T08:00:00Z").astimezone(dates.VN_TZ)

    def fast_reading(text: str) -> dates.DateResult | None:
        return (
            dates.match_date_line(text, fetched_at)
            or dates.match_relative(text, fetched_at)
            or dates.parse_machine_date(text, fetched_at)
        )

    fast_share = sum(fast_reading(t) is not None for t in texts) / len(texts)
    repeat = 20

    def fast() -> None:
        for _ in range(repeat):
            for text in texts:
                fast_reading(text)

    def slow() -> None:
        for text in texts:
            dateparser.parse(text, languages=["vi"])

    fast(), slow()
    fast_times, slow_times = [], []
    for _ in range(rounds):
        fast_times.append(median_round(1, fast) / repeat)
        slow_times.append(median_round(1, slow))
    fast_us = statistics.median(fast_times) / len(texts) * 1e6
    slow_us = statistics.median(slow_times) / len(texts) * 1e6
    return {
        "texts": len(texts),
        "rounds": rounds,
        "fast_us": round(fast_us, 2),
        "dateparser_us": round(slow_us, 1),
        "ratio": round(slow_us / fast_us, 1),
        "fast_path_share": round(fast_share, 3),
    }


def bench_export_memory() -> dict[str, Any]:
    """Peak memory (tracemalloc, which also sees SQLite's allocations) of a JSON Lines and a
    JSON Feed export of archives of 5,000 and 25,000 items: streaming means the larger archive
    needs no more memory than the smaller (SQLite's page cache fills up to its bound first)."""
    import os
    import tempfile
    import tracemalloc

    from vusta_crawler.export.feeds import write_jsonfeed, write_jsonl
    from vusta_crawler.extract.normalize import content_hash
    from vusta_crawler.store.archive import Archive

    items = [c.expected() for c in iter_cases() if c.meta["kind"] == "article"]
    peaks = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in (5000, 25000):
            path = Path(tmp) / f"a{size}.sqlite3"
            with Archive(path, batch_size=5000) as archive:
                for n in range(size):
                    item = dict(items[n % len(items)], url=f"https://vusta.vn/bench-{n}-p{n}.html")
                    item["article_id"] = n
                    item["body_text"] += f" ({n})"
                    item["content_hash"] = content_hash(item["title"], item["body_text"])
                    archive.store(item)
            with Archive(path) as archive, open(os.devnull, "w", encoding="utf-8") as sink:
                tracemalloc.start()
                write_jsonl(archive, sink)
                write_jsonfeed(archive, Path(tmp) / f"feed{size}.json")
                peaks[size] = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
    return {
        "peak_kib_5000_items": round(peaks[5000] / 1024),
        "peak_kib_25000_items": round(peaks[25000] / 1024),
        "ratio_25000_to_5000": round(peaks[25000] / peaks[5000], 2),
    }


def bench_incremental(articles: int = 2000) -> dict[str, Any]:
    """Three ``vusta-crawler crawl`` runs on a generated mirror of ``articles`` articles: the
    first into an empty archive, the second over the unchanged site, the third after 10
    articles changed (sitemap ``lastmod``) and 20 were added. Requests as the mirror counts
    them; seconds of the whole command (start-up included); the second run three times over
    (median seconds; its request count must not vary)."""
    import subprocess
    import tempfile
    from datetime import timedelta

    from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
    from vusta_crawler.devtools.sitegen import build_generated_site
    from vusta_crawler.store.archive import Archive

    now = datetime.now(dates.VN_TZ).replace(microsecond=0)
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        site, changed, db = Path(tmp) / "site", Path(tmp) / "changed", Path(tmp) / "a.sqlite3"
        build_generated_site(site, articles, newest=now - timedelta(hours=1))
        build_generated_site(changed, articles, newest=now - timedelta(hours=1), added=20,
                             changed=10, changed_at=now + timedelta(minutes=5))  # fmt: skip
        # The second run is repeated (three identical runs over the unchanged site): its
        # seconds are the median, its requests must not vary.
        plan = [("first", site), ("second", site), ("second", site), ("second", site),
                ("third", changed)]  # fmt: skip
        seconds_of: dict[str, list[float]] = {}
        requests_of: dict[str, set[int]] = {}
        codes_of: dict[str, list[int]] = {}
        for name, root in plan:
            with MirrorServer(MirrorSite(root)) as server:
                command = [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror",
                           server.url, "--db", str(db), "--no-progress"]  # fmt: skip
                start = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True)
                seconds_of.setdefault(name, []).append(time.perf_counter() - start)
                requests_of.setdefault(name, set()).add(len(server.requests))
                codes_of.setdefault(name, []).append(done.returncode)
            with Archive(db) as archive:
                row = archive.runs(1)[0]
            runs[name] = {"exit_code": max(codes_of[name]), "requests": max(requests_of[name]),
                          "seconds": round(statistics.median(seconds_of[name]), 2),
                          "new": row["new"], "updated": row["updated"]}  # fmt: skip
        runs["second"]["runs"] = len(seconds_of["second"])
        runs["second"]["requests_vary"] = len(requests_of["second"]) > 1
    first, second, third = runs["first"], runs["second"], runs["third"]
    return {
        "articles": articles,
        **runs,
        "requests_ratio": round(second["requests"] / first["requests"], 4),
        "time_ratio": round(second["seconds"] / first["seconds"], 4),
        "third_finds_exactly_10_revisions_and_20_new": third["updated"] == 10
        and third["new"] == 20,
    }


def bench_capture(articles: int = 2000, rounds: int = 2) -> dict[str, Any]:
    """Crawl throughput on a generated mirror of ``articles`` articles with WARC capture (and
    the end-of-run QA pass) and without, alternating, each into a fresh archive: ``overhead``
    = with / without − 1 (pages per second, median round); WARC bytes per article; and
    re-extraction from the captures (``reextract`` over every article, dry run, in process)
    in articles per second against the crawl's pages per second."""
    import subprocess
    import tempfile
    from datetime import timedelta

    from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
    from vusta_crawler.devtools.sitegen import build_generated_site
    from vusta_crawler.store.archive import Archive
    from vusta_crawler.store.reextract import reextract

    now = datetime.now(dates.VN_TZ).replace(microsecond=0)
    rates: dict[str, list[float]] = {"with": [], "without": []}
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        manifest = build_generated_site(site, articles, newest=now - timedelta(hours=1))
        page_bytes = [(site / manifest["pages"][url]["file"]).stat().st_size
                      for url in manifest["articles"]]  # fmt: skip
        for number in range(rounds):
            for mode in ("without", "with") if number % 2 == 0 else ("with", "without"):
                db = Path(tmp) / f"{mode}-{number}" / "a.sqlite3"
                with MirrorServer(MirrorSite(site)) as server:
                    command = [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror",
                               server.url, "--db", str(db), "--no-progress",
                               *(["--no-warc"] if mode == "without" else [])]  # fmt: skip
                    start = time.perf_counter()
                    done = subprocess.run(command, capture_output=True, text=True)
                    elapsed = time.perf_counter() - start
                    assert done.returncode == 0, done.stderr[-2000:]
                    rates[mode].append(len(server.requests) / elapsed)
        captured = Path(tmp) / "with-0" / "a.sqlite3"
        warc_bytes = sum(p.stat().st_size for p in (captured.parent / "warc").glob("*.warc.gz"))
        with Archive(captured) as archive:
            stored = archive.count()
            ids = archive.captured_articles()
            start = time.perf_counter()
            result = reextract(archive, ids, dry_run=True)
            reextract_s = time.perf_counter() - start
    with_rate, without_rate = statistics.median(rates["with"]), statistics.median(rates["without"])
    reextract_rate = result.examined / reextract_s
    return {
        "articles": articles,
        "rounds": rounds,
        "article_page_bytes_mean": round(statistics.mean(page_bytes)),
        "pages_per_s_without": round(without_rate, 1),
        "pages_per_s_with": round(with_rate, 1),
        "overhead": round(without_rate / with_rate - 1, 4),
        "warc_bytes_per_article": round(warc_bytes / stored),
        "reextract_articles_per_s": round(reextract_rate, 1),
        "reextract_equal": result.equal == result.examined == stored,
        "reextract_vs_crawl_pages_per_s": round(reextract_rate / with_rate, 2),
    }


# --- crawl and scale: the whole crawl against `scrapy bench` ---------------------------------

CRAWL_WITH_SETTINGS = (
    "import json, sys\n"
    "from vusta_crawler.crawl import run\n"
    "run.MIRROR_SETTINGS.update(json.loads(sys.argv[1]))\n"
    "from vusta_crawler.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)
"""A crawl child with Scrapy settings laid over the mirror's (``MIRROR_SETTINGS``, applied at
the command line's priority): how the settings trials run the real command, code unchanged."""


def child_env() -> dict[str, str]:
    """The environment of a child: this checkout's package first, no Scrapy project forced."""
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("SCRAPY_SETTINGS_MODULE",
                                                            "SCRAPY_PROJECT")}  # fmt: skip
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def peak_rss_kib(pid: int, stop: Any, every: float = 0.05) -> list[int]:
    """Poll ``VmHWM`` (the peak RSS of the process's own address space, since its exec) of
    ``pid`` until ``stop`` is set; the readings. Not ``ru_maxrss``: a child's starts at its
    parent's peak RSS (Linux carries the forking process's high-water mark over the exec),
    so it would report this process's size (a 20,000-article mirror's manifest) instead."""
    readings: list[int] = []
    status = Path(f"/proc/{pid}/status")
    while not stop.is_set():
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    readings.append(int(line.split()[1]))
        except OSError:
            break
        stop.wait(every)
    return readings


def run_child(command: list[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run ``command``: its wall seconds, its own CPU seconds (``os.wait4``: that process and
    the children it reaped, not this one), its peak RSS (:func:`peak_rss_kib`, read every 50 ms
    until it exits), exit code and stderr."""
    import os
    import subprocess
    import tempfile
    import threading

    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd,
                                env=child_env())  # fmt: skip
        stop, readings = threading.Event(), []
        poller = threading.Thread(target=lambda: readings.extend(peak_rss_kib(proc.pid, stop)))
        poller.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        stop.set()
        poller.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return {
        "exit_code": proc.returncode,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "maxrss_mib": max(readings, default=0) / 1024,
        "stderr": stderr,
    }


def crawl_round(site: Path, db: Path, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """One ``vusta-crawler crawl --mirror`` of ``site`` into ``db`` (WARC capture on, beside
    it; every pipeline; politeness off: ``MIRROR_SETTINGS``), with ``settings`` laid over."""
    import re
    import resource
    from itertools import pairwise

    from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
    from vusta_crawler.store.archive import Archive

    stats_path = db.parent / "stats.json"
    arguments = ["crawl", "--db", str(db), "--no-progress", "--stats", str(stats_path)]
    with MirrorServer(MirrorSite(site)) as server:
        if settings:
            command = [sys.executable, "-c", CRAWL_WITH_SETTINGS, json.dumps(settings)]
        else:
            command = [sys.executable, "-m", "vusta_crawler.cli"]
        command += [*arguments, "--mirror", server.url]
        before = resource.getrusage(resource.RUSAGE_SELF)  # this process: the mirror's threads
        done = run_child(command)
        after = resource.getrusage(resource.RUSAGE_SELF)
        pages = server.log.total
    assert done["exit_code"] == 0, done["stderr"][-2000:]
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    with Archive(db) as archive:
        stored = archive.count()
    mirror_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    # the crawl's progress lines (one a minute): pages per second in each minute, to tell a
    # slowing crawl (a cost growing with the archive) from a noisy machine
    marks = [(0, 0.0)] + [(int(p), float(s)) for p, s in re.findall(
        r"Progress: (\d+) pages, .* pages/s, (\d+) s", done["stderr"])]  # fmt: skip
    minutes = [round((p1 - p0) / (s1 - s0), 1) for (p0, s0), (p1, s1) in pairwise(marks)
               if s1 > s0]  # fmt: skip
    return {
        "pages": pages,
        "stored": stored,
        "wall_s": round(done["wall_s"], 2),
        "pages_per_s": round(pages / done["wall_s"], 2),
        "engine_pages_per_s": round(
            stats["response_received_count"] / stats["elapsed_time_seconds"], 2
        ),
        "cpu_ms_per_page": round(done["cpu_s"] / pages * 1000, 2),
        "peak_rss_mb": round(done["maxrss_mib"], 1),
        "mirror_cpu_ms_per_page": round(mirror_cpu / pages * 1000, 2),
        "pages_per_s_by_minute": minutes,
    }


SCRAPY_BENCH_SETTINGS = {
    # Scrapy's defaults, spelled out: the same concurrency and no delay as MIRROR_SETTINGS
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
}


def scrapy_bench(seconds: int = 20) -> dict[str, Any]:
    """``scrapy bench`` for ``seconds`` (its spider follows every link of tiny generated pages
    from its own Twisted server; no extraction, no items, no storage), run outside any
    project so that no project settings apply: pages per second from its final stats
    (responses / ``elapsed_time_seconds``), and its process's CPU and peak RSS (its bench
    server's CPU included: the command reaps it)."""
    import re
    import tempfile

    command = [sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO",
               "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
               *(f"-s{name}={value}" for name, value in SCRAPY_BENCH_SETTINGS.items())]  # fmt: skip
    with tempfile.TemporaryDirectory() as outside:
        done = run_child(command, cwd=Path(outside))
    assert done["exit_code"] == 0, done["stderr"][-2000:]

    def stat(name: str) -> float:
        found = re.findall(rf"'{name}': ([0-9.]+)", done["stderr"])
        assert found, f"no {name} in the output of scrapy bench"
        return float(found[-1])

    responses = stat("response_received_count")
    return {
        "pages": int(responses),
        "pages_per_s": round(responses / stat("elapsed_time_seconds"), 2),
        "cpu_ms_per_page_with_server": round(done["cpu_s"] / responses * 1000, 2),
        "peak_rss_mb": round(done["maxrss_mib"], 1),
    }


def _generated(tmp: Path, articles: int) -> tuple[Path, float]:
    """A generated mirror of ``articles`` articles under ``tmp``, and its seconds to build."""
    from datetime import timedelta

    from vusta_crawler.devtools.sitegen import build_generated_site

    site = tmp / "site"
    start = time.perf_counter()
    build_generated_site(site, articles, newest=datetime.now(dates.VN_TZ) - timedelta(hours=1))
    return site, time.perf_counter() - start


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over rounds."""
    keys = ("pages_per_s", "engine_pages_per_s", "cpu_ms_per_page", "peak_rss_mb",
            "mirror_cpu_ms_per_page", "wall_s")  # fmt: skip
    return {key: round(statistics.median(r[key] for r in runs), 2) for key in keys}


def bench_crawl(articles: int = 5000, rounds: int = 2, bench_seconds: int = 20,
                variants: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:  # fmt: skip
    """The whole crawl against ``scrapy bench``, alternating round by round: ``scrapy bench``,
    then ``vusta-crawler crawl`` of a generated mirror of ``articles`` articles (every pipeline,
    the archive and WARC capture; politeness off), each into a fresh archive.

    Our pages per second: requests the mirror served / wall seconds of the crawl command
    (start-up, the end-of-run QA pass and the run's recording included: the conservative
    figure, ``ratio``); ``engine_pages_per_s`` is Scrapy's own reckoning (responses /
    ``elapsed_time_seconds``), the way ``scrapy bench``'s figure is made (``ratio_engine``).
    CPU ms per page and peak RSS are the crawl process's own (``os.wait4``); the mirror's CPU
    (this process's threads) is apart. ``variants`` (name: Scrapy settings over the mirror's)
    crawl side by side in each round as well; each figure is the median round."""
    import tempfile

    variants = variants or {"default": {}}
    bench_runs: list[dict[str, Any]] = []
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        site, generation_s = _generated(Path(tmp), articles)
        for number in range(rounds):
            bench_runs.append(scrapy_bench(bench_seconds))
            order = list(variants) if number % 2 == 0 else list(reversed(variants))
            for name in order:
                db = Path(tmp) / f"{name}-{number}" / "a.sqlite3"
                runs[name].append(crawl_round(site, db, variants[name]))
    bench_rate = statistics.median(r["pages_per_s"] for r in bench_runs)
    results: dict[str, Any] = {}
    for name, done in runs.items():
        figures = _summary(done)
        results[name] = {
            **figures,
            "ratio": round(figures["pages_per_s"] / bench_rate, 3),
            "ratio_engine": round(figures["engine_pages_per_s"] / bench_rate, 3),
            "pages": done[0]["pages"],
            "stored": done[0]["stored"],
            "rounds": done,
        }
    default = results.pop("default", None) or results[next(iter(variants))]
    return {
        "articles": articles,
        "rounds": rounds,
        "mirror_generation_s": round(generation_s, 1),
        "settings": {"crawl": MIRROR_SETTINGS_NOTE, "scrapy_bench": SCRAPY_BENCH_SETTINGS},
        "scrapy_bench_pages_per_s": round(bench_rate, 2),
        "scrapy_bench": bench_runs,
        **{k: v for k, v in default.items() if k != "rounds"},
        "crawl_rounds": default["rounds"],
        **({"variants": results} if results else {}),
    }


MIRROR_SETTINGS_NOTE = (
    "vusta_crawler.crawl.run.MIRROR_SETTINGS (CONCURRENT_REQUESTS 16, CONCURRENT_REQUESTS_PER_"
    "DOMAIN 8 for each of vusta.vn and en.vusta.vn, DOWNLOAD_DELAY 0, no AutoThrottle, "
    "RETRY_TIMES 1) over the project's settings (CONCURRENT_ITEMS 8)"
)


def bench_scale(crawl: dict[str, Any], articles: int = 20000, rounds: int = 1) -> dict[str, Any]:
    """The same crawl at ``articles`` articles, against ``crawl`` (the 5,000-article result of
    the same run): throughput ratio (pages per second, large / small) and peak RSS growth."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        site, generation_s = _generated(Path(tmp), articles)
        done = [crawl_round(site, Path(tmp) / f"r{n}" / "a.sqlite3") for n in range(rounds)]
    figures = _summary(done)
    return {
        "articles": articles,
        "rounds": rounds,
        "mirror_generation_s": round(generation_s, 1),
        **figures,
        "pages": done[0]["pages"],
        "stored": done[0]["stored"],
        "compared_with_articles": crawl["articles"],
        "throughput_ratio": round(figures["pages_per_s"] / crawl["pages_per_s"], 3),
        "engine_throughput_ratio": round(
            figures["engine_pages_per_s"] / crawl["engine_pages_per_s"], 3
        ),
        "cpu_ms_per_page_ratio": round(figures["cpu_ms_per_page"] / crawl["cpu_ms_per_page"], 3),
        "rss_growth": round(figures["peak_rss_mb"] / crawl["peak_rss_mb"] - 1, 3),
        "crawl_rounds": done,
    }


TARGETS_AT_MOST = {
    "incremental.requests_ratio": 0.02,
    "incremental.time_ratio": 0.05,
    "capture.overhead": 0.10,
    "crawl.peak_rss_mb": 150.0,
    "scale.rss_growth": 0.15,
}
TARGETS_AT_LEAST = {"crawl.ratio": 1.0, "scale.throughput_ratio": 0.90}

SETTINGS_TRIALS: dict[str, dict[str, Any]] = {
    "default": {},  # the project's CONCURRENT_ITEMS, 8
    "concurrent_items_100": {"CONCURRENT_ITEMS": 100},  # Scrapy's default
    # a measurement only, not a proposal: what spidermon's jsonschema validation of each item
    # (its ItemValidationPipeline) costs, by crawling without it
    "no_item_validation": {
        "ITEM_PIPELINES": {
            "vusta_crawler.store.pipelines.ValidatePipeline": 100,
            "vusta_crawler.store.pipelines.ArchivePipeline": 300,
        },
    },
}
"""``crawl_settings``: Scrapy settings over the mirror's, crawled side by side."""

BENCHES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "extract": lambda done: bench_extract(rounds=7),
    "dates": lambda done: bench_dates(rounds=7),
    "export_memory": lambda done: bench_export_memory(),
    "incremental": lambda done: bench_incremental(),
    "capture": lambda done: bench_capture(),
    "crawl": lambda done: bench_crawl(),
    "scale": lambda done: bench_scale(done["crawl"]),
}
"""What ``make bench`` runs, in this order (``scale`` compares with ``crawl``'s figures)."""

ON_REQUEST: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "crawl_settings": lambda done: bench_crawl(rounds=2, variants=SETTINGS_TRIALS),
}
"""Run only when named: the settings trials (several crawls of 5,000 articles a round)."""


def targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The targets of the benches in ``results``: each with its measured value, met or not."""
    table: dict[str, dict[str, Any]] = {}

    def value(key: str) -> Any:
        bench, name = key.split(".", 1)
        return results[bench][name] if bench in results else None

    for key, target in TARGETS.items():
        if (measured := value(key)) is not None:
            table[key] = {"target": target, "measured": measured, "met": measured >= target}
    for key, target in TARGETS_AT_LEAST.items():
        if (measured := value(key)) is not None:
            table[key] = {"target_at_least": target, "measured": measured,
                          "met": measured >= target}  # fmt: skip
    for key, target in TARGETS_AT_MOST.items():
        if (measured := value(key)) is not None:
            table[key] = {"target_at_most": target, "measured": measured,
                          "met": measured <= target}  # fmt: skip
    if "capture" in results:
        table["capture.reextract_equal"] = {
            "target": "every article read back equal from its capture",
            "measured": results["capture"]["reextract_equal"],
            "met": results["capture"]["reextract_equal"],
        }
    if "incremental" in results:
        incremental = results["incremental"]
        table["incremental.second_runs_fetch_the_same"] = {
            "target": "the same request count in each second run",
            "measured": "varies" if incremental["second"]["requests_vary"] else "the same",
            "met": not incremental["second"]["requests_vary"],
        }
        table["incremental.third_run"] = {
            "target": "10 revisions, 20 new",
            "measured": "{updated} revisions, {new} new".format(**incremental["third"]),
            "met": incremental["third_finds_exactly_10_revisions_and_20_new"],
        }
    return table


def main(argv: list[str] | None = None) -> int:
    """``run.py``: every bench of :data:`BENCHES`, results.json written anew. ``run.py NAME…``:
    only those (``scale`` brings ``crawl``; ``crawl_settings`` only this way), their keys and
    targets merged into the results.json there is."""
    names = sys.argv[1:] if argv is None else argv
    known = {**BENCHES, **ON_REQUEST}
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"run.py: no bench {', '.join(unknown)}; the benches: {', '.join(known)}",
              file=sys.stderr)  # fmt: skip
        return 2
    chosen = set(names) | ({"crawl"} if "scale" in names else set())
    warnings.simplefilter("ignore")
    results: dict[str, Any] = {}
    for name, bench in known.items():
        if (not names and name in BENCHES) or name in chosen:
            results[name] = bench(results)
    table = targets(results)
    if names and RESULTS.exists():
        merged = json.loads(RESULTS.read_text(encoding="utf-8"))
        kept = {key: row for key, row in merged.get("targets", {}).items()
                if key.split(".", 1)[0] not in results}  # fmt: skip
        merged.pop("targets", None)
        results, table = {**merged, **results}, {**kept, **table}
    results["targets"] = table
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0 if all(t["met"] for t in table.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
