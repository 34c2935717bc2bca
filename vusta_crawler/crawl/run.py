"""Running a crawl from the command line: settings, the Scrapy process, the run's summary."""

from __future__ import annotations

import json
import socket
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from vusta_crawler import stats as keys
from vusta_crawler.crawl.spiders.vusta import VustaSpider
from vusta_crawler.store.archive import Archive

MIRROR_SETTINGS: dict[str, Any] = {
    # The mirror is on this machine: no politeness delays needed, and no retries to wait for.
    "AUTOTHROTTLE_ENABLED": False,
    "DOWNLOAD_DELAY": 0,
    "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "RETRY_TIMES": 1,
}


@dataclass
class CrawlResult:
    stats: dict[str, Any]

    @property
    def responses(self) -> int:
        return int(self.stats.get("downloader/response_count", 0))

    def errors(self) -> dict[str, int]:
        """Download exceptions by type (DNS failures, refused connections, timeouts…)."""
        prefix = "downloader/exception_type_count/"
        return {
            key[len(prefix) :].rsplit(".", 1)[-1]: int(value)
            for key, value in self.stats.items()
            if key.startswith(prefix)
        }


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


def crawl_settings(db: Path, mirror: str | None, log_level: str = "WARNING") -> Settings:
    """The project's settings, with the archive path and, for a mirror, its handler."""
    settings = Settings()
    settings.setmodule("vusta_crawler.settings", priority="project")
    settings.set("VUSTA_DB", str(db), priority="cmdline")
    settings.set("LOG_LEVEL", log_level, priority="cmdline")
    if mirror:
        settings.set("VUSTA_MIRROR", mirror, priority="cmdline")
        settings.update(MIRROR_SETTINGS, priority="cmdline")
    return settings


def run_crawl(settings: Settings, spider_args: dict[str, Any]) -> CrawlResult:
    """Run the ``vusta`` spider once in this process (Scrapy's reactor starts only once)."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(VustaSpider)
    process.crawl(crawler, **spider_args)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats is not None else {}
    return CrawlResult({key: _plain(value) for key, value in stats.items()})


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def summary(result: CrawlResult, archive: Archive) -> str:
    """The run's figures and the archive's contents, as a short text."""
    stats = result.stats
    lines = [f"Fetched {result.responses} pages."]
    outcomes = {
        k: int(stats.get(keys.ARCHIVE + k, 0)) for k in ("new", "updated", "unchanged", "alias")
    }
    lines.append(
        "Articles this run: {new} new, {updated} updated, {unchanged} unchanged, "
        "{alias} under another URL (alias).".format(**outcomes)
    )
    grouped: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value in sorted(stats.items()):
        for prefix, label in (
            (keys.DROPPED, "dropped"),
            (keys.NOT_ARTICLE, "not an article"),
            (keys.DATE, "date not taken"),
            ("downloader/response_status_count/", "HTTP errors"),
        ):
            if not key.startswith(prefix):
                continue
            name = key[len(prefix) :]
            if label != "HTTP errors" or (name.isdigit() and int(name) >= 400):
                grouped[label][name] = int(value)
    for label in ("dropped", "not an article", "date not taken", "HTTP errors"):
        if grouped.get(label):
            details = ", ".join(f"{name}: {count}" for name, count in grouped[label].items())
            lines.append(f"{label[0].upper()}{label[1:]}: {details}.")
    if not grouped.get("dropped"):
        lines.append("Dropped: none.")
    if stats.get(keys.OFFSITE_BLOCKED):
        lines.append(f"Requests off vusta.vn/en.vusta.vn refused: {stats[keys.OFFSITE_BLOCKED]}.")
    lines.append(
        f"Archive {archive.path}: {archive.count()} articles, "
        f"{archive.count('aliases')} alias URLs, {archive.count('revisions')} earlier revisions. "
        "By site and section:"
    )
    for site, section, count in archive.by_site_and_section():
        lines.append(f"  {site:<12} {section or '(no section)':<28} {count:>5}")
    return "\n".join(lines)


def write_stats(result: CrawlResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(result.stats, indent=2, sort_keys=True, ensure_ascii=False), encoding="utf-8"
    )
