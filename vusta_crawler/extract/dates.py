"""Publication times: printed date lines and machine dates to RFC 3339 in Vietnam time.

Pure functions. The fast path matches the forms declared in :mod:`vusta_crawler.patterns`
(no dateparser); :func:`parse_fallback` hands other text to dateparser, restricted to the page's
language, day-month-year order and Asia/Ho_Chi_Minh, with relative phrases ("2 giờ trước")
anchored to the fetch time. A weekday that contradicts its date, an impossible date or a date
after the fetch time gives no value and a named problem: a wrong date is worse than none.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import NamedTuple

from vusta_crawler import patterns

VN_TZ = timezone(timedelta(hours=patterns.VIETNAM_OFFSET_HOURS))
"""Vietnam time, UTC+07:00, no daylight saving."""

# Problems a date can have; each becomes a stat ``vusta/date/<problem>`` and a warning.
WEEKDAY_MISMATCH = "weekday_mismatch"
INVALID_DATE = "invalid_date"
FUTURE_DATE = "future_date"
NO_TIME = "no_time"
UNPARSED = "unparsed"


class DateResult(NamedTuple):
    """The outcome of reading one date text (a tuple: cheap on the per-page fast path)."""

    raw: str
    value: datetime | None = None
    form: str | None = None
    problem: str | None = None

    @property
    def rfc3339(self) -> str | None:
        """The value as RFC 3339 in +07:00, or None."""
        return to_rfc3339(self.value) if self.value else None


def to_rfc3339(value: datetime) -> str:
    """Format an aware datetime as RFC 3339 in Vietnam time: ``2021-12-08T15:42:00+07:00``."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: the zone must be known")
    return value.astimezone(VN_TZ).isoformat(timespec="seconds")


def utc_rfc3339(value: datetime) -> str:
    """Format an aware datetime as RFC 3339 in UTC with ``Z``: ``2026-11-20T08:00:00Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> datetime:
    """Read an RFC 3339 timestamp (``Z`` or an offset) into an aware datetime."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp without offset: {text!r}")
    return value


def _line(text: str) -> str:
    """One line: NFC (only when needed: the check is cheap), white space collapsed."""
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


_WEEKDAYS = {**patterns.VI_WEEKDAYS, **patterns.EN_WEEKDAYS}
_PARTS = ("y", "m", "d", "H", "M", "S", "ampm", "tz", "tzm", "wd")


class _Form(NamedTuple):
    """A date-line form, and where each of :data:`_PARTS` sits in its groups (-1: none)."""

    name: str
    pattern: re.Pattern[str]
    slots: tuple[int, ...]


def _form(name: str, pattern: re.Pattern[str]) -> _Form:
    index = pattern.groupindex
    return _Form(name, pattern, tuple(index[p] - 1 if p in index else -1 for p in _PARTS))


# Date-line forms by what the line starts with: a digit, or a word ("Thứ", "Posted at"). (The
# slots travel with the pattern: looking them up by pattern would hash the compiled pattern.)
_DIGIT_FIRST = tuple(
    _form(f, p) for f, p in patterns.DATE_LINE_PATTERNS if f in patterns.DIGIT_FORMS
)
_WORD_FIRST = tuple(
    _form(f, p) for f, p in patterns.DATE_LINE_PATTERNS if f not in patterns.DIGIT_FORMS
)


def _build(
    found: re.Match[str], form: str, slots: tuple[int, ...], fetched_at: datetime | None
) -> DateResult:
    """Turn a matched date line into a checked DateResult (the per-page hot path: kept lean)."""
    raw = found[0].strip(" |-,")
    parts = found.groups()
    y, m, d, hh, mm, ss, ampm_at, tz_at, tzm_at, wd_at = slots
    hour = int(parts[hh])
    ampm = parts[ampm_at] if ampm_at >= 0 else None
    if ampm:
        if not 1 <= hour <= 12:
            return DateResult(raw, None, form, INVALID_DATE)
        hour = hour % 12 + (12 if ampm.upper() in ("CH", "PM") else 0)
    zone = parts[tz_at] if tz_at >= 0 else None
    tz = VN_TZ if zone is None else _zone(zone, parts[tzm_at])
    second = parts[ss]
    try:
        value = datetime(
            int(parts[y]), int(parts[m]), int(parts[d]), hour, int(parts[mm]),
            int(second) if second else 0, 0, tz,
        )  # fmt: skip
    except ValueError:
        return DateResult(raw, None, form, INVALID_DATE)
    weekday = parts[wd_at] if wd_at >= 0 else None
    if weekday:
        expected = _weekday_number(weekday)
        if expected is not None and expected != value.weekday():
            return DateResult(raw, None, form, WEEKDAY_MISMATCH)
    if tz is not VN_TZ:
        value = value.astimezone(VN_TZ)
    if fetched_at is not None and value > fetched_at:
        return DateResult(raw, None, form, FUTURE_DATE)
    return DateResult(raw, value, form)


@functools.cache
def _weekday_number(name: str) -> int | None:
    """0 (Monday) … 6 for a printed weekday ("Thứ tư", "SATurday"); None if unknown."""
    return _WEEKDAYS.get(" ".join(name.split()).casefold())


