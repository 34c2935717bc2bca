"""Publication times: printed date lines and machine dates to RFC 3339 in Vietnam time.

Pure functions. The fast path matches the forms declared in :mod:`vusta_crawler.patterns`
(no dateparser); :func:`parse_fallback` hands other text to dateparser, restricted to the page's
language, day-month-year order and Asia/Ho_Chi_Minh, with relative phrases ("2 giờ trước")
anchored to the fetch time. A weekday that contradicts its date, an impossible date or a date
after the fetch time gives no value and a named problem: a wrong date is worse than none.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from vusta_crawler import patterns

VN_TZ = timezone(timedelta(hours=patterns.VIETNAM_OFFSET_HOURS))
"""Vietnam time, UTC+07:00, no daylight saving."""

# Problems a date can have; each becomes a stat ``vusta/date/<problem>`` and a warning.
WEEKDAY_MISMATCH = "weekday_mismatch"
INVALID_DATE = "invalid_date"
FUTURE_DATE = "future_date"
NO_TIME = "no_time"
UNPARSED = "unparsed"


@dataclass(frozen=True)
class DateResult:
    """The outcome of reading one date text."""

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


def _fold(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip().casefold()


def _build(
    raw: str, form: str, parts: dict[str, str | None], fetched_at: datetime | None
) -> DateResult:
    """Turn matched parts into a checked DateResult."""
    hour = int(parts["H"] or 0)
    ampm = (parts.get("ampm") or "").upper()
    if ampm:
        if not 1 <= hour <= 12:
            return DateResult(raw, form=form, problem=INVALID_DATE)
        hour = hour % 12 + (12 if ampm in ("CH", "PM") else 0)
    tz = VN_TZ
    if parts.get("tz"):
        sign_hours = int(str(parts["tz"]).replace(" ", ""))
        minutes = int(parts.get("tzm") or 0)
        delta = timedelta(hours=abs(sign_hours), minutes=minutes)
        tz = timezone(delta if sign_hours >= 0 else -delta)
    try:
        value = datetime(
            int(str(parts["y"])),
            int(str(parts["m"])),
            int(str(parts["d"])),
            hour,
            int(parts["M"] or 0),
            int(parts.get("S") or 0),
            tzinfo=tz,
        )
    except ValueError:
        return DateResult(raw, form=form, problem=INVALID_DATE)
    weekday = parts.get("wd")
    if weekday:
        expected = _weekday_number(weekday)
        if expected is not None and expected != value.weekday():
            return DateResult(raw, form=form, problem=WEEKDAY_MISMATCH)
    return _checked(DateResult(raw, value.astimezone(VN_TZ), form), fetched_at)


def _weekday_number(name: str) -> int | None:
    folded = _fold(name)
    if folded in patterns.VI_WEEKDAYS:
        return patterns.VI_WEEKDAYS[folded]
    return patterns.EN_WEEKDAYS.get(folded)


def _checked(result: DateResult, fetched_at: datetime | None) -> DateResult:
    if result.value is not None and fetched_at is not None and result.value > fetched_at:
        return DateResult(result.raw, form=result.form, problem=FUTURE_DATE)
    return result


def match_date_line(text: str, fetched_at: datetime | None = None) -> DateResult | None:
    """Read a printed date line by the known forms (A, B, C, D and kin); None if none fits.

    ``text`` is one line as printed; it must *start* with the date (trailing text such as a
    view count or the poster's name is allowed, and left out of ``raw``), so a sentence that
    mentions a date never fits.
    """
    line = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if len(line) > 160:
        return None
    for form, pattern in patterns.DATE_LINE_PATTERNS:
        found = pattern.match(line)
        if found:
            raw = found.group(0).strip(" |-,")
            return _build(raw, form, found.groupdict(), fetched_at)
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


def parse_fallback(text: str, language: str, fetched_at: datetime | None) -> DateResult:
    """Read a date text no known form fits, with dateparser (slow; the last resort).

    Restricted to ``language``, DMY order and Asia/Ho_Chi_Minh; relative phrases are anchored to
    ``fetched_at``. Text without a time of day gives no value (``no_time``).
    """
    import dateparser  # imported here: slow to import, and only this rare path needs it

    raw = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
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
