"""The publication-time normalizer, on real VUSTA date lines (shared/vusta/SITE.md, samples)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from vusta_crawler.extract import dates

FETCHED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

FAST_PATH = [
    # (printed, RFC 3339, form)
    ("Thứ tư, 08/12/2021 15:42 (GMT+7)", "2021-12-08T15:42:00+07:00", "A"),
    ("Thứ tư, 14/04/2010 07:00 (GMT+7)", "2010-04-14T07:00:00+07:00", "A"),
    ("Thứ ba, 22/12/2020 00:14 (GMT+7)", "2020-12-22T00:14:00+07:00", "A"),
    ("Thứ năm, 31/03/2005 21:06 (GMT+7)", "2005-03-31T21:06:00+07:00", "A"),
    ("Thứ Ba, 15/03/2022 14:53 (GMT+7)", "2022-03-15T14:53:00+07:00", "A"),
    ("Chủ nhật, 26/03/2023 00:13 (GMT+7)", "2023-03-26T00:13:00+07:00", "A"),
    ("Thứ tư, 08/12/2021 15:42 (GMT+7) - Lượt xem: 1523", "2021-12-08T15:42:00+07:00", "A"),
    ("Thứ 4, 08/12/2021 15:42", "2021-12-08T15:42:00+07:00", "A"),
    ("2023-06-30 12:04", "2023-06-30T12:04:00+07:00", "B"),
    ("2020-12-25 14:50", "2020-12-25T14:50:00+07:00", "B"),
    (
        "Posted at: SATurday - 30/12/2017 10:46 - post name: Cộng tác viên",
        "2017-12-30T10:46:00+07:00",
        "C",
    ),
    (
        "Posted at: TUEsday - 05/02/2008 10:44 - post name: Administrator",
        "2008-02-05T10:44:00+07:00",
        "C",
    ),
    ("05/10/2021 9:28 SA 59 lượt xem", "2021-10-05T09:28:00+07:00", "D"),
    ("14/06/2019 2:05 CH 120 lượt xem", "2019-06-14T14:05:00+07:00", "D"),
    ("01/01/2020 12:30 SA", "2020-01-01T00:30:00+07:00", "D"),
    ("12/01/2020 12:30 CH", "2020-01-12T12:30:00+07:00", "D"),
    ("08/12/2021 15:42", "2021-12-08T15:42:00+07:00", "A-"),
    ("15:42 | 08/12/2021", "2021-12-08T15:42:00+07:00", "T-"),
    # Decomposed Unicode (windows-1258 pages) reads the same.
    ("Thu\u031b\u0301 tu\u031b, 08/12/2021 15:42 (GMT+7)", "2021-12-08T15:42:00+07:00", "A"),
]


@pytest.mark.parametrize(("printed", "expected", "form"), FAST_PATH)
def test_fast_path(printed: str, expected: str, form: str) -> None:
    result = dates.match_date_line(printed, FETCHED)
    assert result is not None, printed
    assert (result.rfc3339, result.form, result.problem) == (expected, form, None)
    assert result.rfc3339.endswith("+07:00"), "the offset is always kept"


def test_raw_keeps_only_the_date_text() -> None:
    result = dates.match_date_line("Posted at: SATurday - 30/12/2017 10:46 - post name: X")
    assert result is not None and result.raw == "Posted at: SATurday - 30/12/2017 10:46"
    result = dates.match_date_line("05/10/2021 9:28 SA 59 lượt xem")
    assert result is not None and result.raw == "05/10/2021 9:28 SA"


PROBLEMS = [
    ("Thứ hai, 08/12/2021 15:42 (GMT+7)", dates.WEEKDAY_MISMATCH),  # 8 Dec 2021 was a Wednesday
    ("Posted at: MONday - 30/12/2017 10:46 - post name: X", dates.WEEKDAY_MISMATCH),
    ("Thứ ba, 31/02/2022 10:00 (GMT+7)", dates.INVALID_DATE),
    ("Thứ ba, 15/13/2022 10:00 (GMT+7)", dates.INVALID_DATE),
    ("08/12/2021 25:10", dates.INVALID_DATE),
    ("05/10/2021 13:28 CH", dates.INVALID_DATE),
    ("Thứ sáu, 25/12/2026 09:00 (GMT+7)", dates.FUTURE_DATE),
    ("08/12/2021", dates.NO_TIME),
]


@pytest.mark.parametrize(("printed", "problem"), PROBLEMS)
def test_unsound_dates_give_no_value(printed: str, problem: str) -> None:
    result = dates.match_date_line(printed, FETCHED)
    assert result is not None
    assert (result.value, result.problem) == (None, problem)


@pytest.mark.parametrize(
    "text",
    [
        "Chiều ngày 07/12/2021, tại thành phố Sơn La, Đảng đoàn Liên hiệp Hội Việt Nam đã thăm",
        "Ngày 26/1, tại tru sở VUSTA",
        "Tối 23/4, tại Nhà hát Lớn Hà Nội",
        "kỷ niệm 40 năm ngày thành lập (26/3/1983-26/3/2023).",
        "April 24, 2017 – Dr. Nghiem Vu Khai, Vice President",
        "",
    ],
)
def test_body_dates_are_never_date_lines(text: str) -> None:
    assert dates.match_date_line(text, FETCHED) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-12-08T15:42:00+07:00", "2021-12-08T15:42:00+07:00"),
        ("2023-01-26T03:15:00Z", "2023-01-26T10:15:00+07:00"),
        ("2021-05-18T16:16:00+00:00", "2021-05-18T23:16:00+07:00"),
        ("2022-09-13T20:08:00", "2022-09-13T20:08:00+07:00"),  # naive: Vietnam time
        ("2022-09-13 20:08:00.123+0700", "2022-09-13T20:08:00+07:00"),
    ],
)
def test_machine_dates(value: str, expected: str) -> None:
    result = dates.parse_machine_date(value, FETCHED)
    assert result is not None and result.rfc3339 == expected


def test_machine_date_problems() -> None:
    assert dates.parse_machine_date("2022-02-31T10:00:00Z").problem == dates.INVALID_DATE
    assert dates.parse_machine_date("2027-01-01T00:00:00Z", FETCHED).problem == dates.FUTURE_DATE
    assert dates.parse_machine_date("2022-09-13").problem == dates.NO_TIME
    assert dates.parse_machine_date("yesterday") is None


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("2 giờ trước", "vi", "2026-11-20T13:00:00+07:00"),
        ("30 phút trước", "vi", "2026-11-20T14:30:00+07:00"),
        ("Thứ Tư, ngày 8 tháng 12 năm 2021 lúc 15:42", "vi", "2021-12-08T15:42:00+07:00"),
        ("3 hours ago", "en", "2026-11-20T12:00:00+07:00"),
        ("December 8, 2021 3:42 PM", "en", "2021-12-08T15:42:00+07:00"),
    ],
)
def test_dateparser_fallback(text: str, language: str, expected: str) -> None:
    result = dates.parse_fallback(text, language, FETCHED)
    assert (result.rfc3339, result.form) == (expected, "dateparser")


def test_dateparser_fallback_is_day_first_and_honest() -> None:
    assert dates.parse_fallback("08/12/2021 15:42", "vi", FETCHED).rfc3339 == (
        "2021-12-08T15:42:00+07:00"
    )
    assert dates.parse_fallback("8 tháng 12, 2021", "vi", FETCHED).problem == dates.NO_TIME
    assert dates.parse_fallback("không rõ", "vi", FETCHED).problem == dates.UNPARSED
    assert dates.parse_fallback("ngày mai", "vi", FETCHED).value is None


def test_rfc3339_helpers() -> None:
    moment = dates.parse_rfc3339("2026-11-20T08:00:00Z")
    assert dates.utc_rfc3339(moment) == "2026-11-20T08:00:00Z"
    assert dates.to_rfc3339(moment) == "2026-11-20T15:00:00+07:00"
    with pytest.raises(ValueError, match="offset"):
        dates.parse_rfc3339("2026-11-20T08:00:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 giờ trước", "2026-11-20T13:00:00+07:00"),
        ("45 phút trước", "2026-11-20T14:15:00+07:00"),
        ("1 ngày trước", "2026-11-19T15:00:00+07:00"),
        ("3 hours ago", "2026-11-20T12:00:00+07:00"),
    ],
)
def test_relative_fast_path(text: str, expected: str) -> None:
    result = dates.read_date_text(text, "vi", FETCHED)
    assert (result.rfc3339, result.form) == (expected, "relative")
    assert dates.match_relative(text, None) is None, "no fetch time, no reading"


def test_read_date_text_falls_back_to_dateparser() -> None:
    result = dates.read_date_text("Thứ Tư, ngày 8 tháng 12 năm 2021 lúc 15:42", "vi", FETCHED)
    assert (result.rfc3339, result.form) == ("2021-12-08T15:42:00+07:00", "dateparser")
    assert dates.read_date_text("08/12/2021 15:42", "vi", FETCHED).form == "A-"
