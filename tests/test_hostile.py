"""Hostile pages: no input makes extraction raise or hang. Each gives a named outcome (an item,
perhaps with a named warning, or NotAnArticle with a reason), and work grows linearly with the
page (counted in calls, not timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from vusta_crawler import stats
from vusta_crawler.devtools.replay import FIXTURES_DIR, file_response
from vusta_crawler.extract.article import Extraction, NotAnArticle, extract_article

URL = "https://vusta.vn/bai-viet-thu-nghiem-p123.html"
FETCHED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TITLE = "Liên hiệp Hội Việt Nam làm việc với tỉnh Sơn La"
PARAGRAPH = (
    "Chiều ngày 07/12/2021, tại thành phố Sơn La, Đảng đoàn Liên hiệp các Hội Khoa học và Kỹ "
    "thuật Việt Nam đã thăm và làm việc với Ban Thường vụ Tỉnh ủy Sơn La."
)


def page(body: str, head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{TITLE}</title>{head}</head>"
        f"<body><h1>{TITLE}</h1><p>Thứ tư, 08/12/2021 15:42 (GMT+7)</p>{body}</body></html>"
    ).encode()


def extract(data: bytes) -> Extraction:
    return extract_article(file_response(data, URL), FETCHED)


def strings(value: Any) -> list[str]:
    """Every string in an item (fields, list entries, nested dicts)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings(v)]
    return []


@pytest.mark.parametrize(
    "data",
    [b"", b"   \n\t  \r\n", b"<!-- nothing but a comment -->", b"\xef\xbb\xbf", b"<html></html>"],
    ids=["empty", "whitespace", "comment", "bom", "bare-html"],
)
def test_pages_without_text_are_empty_pages(data: bytes) -> None:
    with pytest.raises(NotAnArticle) as raised:
        extract(data)
    assert raised.value.reason == "empty_page"


def test_deeply_nested_json_ld_is_skipped() -> None:
    nested = "[" * 100_000 + "]" * 100_000
    data = page(f"<p>{PARAGRAPH}</p>" * 3, f'<script type="application/ld+json">{nested}</script>')
    assert extract(data).item.title == TITLE


def test_control_characters_and_nuls_are_dropped_everywhere() -> None:
    dirty = PARAGRAPH.replace("Sơn La", "S\x00ơn\x01 La\x7f")
    body = (
        f"<p>{dirty}</p><p>{dirty}</p>"
        f'<p><img src="/anh/so\x00n-la\x07.jpg" alt="a\x00b" width="600"></p>'
        f"<h3>Xem thêm</h3><ul><li><a href='/bai-\x07khac-p5.html'>Bài\x00 khác</a></li></ul>"
    )
    item = extract(page(body)).item
    assert item.body_text and "Sơn La" in item.body_text
    assert item.related and item.related[0]["title"] == "Bài khác"
    for text in strings(vars(item)):
        assert not any(c in text for c in "\x00\x01\x07\x7f\ufffd"), repr(text)


@pytest.mark.parametrize("tag", ["div", "b", "section"])
def test_five_thousand_nested_elements_keep_their_article(tag: str) -> None:
    data = page(f"<{tag}>" * 5000 + f"<p>{PARAGRAPH}</p>" * 3 + f"</{tag}>" * 5000)
    extraction = extract(data)
    assert extraction.item.body_text == "\n\n".join([PARAGRAPH] * 3)
    assert stats.PAGE_FLATTENED in {w.key for w in extraction.warnings}


def test_a_base_href_off_the_two_hosts_is_ignored() -> None:
    body = (
        f"<p>{PARAGRAPH}</p><p><img src='/anh/a.jpg' width='600'></p>"
        "<h3>Xem thêm</h3><ul><li><a href='/bai-khac-p5.html'>Bài khác</a></li></ul>"
    )
    item = extract(page(body, '<base href="https://evil.example/x/">')).item
    assert [r["url"] for r in item.related] == ["https://vusta.vn/bai-khac-p5.html"]
    assert [i["url"] for i in item.images] == ["https://vusta.vn/anh/a.jpg"]
    item = extract(page(body, '<base href="https://en.vusta.vn/">')).item
    assert [r["url"] for r in item.related] == ["https://en.vusta.vn/bai-khac-p5.html"]


def test_image_urls_with_quotes_and_spaces_are_percent_encoded() -> None:
    body = f"""<p>{PARAGRAPH}</p><p><img src="/ảnh tin/so'n &quot;la&quot;.jpg" width="600"></p>"""
    item = extract(page(body)).item
    assert [i["url"] for i in item.images] == [
        "https://vusta.vn/%E1%BA%A3nh%20tin/so%27n%20%22la%22.jpg"
    ]
    assert 'src="https://vusta.vn/%E1%BA%A3nh%20tin/so%27n%20%22la%22.jpg"' in str(item.body_html)


def steps_taken(work: Callable[[], object]) -> int:
    """The lines of Python ``work`` executes (each turn of a loop or comprehension counts) and
    the C functions it calls: a measure of work that no machine's load changes."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., object]:
        nonlocal count
        count += 1
        return trace

    def profile(frame: FrameType, event: str, arg: object) -> None:
        nonlocal count
        if event == "c_call":
            count += 1

    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.settrace(None)
        sys.setprofile(None)
    return count


def paragraphs_page(n: int) -> bytes:
    return page("".join(f"<p>{PARAGRAPH} ({i})</p>" for i in range(n)))


def links_page(n: int) -> bytes:
    entries = "".join(
        f'<li><a href="/bai-so-{i}-p{i + 10}.html">Bài số {i}</a> Tóm tắt số {i}</li>'
        for i in range(n)
    )
    return page(f"<p>{PARAGRAPH}</p>" * 3 + f"<h3>Xem thêm</h3><ul>{entries}</ul>")


@pytest.mark.parametrize("make", [paragraphs_page, links_page], ids=["paragraphs", "links"])
def test_doubling_the_page_at_most_about_doubles_the_work(make: Callable[[int], bytes]) -> None:
    small, large = make(400), make(800)
    extract(small), extract(large)  # warm the memoized helpers for both, then count
    ratio = steps_taken(lambda: extract(large)) / steps_taken(lambda: extract(small))
    assert ratio <= 2.2, f"work grew {ratio:.2f}× for a page twice as large"


def test_a_page_of_100000_paragraphs_is_read() -> None:
    item = extract(paragraphs_page(100_000)).item
    assert item.body_text is not None and item.body_text.count("\n\n") == 99_999


def test_a_page_of_50000_links_is_read() -> None:
    item = extract(links_page(50_000)).item
    assert len(item.related) == 50_000
    assert item.related[-1]["summary"] == "Tóm tắt số 49999"


def test_parse_goes_on_after_a_bad_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"  \n")
    seed = FIXTURES_DIR / "article" / "seed_form_a" / "page.html"
    command = [sys.executable, "-m", "vusta_crawler.cli", "parse", str(empty), str(seed)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, input=None)
    assert result.returncode == 1, "a bad file makes the exit status non-zero"
    assert "Traceback" not in result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0]["error"] == "no_url" and lines[1]["article_id"] == 65432
    result = subprocess.run(
        [*command, "--url", URL], capture_output=True, text=True, check=False, input=None
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[0] == {"file": str(empty), "error": "not_article", "reason": "empty_page"}
