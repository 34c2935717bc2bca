"""The ``vusta-crawler`` command: crawl, demo, mirror, export, parse saved pages, fixtures."""

from __future__ import annotations

import argparse
import difflib
import json
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from parsel import Selector

from vusta_crawler import patterns
from vusta_crawler.devtools.replay import FIXTURES_DIR, dump_json, file_response, iter_cases, replay
from vusta_crawler.extract.article import NotAnArticle, extract_article
from vusta_crawler.extract.dates import parse_rfc3339


def page_url(body: bytes) -> str | None:
    """The URL a saved page names for itself: ``<link rel=canonical>``, else ``og:url``."""
    selector = Selector(body=body, type="html")
    for query in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        found = selector.xpath(query).get()
        if found and found.strip().startswith("http"):
            return found.strip()
    return None


BAD_INPUT = ("unreadable", "not_html")
"""``parse`` errors that are the input's, not the page's: exit 2 rather than 1."""


def looks_like_html(body: bytes) -> bool:
    """Markup of an HTML page in the first 64 KiB, and no NUL byte (binary files have them;
    UTF-16 pages are not served here). A blank file passes: it is an empty page
    (``not_article/empty_page``), which servers do send."""
    head = body[:65536]
    if not head.strip():
        return True
    return b"\x00" not in head and patterns.HTML_MARKUP.search(head) is not None


def parse_file(path: Path, url: str | None, fetched_at: datetime) -> dict[str, object]:
    """One saved page as an item dict, or ``{"file", "error", "reason"}``."""
    try:
        body = path.read_bytes()
    except OSError as error:
        return {"file": str(path), "error": "unreadable", "reason": error.strerror or str(error)}
    if not looks_like_html(body):
        reason = "no HTML markup in it (a binary or plain-text file?)"
        return {"file": str(path), "error": "not_html", "reason": reason}
    url = url or page_url(body)
    if not url:
        return {"file": str(path), "error": "no_url", "reason": "give --url: the page names none"}
    try:
        extraction = extract_article(file_response(body, url), fetched_at)
    except NotAnArticle as error:
        return {"file": str(path), "error": "not_article", "reason": error.reason}
    except Exception as error:  # a bug met on one page must not stop the files after it
        reason = f"{type(error).__name__}: {error}"
        return {"file": str(path), "error": "extraction_failed", "reason": reason}
    for warning in extraction.warnings:
        print(f"warning: {path}: {warning.message}", file=sys.stderr)
    return asdict(extraction.item)


def cmd_parse(args: argparse.Namespace) -> int:
    fetched_at = parse_rfc3339(args.fetched_at) if args.fetched_at else datetime.now(UTC)
    failed = bad = 0
    for name in args.files:
        result = parse_file(Path(name), args.url, fetched_at)
        failed += "error" in result
        if result.get("error") in BAD_INPUT:
            bad += 1
            print(f"vusta-crawler: {name}: {result['error']}: {result['reason']}", file=sys.stderr)
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    return 2 if bad else 1 if failed else 0


def cmd_fixture_update(args: argparse.Namespace) -> int:
    root = Path(args.root)
    if not root.is_dir():
        print(f"vusta-crawler: no fixtures folder at {args.root}", file=sys.stderr)
        return 2
    cases = list(iter_cases(root))
    known = {case.name for case in cases} | {case.path.name for case in cases}
    unknown = [name for name in args.cases if name not in known]
    if unknown:
        print(f"vusta-crawler: no fixture case {', '.join(unknown)} in {root}", file=sys.stderr)
        return 2
    changed = 0
    for case in cases:
        if args.cases and case.name not in args.cases and case.path.name not in args.cases:
            continue
        new = dump_json(replay(case))
        old = case.expected_path.read_text(encoding="utf-8") if case.expected_path.exists() else ""
        if new == old:
            continue
        changed += 1
        case.expected_path.write_text(new, encoding="utf-8")
        diff = difflib.unified_diff(
            old.splitlines(), new.splitlines(), f"a/{case.name}", f"b/{case.name}", lineterm=""
        )
        print("\n".join(diff))
    print(f"{changed} expected.json file(s) rewritten: review the diff before committing.")
    return 0


