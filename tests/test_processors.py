"""Text and URL normalizers: tables of real VUSTA strings, and properties (hypothesis)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vusta_crawler.extract import normalize, text, urls

TEXT = [
    # (raw, clean) — whitespace and encoding noise goes, what was published stays.
    ("  Ban biên tập  vusta.vn ", "Ban biên tập vusta.vn"),
    ("cho biết,\u00a0 ý thức", "cho biết, ý thức"),
    ("Liên hiệphội", "Liên hiệphội"),  # lost space: kept as published
    ("Việt Nam , thường", "Việt Nam , thường"),  # space before comma: kept
    ("hơn 10 n\u01cem đổi mới", "hơn 10 n\u01cem đổi mới"),  # look-alike ǎ stays ǎ
    ("Qũy", "Qũy"),
    ("Vi\u0303\u0323t", unicodedata.normalize("NFC", "Vi\u0303\u0323t")),
    ("Vie\u0323\u0302t Nam", "Việt Nam"),  # decomposed → NFC
    ("KH&amp;CN", "KH&CN"),
    ("KH&CN và S&T", "KH&CN và S&T"),  # no entity: no change
    ("&quot;Anh hùng&quot;", '"Anh hùng"'),
    ("&amp;quot;Anh hùng&amp;quot;", '"Anh hùng"'),  # double-escaped
    ("Vi&#7879;t Nam", "Việt Nam"),
    ("zero\u200bwidth\ufeff", "zerowidth"),
    ("line\nbreak\tand\r\ntabs", "line break and tabs"),
    ("“Hero of Labor” – 2021", "“Hero of Labor” – 2021"),
    (None, ""),
]


@pytest.mark.parametrize(("raw", "clean"), TEXT)
def test_clean_text(raw: str | None, clean: str) -> None:
    assert text.clean_text(raw) == clean


def test_clean_paragraphs() -> None:
    assert normalize.clean_paragraphs(["  a  b ", "", "\u00a0", "c"]) == "a b\n\nc"


URLS = [
    (
        "http://www.vusta.vn/quy-dinh-gui-tin-bai-dang-tren-wwwvustavn-p62269.html#top",
        "https://vusta.vn/quy-dinh-gui-tin-bai-dang-tren-wwwvustavn-p62269.html",
    ),
    (
        "https://vusta.vn/a-p1.html?utm_source=facebook&utm_medium=social&fbclid=x",
        "https://vusta.vn/a-p1.html",
    ),
    ("https://VUSTA.vn/tin-tuc.html?page=2&utm_campaign=x", "https://vusta.vn/tin-tuc.html?page=2"),
    ("http://EN.vusta.vn/x-p86.html", "https://en.vusta.vn/x-p86.html"),
    (
        "http://vusta.vn/chitiet/dai-hoi-lhhvn-lan-thu-viii-2020-2025/mot-so-ket-qua",
        "https://vusta.vn/chitiet/dai-hoi-lhhvn-lan-thu-viii-2020-2025/mot-so-ket-qua",
    ),
    ("https://vusta.vn", "https://vusta.vn/"),
    ("https://vusta.vn:443/a-p1.html", "https://vusta.vn/a-p1.html"),
    ("https://example.org/x?a=1#f", "https://example.org/x?a=1"),
    ("https://vusta.vn/tìm kiếm.html", "https://vusta.vn/t%C3%ACm%20ki%E1%BA%BFm.html"),
    ("javascript:void(0)", None),
    ("mailto:info@vusta.vn", None),
    ("/relative-p1.html", None),
    ("", None),
]


@pytest.mark.parametrize(("raw", "canonical"), URLS)
def test_canonical_url(raw: str, canonical: str | None) -> None:
    assert urls.canonical_url(raw) == canonical


@pytest.mark.parametrize(
    ("url", "site", "language", "article_id", "is_article"),
    [
        ("https://vusta.vn/lien-hiep-hoi-p64768.html", "vusta.vn", "vi", 64768, True),
        ("https://en.vusta.vn/vusta-leadership-p86.html", "en.vusta.vn", "en", 86, True),
        ("https://vusta.vn/chitiet/tin-tuc/mot-so-ket-qua", "vusta.vn", "vi", None, True),
        ("https://vusta.vn/chitieten/hoat-dong/some-news", "vusta.vn", "en", None, True),
        (
            "https://vusta.vn/en/news/Our-Partners/VUSTA-s-x-56018.html",
            "vusta.vn",
            "en",
            None,
            True,
        ),
        ("https://vusta.vn/tu-van-phan-bien.html?page=169", "vusta.vn", "vi", None, False),
        ("https://vusta.vn/tin-tuc-su-kien-c37.html", "vusta.vn", "vi", None, False),
        ("https://example.org/x-p1.html", "example.org", "vi", 1, False),
    ],
)
def test_url_classification(
    url: str, site: str, language: str, article_id: int | None, is_article: bool
) -> None:
    assert urls.url_site(url) == site
    assert urls.url_language(url) == language
    assert urls.url_article_id(url) == article_id
    assert urls.is_article_url(url) is is_article


@pytest.mark.parametrize(
    ("href", "ok"),
    [("javascript:void(0)", False), ("#", False), ("#top", False), ("mailto:a@b", False),
     ("", False), (None, False), ("/a-p1.html", True), ("https://vusta.vn/", True)],
)  # fmt: skip
def test_followable_href(href: str | None, ok: bool) -> None:
    assert urls.is_followable_href(href) is ok


def test_links_and_images() -> None:
    link = {"url": "http://www.vusta.vn/a-p1.html#x", "title": " T\u00a0 ", "summary": " "}
    assert normalize.clean_link(link) == {
        "url": "https://vusta.vn/a-p1.html",
        "title": "T",
        "summary": None,
    }
    assert normalize.clean_link({"url": "javascript:void(0)", "title": "x"}) is None
    assert normalize.clean_image({"url": "https://vusta.vn/i.jpg", "caption": ""}) == {
        "url": "https://vusta.vn/i.jpg",
        "caption": None,
    }
    assert normalize.clean_image({"url": "data:image/png;base64,xx"}) is None
    entries = [{"url": "u1"}, None, {"url": "u2"}, {"url": "u1", "x": 1}]
    assert normalize.unique_by_url(entries) == [{"url": "u1"}, {"url": "u2"}]


def test_authors() -> None:
    assert normalize.strip_author_label("Author: Nguyen Thanh Hai") == "Nguyen Thanh Hai"
    assert normalize.strip_author_label("Tác giả: TS. Lê Công Lương") == "TS. Lê Công Lương"
    assert normalize.strip_author_label("TS. Lê Công Lương") == "TS. Lê Công Lương"
    assert normalize.unique_texts(["A", " A ", "", "B"]) == ["A", "B"]


def test_content_hash_follows_text_not_noise() -> None:
    one = normalize.content_hash("Tiêu đề", "Đoạn một.\n\nĐoạn hai.")
    assert one.startswith("sha256:") and len(one) == 7 + 64
    assert normalize.content_hash(" Tiêu\u00a0đề ", "Đoạn một. \n\n\n\nĐoạn  hai.") == one
    assert normalize.content_hash("Tiêu đề", "Đoạn một.\n\nĐoạn ba.") != one


def test_sanitize_html() -> None:
    dirty = (
        '<p onclick="x()">Hi <a href="javascript:alert(1)">x</a><script>alert(1)</script>'
        '<img src="https://vusta.vn/a.jpg" onerror="x()"><span style="color:red">s</span></p>'
    )
    clean = normalize.sanitize_html(dirty)
    for bad in ("onclick", "javascript", "script", "onerror", "style"):
        assert bad not in clean
    assert '<img src="https://vusta.vn/a.jpg">' in clean and "s</p>" in clean


# --- properties ---------------------------------------------------------------------------

VIETNAMESE = "ăâđêôơưĂÂĐÊÔƠƯàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ"
texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(VIETNAMESE + " \u00a0\t\n&;#x\u0301\u0303\u0323\u200b")),
        st.characters(),
    )
)


@given(texts)
def test_clean_text_is_idempotent_nfc_and_trimmed(raw: str) -> None:
    once = text.clean_text(raw)
    assert text.clean_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert once == once.strip()
    assert "  " not in once and "\n" not in once


@given(texts, texts)
def test_content_hash_is_stable(title: str, body: str) -> None:
    cleaned = text.clean_text(title)
    assert normalize.content_hash(title, body) == normalize.content_hash(cleaned, body)


segments = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-đĐ ./%", max_size=20)
hosts = st.sampled_from(["vusta.vn", "www.vusta.vn", "en.vusta.vn", "VUSTA.VN", "example.org"])
queries = st.lists(
    st.tuples(st.sampled_from(["page", "utm_source", "q", "fbclid", "id"]), segments), max_size=3
)


@given(st.sampled_from(["http", "https"]), hosts, st.lists(segments, max_size=4), queries, segments)
def test_canonical_url_is_idempotent(
    scheme: str, host: str, path: list[str], query: list[tuple[str, str]], fragment: str
) -> None:
    from urllib.parse import urlencode

    url = f"{scheme}://{host}/{'/'.join(path)}?{urlencode(query)}#{fragment}"
    once = urls.canonical_url(url)
    assert once is not None
    assert urls.canonical_url(once) == once
    assert "#" not in once and "utm_" not in once and "fbclid" not in once
    assert not once.startswith("http://") or "vusta.vn" not in once.split("/")[2]
    assert "www." not in once
