"""Running a crawl from the command line: settings, the Scrapy process, the run as a whole.

:func:`scheduled_run` is what ``vusta-crawler crawl`` does each time a timer starts it: take
the archive's lock, crawl, judge the run (spidermon's monitors), write its report and its row
in ``runs``, and give the exit code that tells the truth (:data:`report.EXIT_CODES`).
"""

from __future__ import annotations

import contextlib
import difflib
import json
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from vusta_crawler.capture.repair import Repair, repair, run_of, unfinished_files
from vusta_crawler.crawl.ledger import RunLedger
from vusta_crawler.crawl.lock import Locked, RunLock
from vusta_crawler.crawl.report import (
    EXIT_CODES,
    EXIT_LOCKED,
    EXIT_USAGE,
    FORCED_SHUTDOWN,
    KILLED,
    UNREACHABLE,
    CrawlResult,
    build_report,
    summary,
    write_report,
)
from vusta_crawler.crawl.spiders.vusta import VustaSpider
from vusta_crawler.store.archive import Archive, ArchiveError, RunRecord
from vusta_crawler.store.pipelines import ArchivePipeline

MIRROR_SETTINGS: dict[str, Any] = {
    # The mirror is on this machine: no politeness delays needed, and no retries to wait for.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_TIMES": 1,
}


HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def unreachable_hosts(hosts: tuple[str, ...], timeout: float = 8.0) -> dict[str, str]:
    """Hosts that take no TCP connection on port 443, with the reason (a quick check before
    a live crawl, so that an offline machine hears so at once rather than after retries)."""
    problems = {}
    for host in hosts:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
        except OSError as error:
            problems[host] = error.strerror or type(error).__name__
    return problems


OPTION_SETTINGS = {"VUSTA_DB": "--db", "VUSTA_WARC_DIR": "--warc", "VUSTA_MIRROR": "--mirror",
                   "VUSTA_RUN_ID": "the run", "LOG_LEVEL": "--log-level",
                   "VUSTA_PROGRESS": "--progress"}  # fmt: skip
"""Settings the crawl command sets from its own options (the lock and report follow those)."""