def cmd_fixture_save(args: argparse.Namespace) -> int:
    from vusta_crawler.capture.read import CaptureReadError
    from vusta_crawler.devtools.savecase import SaveError, save_case

    if not Path(args.root).is_dir():
        print(f"vusta-crawler: no fixtures folder at {args.root}", file=sys.stderr)
        return 2
    archive = _open_archive(args.db)
    if archive is None:
        return 2
    with archive:
        try:
            case = save_case(archive, args.ref, Path(args.root), args.name, args.force)
        except (SaveError, CaptureReadError) as error:
            print(f"vusta-crawler: {error}", file=sys.stderr)
            return 2
    outcome = case.expected()
    what = f"error {outcome['reason']}" if "error" in outcome else f"title {outcome['title']!r}"
    print(f"Saved {case.path} ({what}): review its expected.json before committing.")
    return 0


DEFAULT_DB = Path("data/vusta.sqlite3")
LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")


def _spider_args(args: argparse.Namespace) -> dict[str, Any]:
    names = ("site", "sections", "since", "max_pages", "refresh_days", "overlap")
    found = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    if isinstance(found.get("sections"), list):  # --section given more than once
        found["sections"] = ",".join(found["sections"])
    if getattr(args, "full", False):
        found["full"] = True
    return found


def _usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the crawl's options or its ``--db`` (exit 2), or None."""
    from vusta_crawler.crawl.options import CrawlOptions, OptionError

    try:
        CrawlOptions.parse(**_spider_args(args))
    except OptionError as error:
        return str(error)
    if args.warc and args.no_warc:
        return "--warc and --no-warc: choose one"
    if args.warc and Path(args.warc).exists() and not Path(args.warc).is_dir():
        return f"--warc {args.warc} is a file; give the folder for the WARC files"
    return _feed_url_problem(args.feed_url)  # the archive is checked once the run holds its lock


def _feed_url_problem(feed_url: str | None) -> str | None:
    if feed_url and not feed_url.startswith(("https://", "http://")):
        return f"--feed-url must be the feed's public http(s) URL (got {feed_url!r})"
    return None


def _warc_dir(args: argparse.Namespace, db: Path) -> Path | None:
    """Where the run's WARC files go: ``--warc``, else ``warc/`` beside the database."""
    if args.no_warc:
        return None
    return Path(args.warc) if args.warc else db.parent / "warc"


def _crawl_and_report(args: argparse.Namespace, mirror: str | None) -> int:
    from vusta_crawler.crawl.report import EXIT_USAGE, UNREACHABLE
    from vusta_crawler.crawl.run import scheduled_run
    from vusta_crawler.export.feeds import write_jsonfeed, write_jsonl_file
    from vusta_crawler.store.archive import Archive

    problem = _usage_problem(args)
    if problem:
        print(f"vusta-crawler: {problem}", file=sys.stderr)
        return EXIT_USAGE
    db = Path(args.db)
    outcome = scheduled_run(
        db, mirror=mirror, spider_args=_spider_args(args), log_level=args.log_level,
        report_path=Path(args.report) if args.report else None, progress=args.progress,
        stats_path=Path(args.stats) if args.stats else None, warc=_warc_dir(args, db),
        overrides=dict(args.set or ()),
    )  # fmt: skip
    print(outcome.text, file=sys.stderr)
    if outcome.report is not None and outcome.report["status"] != UNREACHABLE:
        with Archive(db) as archive:
            if args.feed:
                write_jsonfeed(archive, Path(args.feed), feed_url=args.feed_url)
            if getattr(args, "items", None):
                write_jsonl_file(archive, Path(args.items))
    return outcome.exit_code


def cmd_crawl(args: argparse.Namespace) -> int:
    from vusta_crawler.crawl.options import CrawlOptions, OptionError
    from vusta_crawler.crawl.report import EXIT_CODES, UNREACHABLE
    from vusta_crawler.crawl.run import unreachable_hosts

    if not args.mirror:
        try:
            hosts = CrawlOptions.parse(**_spider_args(args)).hosts
        except OptionError:
            hosts = ()  # reported by _crawl_and_report
        problems = unreachable_hosts(hosts)
        if hosts and len(problems) == len(hosts):
            reasons = "; ".join(f"{host}: {why}" for host, why in problems.items())
            print(
                f"vusta-crawler: cannot reach the sites ({reasons}); nothing was crawled.\n"
                "To see the crawler work without the internet, run: make demo",
                file=sys.stderr,
            )
            return EXIT_CODES[UNREACHABLE]
    return _crawl_and_report(args, args.mirror)


