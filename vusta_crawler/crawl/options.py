"""The spider's arguments, validated: every bad value gets a message that says what is wanted."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
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
    found: list[tuple[str, str]] = []
    for name in _split(value):
        found.extend(pair for pair in crawl_section(name, hosts) if pair not in found)
    return tuple(found)


def _split(value: str | list[str]) -> list[str]:
    """Comma-separated values, from one string or several (``--section a,b --section c``)."""
    return [part.strip() for text in ([value] if isinstance(value, str) else value)
            for part in text.split(",")]  # fmt: skip


def section_key(name: str) -> str:
    """A printed section name as names are compared: Unicode-composed (NFC), casefolded, each
    run of spaces and punctuation one space. Diacritics count: "tin tuc" is not "Tin tức"
    (its ASCII spelling is the path, ``tin-tuc``)."""
    text = unicodedata.normalize("NFC", name).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def section_slug(name: str) -> str:
    """The path segment the site makes of a printed name (SITE.md): ASCII lower case with the
    diacritics removed and ``đ`` → ``d``, punctuation dropped, spaces → hyphens."""
    text = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[\s-]+", "-", re.sub(r"[^a-z0-9\s-]", "", text)).strip("-")


def _declared() -> list[tuple[str, str, tuple[str, ...]]]:
    """Every (host, path, printed names) of :data:`patterns.SECTION_NAMES`, and the default
    sections it lacks (no names)."""
    found = [(host, path, names) for host, paths in patterns.SECTION_NAMES.items()
             for path, names in paths.items()]  # fmt: skip
    for host, paths in patterns.DEFAULT_SECTIONS.items():
        found.extend((host, p, ()) for p in paths if p not in patterns.SECTION_NAMES.get(host, {}))
    return found


def known_sections() -> str:
    """The declared sections as an error message lists them: ``tin-tuc (Tin tức), …``."""
    return ", ".join(
        (path if host == patterns.HOSTS[0] else f"{host}/{path}")
        + (f" ({names[0]})" if names else "")
        for host, path, names in _declared()
    )


def _matching(text: str) -> tuple[re.Match[str] | None, list[tuple[str, str, tuple[str, ...]]]]:
    """``text`` as a section path (or None), and the declared sections it names: by their path
    (on the host it gives, if any) or by one of their printed names."""
    path = _SECTION_RE.match(text.lower())
    key = section_key(text)
    named = [
        (host, p, names)
        for host, p, names in _declared()
        if (path and p == path.group("path") and path.group("host") in (None, host))
        or any(section_key(n) == key for n in names)
    ]
    return path, named


def _unknown(text: str) -> OptionError:
    return OptionError(
        f"section {text!r} is not a section path (like 'tin-tuc', 'tin-tuc/co-quan-tw' or "
        f"'en.vusta.vn/news') nor a known section: {known_sections()}"
    )


def crawl_section(text: str, hosts: tuple[str, ...]) -> list[tuple[str, str]]:
    """The ``(host, path)`` listings one ``--section`` value asks ``crawl`` for.

    A path with its host (``en.vusta.vn/news``): that listing. Otherwise the declared sections
    of that path or printed name (both, where a path and a name coincide: ``news`` is also
    "News", on both hosts), on this crawl's hosts; a well-formed path that is not declared (a
    section new on the site): that path on every host. Anything else is an error."""
    path, named = _matching(text)
    if path and path.group("host"):
        host = path.group("host")
        if host not in hosts:
            raise OptionError(f"section {text!r} is on {host}, which this crawl does not visit")
        return [(host, path.group("path"))]
    if named:
        inside = [(host, p) for host, p, _ in named if host in hosts]
        if not inside:
            elsewhere = ", ".join(sorted({host for host, _, _ in named}))
            raise OptionError(
                f"section {text!r} is on {elsewhere}, which this crawl does not visit"
            )
        return inside
    if path:
        return [(host, path.group("path")) for host in hosts]
    raise _unknown(text)


def export_sections(value: str | list[str], stored: Iterable[str | None]) -> tuple[str, ...]:
    """The stored ``section`` values that ``export --section`` values select.

    A value selects the archived sections whose name matches (see :func:`section_key`) its own
    text, or the printed names of the declared sections it names (by path or name, as for
    ``crawl``); a path also selects those whose name the site would make that path of (see
    :func:`section_slug`: ``abc-def`` for "Abc Def", a section not declared yet). A value that
    is neither declared nor selects anything archived is an error; so is one that is no path
    and names nothing known."""
    archived = {name for name in stored if name}
    texts = [value] if isinstance(value, str) else list(value)
    wanted: set[str] = set()
    for text in (t for whole in texts for t in _whole_or_split(whole, archived)):
        path, named = _matching(text)
        names = {n for _, _, spelled in named for n in spelled}
        keys = {section_key(text)} | {section_key(n) for n in names}
        slug = path.group("path").rsplit("/", 1)[-1] if path else None
        found = {s for s in archived if section_key(s) in keys or section_slug(s) == slug}
        if not named and not found:
            if not path:
                raise OptionError(f"{_unknown(text)}; nor a section this archive holds")
            raise OptionError(
                f"section {text!r} is not a known section ({known_sections()}) and no archived "
                f"section's name makes the path {slug!r}: give its printed name"
            )
        wanted |= names | found
    return tuple(sorted(wanted))


def _whole_or_split(text: str, archived: set[str]) -> list[str]:
    """A value as one name if it is an archived section's (names may hold commas), else split."""
    key = section_key(text)
    return [text.strip()] if any(section_key(s) == key for s in archived) else _split(text)


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