@functools.cache
def _zone(hours: str, minutes: str | None) -> timezone:
    """The zone of "(GMT+7)"; VN_TZ itself for +7, the usual case."""
    sign_hours = int(hours.replace(" ", ""))
    delta = timedelta(hours=abs(sign_hours), minutes=int(minutes or 0))
    offset = delta if sign_hours >= 0 else -delta
    return VN_TZ if offset == VN_TZ.utcoffset(None) else timezone(offset)


def _checked(result: DateResult, fetched_at: datetime | None) -> DateResult:
    if result.value is not None and fetched_at is not None and result.value > fetched_at:
        return DateResult(result.raw, form=result.form, problem=FUTURE_DATE)
    return result


def match_date_line(text: str, fetched_at: datetime | None = None) -> DateResult | None:
    """Read a printed date line by the known forms (A, B, C, D and kin); None if none fits.

    ``text`` is one line as printed; it must *start* with the date (trailing text such as a
    view count or the poster's name is allowed, and left out of ``raw``), so a sentence that
    mentions a date never fits. A publication label before it ("Đăng ngày:") is allowed too.
    """
    line = _line(text)
    if not line or len(line) > 160:
        return None
    result = _match_line(line, fetched_at)
    if result is None and patterns.DATE_LABEL_RE.match(line):
        result = _match_line(patterns.DATE_LABEL_RE.sub("", line, count=1), fetched_at)
    return result


def _match_line(line: str, fetched_at: datetime | None) -> DateResult | None:
    first = line[0]
    if first.isdigit():
        candidates = _DIGIT_FIRST
    elif first.isalpha():
        candidates = _WORD_FIRST
    else:
        return None
    for form, pattern, slots in candidates:
        found = pattern.match(line)
        if found:
            return _build(found, form, slots, fetched_at)
    if patterns.DATE_ONLY_RE.match(line):
        return DateResult(line, form="date-only", problem=NO_TIME)
    return None


def parse_machine_date(text: str, fetched_at: datetime | None = None) -> DateResult | None:
    """Read an ISO 8601 date from ``<time datetime>``, JSON-LD or meta; naive means +07:00."""
    raw = text.strip()
    found = patterns.ISO_DATETIME_RE.match(raw)
    if not found:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            return DateResult(raw, form="iso", problem=NO_TIME)
        return None
    parts: dict[str, str | None] = dict(found.groupdict())
    zone = parts.pop("z")
    try:
        value = datetime(
            int(str(parts["y"])),
            int(str(parts["m"])),
            int(str(parts["d"])),
            int(str(parts["H"])),
            int(str(parts["M"])),
            int(parts["S"] or 0),
        )
    except ValueError:
        return DateResult(raw, form="iso", problem=INVALID_DATE)
    if zone is None:
        aware = value.replace(tzinfo=VN_TZ)
    elif zone.upper() == "Z":
        aware = value.replace(tzinfo=UTC)
    else:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        aware = value.replace(tzinfo=timezone(sign * delta))
    return _checked(DateResult(raw, aware.astimezone(VN_TZ), "iso"), fetched_at)


def match_relative(text: str, fetched_at: datetime | None) -> DateResult | None:
    """Read "2 giờ trước" / "3 hours ago" against the fetch time; None if it is no such text."""
    line = _line(text)
    found = patterns.RELATIVE_TIME_RE.match(line)
    if not found or fetched_at is None:
        return None
    unit = patterns.RELATIVE_UNITS[found.group("unit").casefold()]
    value = fetched_at - timedelta(**{unit: int(found.group("n"))})
    return DateResult(line, value.astimezone(VN_TZ), "relative")


def read_date_text(text: str, language: str, fetched_at: datetime | None) -> DateResult:
    """A date text from an element that prints a date: the fast path, else dateparser."""
    fast = match_date_line(text, fetched_at) or match_relative(text, fetched_at)
    return fast if fast is not None else parse_fallback(text, language, fetched_at)


def parse_fallback(text: str, language: str, fetched_at: datetime | None) -> DateResult:
    """Read a date text no known form fits, with dateparser (slow; the last resort).

    Restricted to ``language``, DMY order and Asia/Ho_Chi_Minh; relative phrases are anchored to
    ``fetched_at``. Text without a time of day gives no value (``no_time``).
    """
    import dateparser  # imported here: slow to import, and only this rare path needs it

    raw = _line(text)
    base = (fetched_at or datetime.now(UTC)).astimezone(VN_TZ).replace(tzinfo=None)
    settings = {
        "DATE_ORDER": "DMY",
        "TIMEZONE": "Asia/Ho_Chi_Minh",
        "TO_TIMEZONE": "Asia/Ho_Chi_Minh",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "past",
        "REQUIRE_PARTS": ["day", "month", "year"],
    }
    try:
        value = dateparser.parse(raw, languages=[language], settings=settings)
    except (ValueError, OverflowError):
        value = None
    if value is None:
        return DateResult(raw, form="dateparser", problem=UNPARSED)
    relative = bool(re.search(r"\d\s*\S+\s+(?:trước|ago)\b|hôm (?:qua|nay)|yesterday|today", raw))
    if not relative and not re.search(r"\d{1,2}\s*[:h]\s*\d{2}", raw):
        return DateResult(raw, form="dateparser", problem=NO_TIME)
    return _checked(DateResult(raw, value.astimezone(VN_TZ), "dateparser"), fetched_at)