def cmd_demo(args: argparse.Namespace) -> int:
    from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite

    with MirrorServer(MirrorSite(Path(args.site_dir))) as server:
        print(f"Demo: crawling the bundled mirror at {server.url} into {args.db}")
        return _crawl_and_report(args, server.url)


def cmd_mirror(args: argparse.Namespace) -> int:
    import tempfile
    import time

    from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
    from vusta_crawler.devtools.sitegen import build_generated_site

    try:
        spec = _fault_spec(args)
    except ValueError as error:
        print(f"vusta-crawler: --faults: {error}", file=sys.stderr)
        return 2
    root = Path(args.dir)
    generated = args.generate is not None
    if generated:
        root = Path(tempfile.mkdtemp(prefix="vusta-mirror-"))
    # SIGTERM ends the mirror as Ctrl-C does: the generated folder is removed either way
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        if generated:
            build_generated_site(root, args.generate)
            print(f"Generated a site of {args.generate} articles in {root}")
        try:
            server = MirrorServer(MirrorSite(root), port=args.port, faults=spec, seed=args.seed)
        except FileNotFoundError as error:
            print(f"vusta-crawler: {error}", file=sys.stderr)
            return 2
        except OSError as error:
            print(f"vusta-crawler: port {args.port}: {error.strerror or error}", file=sys.stderr)
            return 2
        server.start()
        try:
            print(f"Serving {root} at {server.url} (Ctrl-C to stop)", flush=True)
            if spec is not None:
                print(f"Injecting faults {spec} (seed {args.seed}, first {spec.attempts} "
                      "request(s) of a page)", flush=True)  # fmt: skip
            print(f"Crawl it with: vusta-crawler crawl --mirror {server.url}", flush=True)
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            server.stop()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if generated:
            shutil.rmtree(root, ignore_errors=True)