def setting_override(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` of ``crawl -s``: a setting Scrapy or the project knows, its value of the
    kind the default has (a number for a number, 0/1/true/false for a flag); else ValueError
    with a one-line message."""
    name, equals, value = (part.strip() for part in text.partition("="))
    if not equals or not name:
        raise ValueError(f"{text!r} is not NAME=VALUE")
    known = Settings()
    known.setmodule("vusta_crawler.settings")
    if name not in known:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(f"{name}: no such setting{hint}")
    if name in OPTION_SETTINGS:
        raise ValueError(f"{name}: set by {OPTION_SETTINGS[name]}, not -s")
    default = known[name]
    try:
        if isinstance(default, bool):
            Settings({name: value}).getbool(name)
        elif isinstance(default, int | float):
            float(value)
    except ValueError:
        kind = "a flag (0, 1, true, false)" if isinstance(default, bool) else "a number"
        raise ValueError(f"{name}={value!r}: {name} takes {kind}") from None
    if isinstance(default, dict | list):
        raise ValueError(f"{name}: a component table, not set from the command line")
    return name, value


def crawl_settings(
    db: Path, mirror: str | None, log_level: str = "WARNING", run_id: str | None = None,
    progress: bool | None = None, warc: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:  # fmt: skip
    """The project's settings, with the archive path, the run's id, the WARC folder (None: no
    capture), for a mirror its handler, and last the command line's ``-s`` overrides."""
    settings = Settings()
    settings.setmodule("vusta_crawler.settings", priority="project")
    settings.set("VUSTA_DB", str(db), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if run_id:
        settings.set("VUSTA_RUN_ID", run_id, priority="cmdline")
    if progress is not None:
        settings.set("VUSTA_PROGRESS", progress, priority="cmdline")
    settings.set("VUSTA_WARC_DIR", str(warc) if warc else "", priority="cmdline")
    settings.set("VUSTA_SOFTWARE", f"vusta-crawler {version('vusta-crawler')}", priority="cmdline")
    if mirror:
        settings.set("VUSTA_MIRROR", mirror, priority="cmdline")
        settings.update(MIRROR_SETTINGS, priority="cmdline")
    settings.update(overrides or {}, priority="cmdline")
    _unload_disabled(settings)
    return settings


def _unload_disabled(settings: Settings) -> None:
    """Drop the components the project turns off (``None``) from the component dicts.

    Scrapy imports every component its component dicts name, even one set to ``None``, to
    normalize the names; without this a run would load aiohttp for the RemoteControl it never
    starts and tldextract for the cookies it never keeps (a third of a second of every run).
    """
    for name in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES"):
        base, project = settings[f"{name}_BASE"], settings[name]
        for key in [key for key, value in project.items() if value is None]:
            base.pop(key, None)
            del project[key]


def run_crawl(settings: Settings, spider_args: dict[str, Any]) -> CrawlResult:
    """Run the ``vusta`` spider once in this process (Scrapy's reactor starts only once).

    SIGINT or SIGTERM stops it cleanly (Scrapy's shutdown: requests in flight finish, the
    pipelines close, the archive commits); the finish reason is then ``shutdown``. A second
    signal makes Scrapy stop the reactor at once, with the spider never closed: the archive
    is then closed here (what it has is committed) and the reason is ``forced_shutdown``."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(VustaSpider)
    process.crawl(crawler, **spider_args)
    process.start()
    if crawler.stats is not None and crawler.stats.get_value("finish_reason") is None:
        crawler.stats.set_value("finish_reason", FORCED_SHUTDOWN)
        _close_archive(crawler, FORCED_SHUTDOWN)
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    ledger = getattr(crawler.spider, "ledger", None) or RunLedger()
    return CrawlResult({key: _plain(value) for key, value in stats.items()}, ledger)


def _close_archive(crawler: Crawler, reason: str) -> None:
    """Close the archive pipeline of a crawl whose engine never closed the spider."""
    itemproc = getattr(getattr(crawler.engine, "scraper", None), "itemproc", None)
    for pipeline in getattr(itemproc, "middlewares", ()):
        if isinstance(pipeline, ArchivePipeline):
            pipeline.close_spider()
            pipeline.spider_closed(reason)


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def new_run_id() -> str:
    """``20261202T0600Z-1a2b3c``: sortable by start, unique."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunOutcome:
    exit_code: int
    report: dict[str, Any] | None
    text: str


def scheduled_run(
    db: Path, *, mirror: str | None, spider_args: dict[str, Any], log_level: str,
    report_path: Path | None, progress: bool | None, stats_path: Path | None = None,
    warc: Path | None = None, overrides: dict[str, Any] | None = None,
) -> RunOutcome:  # fmt: skip
    """One whole run: lock, crawl, judge, record. Usage problems are the caller's (exit 2)."""
    run_id = new_run_id()
    started = datetime.now(UTC)
    clock = time.monotonic()
    lock = RunLock(db, run_id=run_id, started_at=f"{started:%Y-%m-%dT%H:%M:%SZ}")
    try:
        lock.acquire()
    except Locked as error:
        return RunOutcome(EXIT_LOCKED, None, f"vusta-crawler: {error}; not started")
    except OSError as error:
        return RunOutcome(EXIT_USAGE, None, f"vusta-crawler: --db {db}: {error.strerror or error}")
    try:
        problem = check_archive(db)  # under the lock: migrations run in one process at a time
        if problem:
            return RunOutcome(EXIT_USAGE, None, f"vusta-crawler: {problem}")
        repairs = repair_killed_runs(db, warc)
        settings = crawl_settings(db, mirror, log_level, run_id, progress, warc, overrides)
        result = run_crawl(settings, spider_args)
        with _signals_held():  # a late Ctrl-C must not cost the run its report and row
            given = {**spider_args, **({"set": overrides} if overrides else {})}
            return _record(db, result, run_id, started, clock, mirror, given,
                           report_path, stats_path, repairs)  # fmt: skip
    finally:
        lock.release()


def _record(
    db: Path, result: CrawlResult, run_id: str, started: datetime, clock: float,
    mirror: str | None, spider_args: dict[str, Any], report_path: Path | None,
    stats_path: Path | None, repairs: list[Repair],
) -> RunOutcome:  # fmt: skip
    """Judge a crawl and record it: report file, ``runs`` row, summary text, exit code."""
    if stats_path is not None:
        write_stats(result, stats_path)
    finished = datetime.now(UTC)
    with Archive(db) as archive:
        report = build_report(
            result, run_id=run_id, started_at=f"{started:%Y-%m-%dT%H:%M:%SZ}",
            finished_at=f"{finished:%Y-%m-%dT%H:%M:%SZ}",
            duration=time.monotonic() - clock,
            options={"mirror": mirror, **{k: str(v) for k, v in spider_args.items()}},
            archive=archive,
        )  # fmt: skip
        report["warc_repaired"] = [asdict(found) for found in repairs]
        write_report(report, report_path or default_report_path(db, run_id))
        archive.record_run(
            RunRecord(
                run_id, report["started_at"], report["finished_at"],
                {name: int(count) for name, count in report["items"].items()},
                status=report["status"], finish_reason=report["finish_reason"],
                duration=report["duration_s"], exit_code=report["exit_code"], report=report,
            )
        )  # fmt: skip
        text = summary(report, archive)
    if report["status"] == UNREACHABLE:
        errors = ", ".join(f"{name} ×{count}" for name, count in result.errors().items())
        where = f"the mirror at {mirror}" if mirror else "vusta.vn or en.vusta.vn"
        text += (
            f"\nvusta-crawler: could not reach {where} ({errors or 'no response'}); nothing "
            "was archived.\nTo see the crawler work without the internet, run: make demo"
        )
    return RunOutcome(EXIT_CODES[report["status"]], report, text)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM for the second it takes to record a finished crawl (Scrapy's
    handlers are gone by then, and Python's would abort the write half-way)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in HELD_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def repair_killed_runs(db: Path, warc: Path | None) -> list[Repair]:
    """The WARC files of runs killed before they could record themselves (no ``runs`` row):
    each cut back after its last complete record, and the run recorded as ``killed``."""
    if warc is None or not warc.is_dir():
        return []
    with Archive(db) as archive:
        files = unfinished_files(warc, archive.run_ids())
        last_write = {run_of(path): path.stat().st_mtime for path in files}  # sorted: the last
        repairs = [found for path in files if (found := repair(path)) is not None]
        for run_id, when in sorted(last_write.items()):
            ended = f"{datetime.fromtimestamp(when, UTC):%Y-%m-%dT%H:%M:%SZ}"
            archive.record_run(
                RunRecord(run_id, _started(run_id) or ended, ended, {}, status=KILLED,
                          finish_reason=KILLED)
            )  # fmt: skip
        archive.commit()
    return repairs


def _started(run_id: str) -> str | None:
    """A run id's start time (``20261202T060000Z-1a2b3c``), RFC 3339; None if it has none."""
    try:
        started = datetime.strptime(run_id.split("-", 1)[0], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None
    return f"{started:%Y-%m-%dT%H:%M:%SZ}"


def default_report_path(db: Path, run_id: str) -> Path:
    """``runs/<run id>.json`` beside the database."""
    return db.parent / "runs" / f"{run_id}.json"


def check_archive(db: Path) -> str | None:
    """Why ``db`` cannot be this run's archive (a usage error), or None."""
    if db.exists() and db.is_dir():
        return f"--db {db} is a directory; give the archive file's path"
    try:
        with Archive(db):
            pass
    except ArchiveError as error:
        return str(error)
    except OSError as error:
        return f"--db {db}: {error.strerror or error}"
    return None


def write_stats(result: CrawlResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(result.stats, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )
