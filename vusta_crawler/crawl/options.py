"""The spider's arguments, validated: every bad value gets a message that says what is wanted."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from vusta_crawler import patterns

_SECTION_RE = re.compile(
    r"^(?:(?P<host>(?:en\.)?vusta\.vn)/)?(?P<path>[a-z0-9-]+(?:/[a-z0-9-]+)?)(?:\.html)?$"
)


DEFAULT_REFRESH_DAYS = 7
DEFAULT_OVERLAP = 1


class OptionError(ValueError):
    """A spider argument that cannot be used; the message names it and what it accepts."""


@dataclass(frozen=True)
class CrawlOptions:
    """What to crawl: hosts, sections (``(host, path)``), a date floor, a page cap; and how
    incrementally: ``full`` fetches everything again; otherwise stored articles are fetched
    again only when published within ``refresh_days`` (re-checked with conditional requests)
    or when a sitemap says they changed, and a listing's pagination stops after ``overlap``
    pages in a row that bring no article the archive lacks."""

    hosts: tuple[str, ...] = patterns.SITES["all"]
    sections: tuple[tuple[str, str], ...] | None = None
    since: date | None = None
    max_pages: int | None = None
    full: bool = False
    refresh_days: int = DEFAULT_REFRESH_DAYS
    overlap: int = DEFAULT_OVERLAP

    @classmethod
    def parse(
        cls,
        site: str | None = "all",
        sections: str | list[str] | None = None,
        since: str | date | None = None,
        max_pages: str | int | None = None,
        today: date | None = None,
        full: str | bool | None = None,
        refresh_days: str | int | None = None,
        overlap: str | int | None = None,
    ) -> CrawlOptions:
        """Validate the spider's arguments (strings from ``-a name=value`` or the CLI)."""
        site = (site or "all").strip().lower()
        if site not in patterns.SITES:
            raise OptionError(f"site must be one of {', '.join(patterns.SITES)} (got {site!r})")
        hosts = patterns.SITES[site]
        return cls(
            hosts=hosts,
            sections=_sections(sections, hosts),
            since=_since(since, today or date.today()),
            max_pages=_whole("max_pages", max_pages, 1),
            full=_flag("full", full),
            refresh_days=_whole("refresh_days", refresh_days, 0, DEFAULT_REFRESH_DAYS),
            overlap=_whole("overlap", overlap, 1, DEFAULT_OVERLAP),
        )

    def sections_for(self, host: str) -> tuple[str, ...]:
        """The section paths to list on ``host``: the given ones, or the declared defaults."""
        if self.sections is None:
            return patterns.DEFAULT_SECTIONS.get(host, ())
        return tuple(path for h, path in self.sections if h == host)


def _sections(
    value: str | list[str] | None, hosts: tuple[str, ...]
) -> tuple[tuple[str, str], ...] | None:
    if value is None or value == "" or value == []:
        return None
    names = value.split(",") if isinstance(value, str) else list(value)
    found: list[tuple[str, str]] = []
    for name in (n.strip() for n in names):
        match = _SECTION_RE.match(name)
        if not match:
            raise OptionError(
                f"section {name!r} is not a section path like 'tin-tuc', "
                "'tin-tuc/co-quan-tw' or 'en.vusta.vn/news'"
            )
        host = match.group("host")
        if host and host not in hosts:
            raise OptionError(f"section {name!r} is on {host}, which this crawl does not visit")
        path = match.group("path")
        # a bare path: the hosts that declare it (vusta.vn's "tin-tuc"), else every host
        declared = tuple(h for h in hosts if path in patterns.DEFAULT_SECTIONS.get(h, ()))
        for h in (host,) if host else declared or hosts:
            found.append((h, path))
    return tuple(found)


def _since(value: str | date | None, today: date) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        parsed = value
    else:
        try:
            parsed = datetime.strptime(value.strip(), "%Y-%m-%d").date()
        except ValueError:
            raise OptionError(f"since must be a date as YYYY-MM-DD (got {value!r})") from None
    if parsed > today:
        raise OptionError(f"since is in the future ({parsed.isoformat()}): nothing to crawl")
    return parsed


def _whole(name: str, value: str | int | None, least: int, default: Any = None) -> Any:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise OptionError(
            f"{name} must be a whole number of at least {least} (got {value!r})"
        ) from None
    if number < least:
        raise OptionError(f"{name} must be a whole number of at least {least} (got {value!r})")
    return number


def _flag(name: str, value: str | bool | None) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = value.strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise OptionError(f"{name} must be true or false (got {value!r})")