def _fault_spec(args: argparse.Namespace) -> Any:
    """The mirror's fault spec (None: no faults); raises ValueError with a one-line message."""
    from vusta_crawler.devtools.faults import FaultSpec

    if not args.faults:
        return None
    return FaultSpec.parse(
        args.faults, attempts=args.fault_attempts, hang_seconds=args.hang_seconds
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _output_problem(output: str | None) -> str | None:
    if output and output != "-" and Path(output).is_dir():
        return f"-o {output} is a folder; give the file to write"
    return None


def cmd_export(args: argparse.Namespace) -> int:
    from vusta_crawler.export.feeds import (
        write_jsonfeed,
        write_jsonfeed_stream,
        write_jsonl,
        write_jsonl_file,
    )

    problem = _output_problem(args.output) or (
        "--page-size writes several files: give -o FILE, not standard output"
        if args.format == "jsonfeed" and args.page_size and args.output == "-" else None
    )  # fmt: skip
    if problem:
        print(f"vusta-crawler: {problem}", file=sys.stderr)
        return 2
    if args.format == "wacz":
        return _export_wacz(args)
    if args.run:
        print("vusta-crawler: --run is for export wacz (a run's captures)", file=sys.stderr)
        return 2
    if args.format == "jsonfeed" and args.page_size and not args.feed_url:
        print(
            "vusta-crawler: --page-size needs --feed-url: each page's next_url must be the URL "
            "the next page is published at",
            file=sys.stderr,
        )
        return 2
    problem = _feed_url_problem(args.feed_url)
    if problem:
        print(f"vusta-crawler: {problem}", file=sys.stderr)
        return 2
    filters: dict[str, Any] = {
        "since": args.since,
        "until": args.until,
        "site": args.site,
        "limit": args.limit,
    }
    archive = _open_archive(args.db)
    if archive is None:
        return 2
    with archive:
        if args.section:
            from vusta_crawler.crawl.options import OptionError, export_sections

            stored = (section for _, section, _ in archive.by_site_and_section())
            try:
                filters["section"] = export_sections(args.section, stored)
            except OptionError as error:
                print(f"vusta-crawler: {error}", file=sys.stderr)
                return 2
        if args.format == "jsonfeed" and args.output == "-":
            write_jsonfeed_stream(archive, sys.stdout, feed_url=args.feed_url, **filters)
        elif args.format == "jsonfeed":
            output = Path(args.output or "feed.json")
            files = write_jsonfeed(
                archive, output, feed_url=args.feed_url, page_size=args.page_size, **filters
            )
            print(f"Wrote {len(files)} feed file(s): {', '.join(map(str, files))}", file=sys.stderr)
        elif args.output and args.output != "-":
            count = write_jsonl_file(archive, Path(args.output), **filters)
            print(f"Wrote {count} items to {args.output}", file=sys.stderr)
        else:
            write_jsonl(archive, sys.stdout, **filters)
    return 0


def _export_wacz(args: argparse.Namespace) -> int:
    from vusta_crawler.export.wacz import WaczError, write_wacz

    others = [f"--{name.replace('_', '-')}" for name in ("until", "site", "section", "limit",
              "page_size", "feed_url") if getattr(args, name) is not None]  # fmt: skip
    problem = (
        "export wacz needs -o FILE.wacz" if not args.output or args.output == "-"
        else "export wacz takes --run ID or --since DATE, not both" if args.run and args.since
        else f"export wacz packages whole runs' captures: {', '.join(others)} do not apply"
        if others else None
    )  # fmt: skip
    if problem:
        print(f"vusta-crawler: {problem}", file=sys.stderr)
        return 2
    archive = _open_archive(args.db)
    if archive is None:
        return 2
    with archive:
        try:
            done = write_wacz(archive, Path(args.output), run_id=args.run, since=args.since)
        except WaczError as error:
            print(f"vusta-crawler: {error}", file=sys.stderr)
            return 2
    needs = (
        f"; it refers to {len(done.dependencies)} earlier WARC file(s)" if done.dependencies else ""
    )
    print(
        f"Wrote {done.path}: {len(done.warc_files)} WARC file(s), {done.records} indexed "
        f"records, {done.pages} pages{needs}.",
        file=sys.stderr,
    )
    return 0


def _open_archive(db: str) -> Any:
    """The archive at ``db`` for reading, or None after saying why (exit 2): a reading
    command never turns a missing, empty or foreign file into an archive."""
    from vusta_crawler.store.archive import Archive, ArchiveError, archive_problem

    problem = archive_problem(Path(db))
    if problem:
        print(f"vusta-crawler: {problem}", file=sys.stderr)
        return None
    try:
        return Archive(db)
    except ArchiveError as error:
        print(f"vusta-crawler: {error}", file=sys.stderr)
        return None


def cmd_runs(args: argparse.Namespace) -> int:
    archive = _open_archive(args.db)
    if archive is None:
        return 2
    if args.words and (len(args.words) != 2 or args.words[0] != "show"):
        print("vusta-crawler: runs takes no argument, or: runs show RUN_ID", file=sys.stderr)
        return 2
    with archive:
        if args.words:
            row = archive.run(args.words[1])
            if row is None:
                print(f"vusta-crawler: no single run with id {args.words[1]!r}", file=sys.stderr)
                return 2
            report = json.loads(row["report"]) if row["report"] else dict(row)
            print(json.dumps(report, ensure_ascii=False, indent=2))
            return 0
        print(f"{'run':<24} {'started':<20} {'status':<16} {'new':>5} {'upd':>5} {'same':>5}"
              f" {'secs':>7}")  # fmt: skip
        for row in archive.runs(args.limit):
            print(
                f"{row['run_id'] or row['id']!s:<24} {row['started_at']:<20} "
                f"{row['status'] or '(no report)':<16} {row['new']:>5} {row['updated']:>5} "
                f"{row['unchanged']:>5} {row['duration'] or 0:>7.1f}"
            )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    archive = _open_archive(args.db)
    if archive is None:
        return 2
    with archive:
        db = archive.db
        print(
            f"Archive {archive.path}: {archive.count()} articles, "
            f"{archive.count('aliases')} alias URLs, {archive.count('revisions')} revisions."
        )
        last = db.execute(
            "SELECT run_id, finished_at FROM runs WHERE status = 'ok' "
            "ORDER BY finished_at DESC LIMIT 1"
        ).fetchone()
        print(f"Last successful run: {last[0]} at {last[1]}" if last else "No successful run yet.")
        print("By site and section:")
        for site, section, count in archive.by_site_and_section():
            print(f"  {site:<12} {section or '(no section)':<40} {count:>6}")
        print("By year published:")
        years = db.execute(
            "SELECT COALESCE(substr(published, 1, 4), '(undated)'), COUNT(*) FROM articles "
            "GROUP BY 1 ORDER BY 1"
        )
        for year, count in years:
            print(f"  {year:<10} {count:>6}")
    return 0


def cmd_reextract(args: argparse.Namespace) -> int:
    from vusta_crawler.crawl.lock import Locked, RunLock
    from vusta_crawler.crawl.report import EXIT_LOCKED
    from vusta_crawler.store.archive import ArchiveWriteError
    from vusta_crawler.store.reextract import reextract

    if not Path(args.db).is_file():
        print(f"vusta-crawler: no archive at {args.db} (run a crawl first)", file=sys.stderr)
        return 2
    try:
        lock = RunLock(Path(args.db), command="reextract").acquire()
    except Locked as error:
        print(f"vusta-crawler: {error}", file=sys.stderr)
        return EXIT_LOCKED
    try:
        archive = _open_archive(args.db)  # under the lock: it may migrate the file
        if archive is None:
            return 2
        with archive:
            run_id = None
            if args.run:
                row = archive.run(args.run)
                if row is None or not row["run_id"]:
                    print(f"vusta-crawler: no single run with id {args.run!r}", file=sys.stderr)
                    return 2
                run_id = row["run_id"]
            articles = archive.captured_articles(run_id=run_id, since=args.since)
            try:
                result = reextract(archive, articles, dry_run=args.dry_run)
            except ArchiveWriteError as error:
                print(
                    f"vusta-crawler: {error}; nothing of the open batch was kept", file=sys.stderr
                )
                return 1
    finally:
        lock.release()
    verb = "would get" if args.dry_run else "got"
    print(
        f"Re-extracted {result.examined} article(s) from their captures: {result.equal} equal, "
        f"{len(result.differences)} {verb} a revision, {len(result.failures)} failed."
    )
    for name, count in result.by_field.items():
        print(f"  {name:<16} {count:>6} differ")
    for failure in result.failures:
        print(f"  failed: {failure.url}: {failure.reason} {failure.detail}".rstrip())
    if args.dry_run:
        print("Dry run: the archive was not changed.")
    return 1 if result.failures else 0


def _date(text: str) -> str:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a date YYYY-MM-DD (got {text!r})") from None
    if len(text) != 10:
        raise argparse.ArgumentTypeError(f"a date YYYY-MM-DD (got {text!r})")
    return text


def _site(text: str) -> str | None:
    """``--site`` of ``export``, in ``crawl``'s words: the one host, or None for both."""
    hosts = patterns.SITES.get(text.strip().lower())
    if hosts is None:
        raise argparse.ArgumentTypeError(f"one of {', '.join(patterns.SITES)} (got {text!r})")
    return hosts[0] if len(hosts) == 1 else None


def _time(text: str) -> str:
    try:
        parse_rfc3339(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"an RFC 3339 time such as 2026-12-03T08:00:00Z (got {text!r})"
        ) from None
    return text


def _count(least: int, most: int | None = None) -> Any:
    """An argparse type: a whole number in [least, most]."""

    def whole(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < least or (most is not None and value > most):
            bounds = f"from {least} to {most}" if most is not None else f"{least} or more"
            raise argparse.ArgumentTypeError(f"a whole number {bounds} (got {text!r})")
        return value

    return whole


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"a number of seconds above 0 (got {text!r})")
    return value


def _setting(text: str) -> tuple[str, Any]:
    from vusta_crawler.crawl.run import setting_override

    try:
        return setting_override(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _log_level(text: str) -> str:
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"one of {', '.join(LOG_LEVELS)} (got {text!r})")
    return level


def _crawl_arguments(parser: argparse.ArgumentParser, db: str) -> None:
    parser.add_argument("--db", default=db, help=f"the archive (default {db})")
    parser.add_argument("--feed", help="also write a JSON Feed of the archive to this file")
    parser.add_argument("--feed-url", help="the URL the feed is published at (http or https)")
    parser.add_argument("--site", help="vi, en (or the host) or all (default)")
    parser.add_argument(
        "--section", "--sections", dest="sections", action="append", metavar="SECTION",
        help="only these sections: a path (tin-tuc, tin-tuc/co-quan-tw) or a printed name "
        "(\"Tin tức\"), comma-separated or repeated; --sections is the same option",
    )  # fmt: skip
    parser.add_argument("--since", help="stop paginating listings older than YYYY-MM-DD")
    parser.add_argument("--max-pages", dest="max_pages", help="listing pages per section")
    parser.add_argument("--full", action="store_true", help="fetch every page again, stored or not")
    parser.add_argument(
        "--refresh-days", dest="refresh_days", metavar="D",
        help="re-check stored articles published in the last D days (default 7)",
    )  # fmt: skip
    parser.add_argument(
        "--overlap", metavar="K",
        help="stop a listing after K pages in a row with nothing new (default 1)",
    )  # fmt: skip
    parser.add_argument(
        "--report", help="write the run's JSON report here (default: runs/<id>.json by --db)"
    )
    parser.add_argument("--stats", help="write the crawl's raw Scrapy stats as JSON here")
    parser.add_argument(
        "--warc", metavar="DIR", help="write the WARC captures here (default: warc/ by --db)"
    )
    parser.add_argument("--no-warc", action="store_true", help="capture nothing (no WARC files)")
    parser.add_argument(
        "--log-level", default="WARNING", type=_log_level, help="Scrapy's log level"
    )
    parser.add_argument(
        "--progress", action=argparse.BooleanOptionalAction, default=None,
        help="a progress line on stderr (default: when stderr is a terminal)",
    )  # fmt: skip
    parser.add_argument(
        "-s", "--set", action="append", type=_setting, metavar="NAME=VALUE",
        help="a Scrapy or project setting for this run (as scrapy crawl -s), e.g. "
        "-s DOWNLOAD_TIMEOUT=20; repeatable",
    )  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vusta-crawler", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    parse = commands.add_parser("parse", help="print one JSON item per saved page (JSON Lines)")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--url", help="the pages' URL (default: their canonical link or og:url)")
    parse.add_argument("--fetched-at", type=_time, help="RFC 3339 fetch time (default: now)")
    parse.set_defaults(func=cmd_parse)

    crawl = commands.add_parser("crawl", help="crawl vusta.vn and en.vusta.vn into the archive")
    _crawl_arguments(crawl, str(DEFAULT_DB))
    crawl.add_argument("--mirror", help="send every request to this mirror (vusta-crawler mirror)")
    crawl.set_defaults(func=cmd_crawl)

    demo = commands.add_parser("demo", help="crawl the bundled mirror site, offline")
    _crawl_arguments(demo, "data/demo.sqlite3")
    demo.add_argument("--items", help="also write the archive as JSON Lines to this file")
    demo.add_argument(
        "--site-dir", default=str(FIXTURES_DIR / "site"), help="the mirror site to serve"
    )
    demo.set_defaults(func=cmd_demo)

    mirror = commands.add_parser("mirror", help="serve a mirror site on 127.0.0.1")
    mirror.add_argument("dir", nargs="?", default=str(FIXTURES_DIR / "site"))
    mirror.add_argument("--port", type=_count(0, 65535), default=8421)
    mirror.add_argument(
        "--generate", type=_count(1), metavar="N", help="serve a generated site of N articles"
    )
    mirror.add_argument(
        "--faults", metavar="SPEC",
        help="inject faults at these rates, e.g. transient=0.2,redirect_offsite=0.01 "
        "(kinds: 500 502 503 429 hang reset truncate truncate_nolength trickle "
        "redirect_loop redirect_offsite)",
    )  # fmt: skip
    mirror.add_argument("--seed", type=_count(0), default=0, help="which pages get faults")
    mirror.add_argument(
        "--fault-attempts", type=_count(1), default=1, metavar="K",
        help="a page's first K requests may get a fault (default 1: a retry succeeds)",
    )  # fmt: skip
    mirror.add_argument(
        "--hang-seconds", type=_seconds, default=5.0, help="how long a hang holds the connection"
    )
    mirror.set_defaults(func=cmd_mirror)

    export = commands.add_parser(
        "export", help="export the archive as JSON Feed or JSON Lines, its captures as WACZ"
    )
    export.add_argument("format", choices=("jsonfeed", "jsonl", "wacz"))
    export.add_argument("--db", default=str(DEFAULT_DB))
    export.add_argument("-o", "--output", help="output file (jsonl: default standard output)")
    export.add_argument(
        "--since", type=_date,
        help="published on or after YYYY-MM-DD (wacz: captured on or after, UTC)",
    )  # fmt: skip
    export.add_argument("--run", metavar="ID", help="wacz: the captures of this run (or its start)")
    export.add_argument("--until", type=_date, help="published on or before YYYY-MM-DD")
    export.add_argument("--site", type=_site, help="vi, en (or the host) or all (default)")
    export.add_argument(
        "--section", action="append", metavar="SECTION",
        help="only these sections, in crawl's words: a printed name (\"Tin tức\") or a path "
        "(tin-tuc), comma-separated or repeated",
    )  # fmt: skip
    export.add_argument("--limit", type=_count(1))
    export.add_argument(
        "--page-size", type=_count(1), help="jsonfeed: items per file, linked by next_url"
    )
    export.add_argument("--feed-url", help="jsonfeed: the URL the first file is published at")
    export.set_defaults(func=cmd_export)

    runs = commands.add_parser("runs", help="list recent crawl runs, or show one run's report")
    runs.add_argument(
        "words", nargs="*", metavar="show RUN_ID", help="print one run's report (id or its start)"
    )
    runs.add_argument("--db", default=str(DEFAULT_DB))
    runs.add_argument("--limit", type=_count(1), default=20)
    runs.set_defaults(func=cmd_runs)

    stats = commands.add_parser("stats", help="summarize the archive")
    stats.add_argument("--db", default=str(DEFAULT_DB))
    stats.set_defaults(func=cmd_stats)

    again = commands.add_parser(
        "reextract", help="extract the archived articles again from their WARC captures"
    )
    which = again.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", metavar="ID", help="the articles a run fetched (id or its start)")
    which.add_argument("--since", type=_date, help="the articles fetched on or after YYYY-MM-DD")
    which.add_argument("--all", action="store_true", help="every article with a capture")
    again.add_argument("--dry-run", action="store_true", help="report what differs; change nothing")
    again.add_argument("--db", default=str(DEFAULT_DB))
    again.set_defaults(func=cmd_reextract)

    fixture = commands.add_parser("fixture", help="maintain the saved-page fixtures")
    fixture_commands = fixture.add_subparsers(dest="fixture_command", required=True)
    update = fixture_commands.add_parser(
        "update", help="rewrite expected.json from the current output (then review the diff)"
    )
    update.add_argument("cases", nargs="*", help="kind/case or case names (default: all)")
    update.add_argument("--root", default=str(FIXTURES_DIR), help="the fixtures folder")
    update.set_defaults(func=cmd_fixture_update)
    save = fixture_commands.add_parser(
        "save", help="turn a WARC capture into a fixture case (page, meta, today's expected)"
    )
    save.add_argument("ref", metavar="URL|RECORD-ID", help="an archived page's URL or a record id")
    save.add_argument("--name", help="the case's folder name (default: capture_<url slug>)")
    save.add_argument("--force", action="store_true", help="replace a case of that name")
    save.add_argument("--db", default=str(DEFAULT_DB))
    save.add_argument("--root", default=str(FIXTURES_DIR), help="the fixtures folder")
    save.set_defaults(func=cmd_fixture_save)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vusta-crawler`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:  # outside a crawl, which handles its own signals
        print("vusta-crawler: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
