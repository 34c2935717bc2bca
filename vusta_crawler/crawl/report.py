"""A run's report: what it fetched, stored and lost, and why; JSON for the record, text for
the operator. Built from Scrapy's stats, the spider's ledger and the archive, after the crawl.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vusta_crawler import stats as keys
from vusta_crawler.crawl.ledger import RunLedger
from vusta_crawler.export.files import atomic_writer
from vusta_crawler.store.archive import ALIAS, NEW, UNCHANGED, UPDATED, Archive

# A run's status, and the exit code each gives (documented in the README's table).
OK, MONITORS_FAILED, INTERRUPTED, UNREACHABLE = (
    "ok",
    "monitors_failed",
    "interrupted",
    "unreachable",
)
EXIT_CODES = {OK: 0, MONITORS_FAILED: 1, UNREACHABLE: 3, INTERRUPTED: 130}
EXIT_USAGE = 2
EXIT_LOCKED = 75

SHUTDOWN = "shutdown"
"""Scrapy's finish reason after SIGINT/SIGTERM: the engine closed the spider cleanly."""
KILLED = "killed"
"""The status (and finish reason) the next run records for a run killed before it could record
itself, found by its WARC files."""
FORCED_SHUTDOWN = "forced_shutdown"
"""The finish reason a run gets when a second signal stopped the reactor before the engine
closed the spider (Scrapy sets none); the archive is then closed by :func:`run.run_crawl`."""

COVERED_FIELDS = ("title", "published", "section", "summary", "body_text", "authors", "images",
                  "related", "latest")  # fmt: skip
_WARNING_PREFIXES = (keys.DATE, "vusta/page/")


@dataclass
class CrawlResult:
    """What a finished crawl hands back: Scrapy's stats and the spider's ledger."""

    stats: dict[str, Any]
    ledger: RunLedger = field(default_factory=RunLedger)

    @property
    def responses(self) -> int:
        return int(self.stats.get("downloader/response_count", 0))

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", ""))

    def count(self, key: str) -> int:
        return int(self.stats.get(key, 0) or 0)

    def prefixed(self, prefix: str) -> dict[str, int]:
        """The counts of the stats under ``prefix``, by the rest of their key."""
        return {
            key[len(prefix) :]: int(value)
            for key, value in sorted(self.stats.items())
            if key.startswith(prefix) and isinstance(value, int | float)
        }

    def errors(self) -> dict[str, int]:
        """Download exceptions by type (DNS failures, refused connections, timeouts…)."""
        found: dict[str, int] = defaultdict(int)
        for name, count in self.prefixed("downloader/exception_type_count/").items():
            if name.endswith(".IgnoreRequest"):
                continue  # refused on purpose (robots.txt, another host): counted as such
            found[name.rsplit(".", 1)[-1]] += count
        return dict(found)

    def status(self) -> str:
        if self.finish_reason in (SHUTDOWN, FORCED_SHUTDOWN):
            return INTERRUPTED
        if self.responses == 0:
            return UNREACHABLE
        return MONITORS_FAILED if self.ledger.failed_monitors else OK


def build_report(
    result: CrawlResult, *, run_id: str, started_at: str, finished_at: str, duration: float,
    options: dict[str, Any], archive: Archive | None,
) -> dict[str, Any]:  # fmt: skip
    """The run's report (the JSON file, and the ``report`` column of its ``runs`` row)."""
    status = result.status()
    items = {name: result.count(keys.ARCHIVE + name) for name in (NEW, UPDATED, UNCHANGED, ALIAS)}
    items["not_modified"] = result.count(keys.NOT_MODIFIED)
    report: dict[str, Any] = {
        "run_id": run_id,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_s": round(duration, 1),
        "status": status,
        "exit_code": EXIT_CODES[status],
        "finish_reason": result.finish_reason,
        "options": options,
        "requests": result.count("downloader/request_count"),
        "responses": result.responses,
        "responses_by_status": result.prefixed("downloader/response_status_count/"),
        "download_errors": result.errors(),
        "retries": result.count("retry/count"),
        "retries_exhausted": result.count("retry/max_reached"),
        "refused": result.prefixed(keys.REFUSED),
        "redirects_refused": sum(result.prefixed(keys.REFUSED + "redirect_").values()),
        "backoff": {"raised": result.count(keys.BACKOFF),
                    "relaxed": result.count(keys.BACKOFF_RELAXED)},
        "offsite_refused": result.count(keys.OFFSITE_BLOCKED),
        "robots_forbidden": result.count("robotstxt/forbidden"),
        "articles_requested": {
            "new_urls": result.count(keys.ARTICLES_NEW_URLS),
            "rechecked": result.count(keys.RECHECKED),
        },
        "items": items,
        "dropped": result.prefixed(keys.DROPPED),
        "not_article": result.prefixed(keys.NOT_ARTICLE),
        "archive_write_errors": result.count(keys.ARCHIVE_WRITE_FAILURES),
        "items_lost_to_write_errors": result.count(keys.ARCHIVE_WRITE_ERROR),
        "lost": [asdict(entry) for entry in result.ledger.lost],
        "field_coverage": {
            name: round(float(result.stats.get(keys.FIELD_COVERAGE + name, 0.0) or 0.0), 3)
            for name in COVERED_FIELDS
        } if result.count("item_scraped_count") else {},
        "warnings": {
            prefix.removeprefix("vusta/") + key: count
            for prefix in _WARNING_PREFIXES
            for key, count in result.prefixed(prefix).items()
        },
        "captures": {
            "records": result.prefixed(keys.CAPTURE),
            "bytes": result.count(keys.CAPTURE_BYTES),
            "errors": result.count(keys.CAPTURE_ERROR),
        },
        "qa": result.ledger.qa,
        "monitors": [asdict(outcome) for outcome in result.ledger.monitors],
        "monitors_failed": [outcome.name for outcome in result.ledger.failed_monitors],
    }  # fmt: skip
    if archive is not None:
        report["archive"] = {
            "path": str(archive.path),
            "articles": archive.count(),
            "aliases": archive.count("aliases"),
            "revisions": archive.count("revisions"),
        }
    return report


def write_report(report: dict[str, Any], path: Path) -> None:
    """The report as JSON, written atomically."""
    with atomic_writer(path) as out:
        out.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


def summary(report: dict[str, Any], archive: Archive | None) -> str:
    """The end-of-run text for the operator: the report's figures, in a few lines."""
    items = report["items"]
    lines = [
        f"Run {report['run_id']}: {report['status']} (exit {report['exit_code']}) after "
        f"{report['duration_s']:.1f} s; finish reason {report['finish_reason'] or 'none'}.",
        f"Fetched {report['responses']} pages ({report['requests']} requests).",
        f"Articles this run: {items[NEW]} new, {items[UPDATED]} updated, "
        f"{items[UNCHANGED] + items['not_modified']} unchanged "
        f"({items['not_modified']} by 304), {items[ALIAS]} under another URL (alias).",
    ]
    errors = {
        code: count for code, count in report["responses_by_status"].items()
        if code.isdigit() and int(code) >= 400
    }  # fmt: skip
    for label, counts in (
        ("Dropped", report["dropped"]),
        ("Not an article", report["not_article"]),
        ("Date not taken", {k.removeprefix("date/"): v for k, v in report["warnings"].items()
                            if k.startswith("date/")}),
        ("HTTP errors", errors),
        ("Download errors", report["download_errors"]),
        ("Refused", report["refused"]),
    ):  # fmt: skip
        if counts:
            lines.append(f"{label}: " + ", ".join(f"{k}: {v}" for k, v in counts.items()) + ".")
    if not report["dropped"]:
        lines.append("Dropped: none.")
    if report["offsite_refused"]:
        lines.append(f"Requests off vusta.vn/en.vusta.vn refused: {report['offsite_refused']}.")
    if report["lost"]:
        lines.append(f"Lost for good: {len(report['lost'])} URL(s):")
        lines += [f"  {entry['url']}  ({entry['reason']})" for entry in report["lost"][:20]]
        if len(report["lost"]) > 20:
            lines.append(f"  … and {len(report['lost']) - 20} more (see the report)")
    for found in report.get("warc_repaired", []):
        lines.append(
            f"Repaired {found['file']} (a killed run's): cut off its last {found['trimmed_bytes']} "
            f"bytes, an incomplete record; {found['records']} whole records kept."
        )
    captures = report["captures"]
    if captures["records"] or captures["errors"]:
        lines.append(
            f"Captured {sum(captures['records'].values())} WARC records "
            f"({', '.join(f'{k}: {v}' for k, v in captures['records'].items())}), "
            f"{captures['bytes'] / 1e6:.1f} MB; {captures['errors']} response(s) not captured."
        )
    if report["qa"] is not None:
        qa = report["qa"]
        lines.append(
            f"QA: {qa['examined']} stored article(s) read again from their WARC records: "
            f"{qa['equal']} equal, {qa['differ']} differ"
            + (f" ({', '.join(f'{k}: {v}' for k, v in qa['by_field'].items())})" if qa["differ"]
               else "")
            + f", {len(qa['failed'])} failed."
        )  # fmt: skip
    for outcome in report["monitors"]:
        if not outcome["passed"]:
            lines.append(f"Monitor failed: {outcome['name']}: {outcome['message']}")
    if archive is not None:
        held = report["archive"]
        lines.append(
            f"Archive {held['path']}: {held['articles']} articles, {held['aliases']} alias URLs, "
            f"{held['revisions']} earlier revisions. By site and section:"
        )
        for site, section, count in archive.by_site_and_section():
            lines.append(f"  {site:<12} {section or '(no section)':<28} {count:>5}")
    return "\n".join(lines)
