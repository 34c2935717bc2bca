"""Full-size article pages for the speed benchmark: each fixture article in realistic site chrome.

The fixture pages (``fixtures/article/<case>/page.html``) are 1–30 KB: reconstructions that keep
the article and only a little of a site's chrome. A page as vusta.vn serves it is larger, and most
of it is chrome: a mega-menu, sidebars of teasers, inline scripts, a footer. Timed on the bare
fixtures, the extractor is timed mostly on article text; timed on this corpus, on pages of the
size a crawl meets. The chrome is also a test: extraction from a full-size page must give the
SAME item as from its bare fixture (``expected.json``).

Each page is its fixture page parsed with ``lxml.html``, with chrome inserted as the first and the
last children of ``<body>`` only, never inside the article's own containers (also where one
``<form>`` or one wrapper ``<table>`` holds the whole page), and serialized back with the
original ``<head>`` and doctype (the article's markup is lxml's serialization of the fixture's
tree: the same elements and text, not always the same bytes). First in ``<body>``: a header
with a logo ``<img>``, a search form and a mega-menu of 150 or more links to section listings
(``https://vusta.vn/<slug>.html``, ``/<slug>/<sub>.html``, never an ``-pNNNN.html`` article).
Last: a ``<div class="col-right">`` with two blocks of 15 teasers, "Tin đọc nhiều" and "Tin cùng
chuyên mục" ("Most read", "More in this section" on English pages), each a thumbnail, a linked
title and a one- or two-sentence summary; a 10 KB inline analytics/config ``<script>``; a footer
with VUSTA's address, phone, email, a copyright line and 20 links. English pages get English
labels and menu texts.

Texts: teaser titles and summaries are the OTHER fixtures' expected titles and first body
paragraphs (real VUSTA texts), never the page's own title or a sentence of its own body. The
fixtures hold few distinct titles (17 Vietnamese, 9 English today), so titles repeat across the
two blocks (and, on English pages, within a block), each time with a link of its own. Teaser
links point at the page's own host (``https://en.vusta.vn/…`` on en.vusta.vn pages, otherwise
``https://vusta.vn/…``). The section, member-association, province and institute names of the
menu, the phone number and the script's contents were written here, not taken from the site.

Sizes: every page is 40–60 KB (KB = 1024 bytes). The chrome is padded (longer teaser summaries,
linked thumbnails, more menu links) up to a target drawn per page, at least 40 KB, and stops
before 60 KB. On the fixtures so large (over about 22 KB: three today) that even the least
padded chrome would pass 60 KB, the teaser blocks are cut instead, to 9–14 teasers each (never
under ``LEAST_TEASERS``); a fixture page over 60 KB by itself would be kept with the least
chrome (none is).
``check_sizes`` asserts these bounds.

Deterministic: the same fixtures give the same bytes. Every choice comes from a
``random.Random`` seeded with the case name's CRC-32; nothing reads the clock or global random.

Charsets: a page is decoded with its declared charset (HTTP header, else ``<meta>``, else
UTF-8), as Scrapy does, and encoded back in it. The three windows-1258 fixtures are kept: their
chrome is written the way their article is, letters that windows-1258 has precomposed as single
bytes and other tone marks as combining characters; a character the charset cannot hold at all
(the look-alikes "ǎ" and "Ð" of some fixtures' texts) is written as a numeric character
reference, as the fixtures do.

Cases: every ``fixtures/article`` case whose ``expected.json`` is an item; one holding an
``"error"`` key would be skipped (none does). ``relative_date`` and ``future_date`` are kept:
their items depend on the fetch time, and each page carries its fixture's ``fetched_at``, which
the extractor must be given, exactly as for the bare fixtures.

Usage: ``python -m vusta_crawler.devtools.fullsize [--write DIR]`` prints the number of pages
and their sizes; with ``--write`` it also saves each page as ``DIR/<case>.html`` for a person
to look at.
"""

from __future__ import annotations

import argparse
import codecs
import functools
import itertools
import json
import random
import re
import statistics
import sys
import unicodedata
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml.html import HtmlElement
from lxml.html.builder import E

from vusta_crawler.devtools.replay import FIXTURES_DIR

KB = 1024
MIN_BYTES = 40 * KB
MAX_BYTES = 60 * KB
MAX_BARE_BYTES = 28 * KB
"""Fixture pages larger than this carry a site's chrome of their own (held-out round 4): the
least chrome added would pass MAX_BYTES, so they are left out (they are fixtures all the same)."""
TARGET_BYTES = (MIN_BYTES + KB, MIN_BYTES + 14 * KB)
"""Each page's size target is drawn from this range; padding stops at the first level past it."""

TEASERS_PER_BLOCK = 15
LEAST_TEASERS = 5
"""Teasers a block keeps on a page that 15 would push over 60 KB (see ``choose_level``)."""
MIN_MENU_LINKS = 150
FOOTER_LINKS = 20
SCRIPT_BYTES = 10 * KB

ARTICLE_HREF_RE = re.compile(r"-p\d+\.html$")
DOCTYPE_RE = re.compile(r"^\s*(<!doctype[^>]*>)", re.IGNORECASE)
CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
SENTENCE_END_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?]\[\d\])|(?<=[.!?]\[\d\d\]))\s+")
"""Where a sentence may end: after ``.``, ``!`` or ``?``, or after a footnote mark behind one."""
ABBREVIATIONS = frozenset(
    {"ts", "pgs", "gs", "ths", "tskh", "ks", "bs", "tp", "dr", "mr", "mrs", "ms", "prof", "st"}
)
"""Titles whose dot ends no sentence ("PGS.TS. Phạm Quang Thao", "Dr. Eric Dziuban")."""

Link = tuple[str, str]
"""A link's text and href."""


# --- what the corpus holds -----------------------------------------------------------------------


@dataclass(frozen=True)
class FullSizePage:
    """One fixture article in full-size chrome, with what it must yield."""

    name: str
    url: str
    fetched_at: str
    content_type: str
    body: bytes
    expected: dict[str, Any]
    bare_size: int
    """Bytes of the fixture's own ``page.html``, before the chrome."""


@dataclass(frozen=True)
class Fixture:
    """One saved article case, read from its folder."""

    name: str
    meta: dict[str, Any]
    expected: dict[str, Any]
    page: bytes

    @property
    def english(self) -> bool:
        return self.expected.get("language") == "en"


@dataclass(frozen=True)
class Story:
    """Another article's title and lead paragraph: the text of a teaser."""

    title: str
    lead: str


@dataclass(frozen=True)
class Teaser:
    """A sidebar entry; ``summaries`` grow: shortest sentence, first sentence, first two."""

    title: str
    url: str
    image: str
    summaries: tuple[str, str, str]


@dataclass(frozen=True)
class MenuSection:
    """A top-level menu entry and its sub-menu, of which the first ``shown`` links show at first."""

    top: Link
    subs: tuple[Link, ...]
    shown: int


@dataclass(frozen=True)
class Labels:
    """The chrome's words in one language."""

    logo_alt: str
    search_action: str
    search_placeholder: str
    search_button: str
    most_read: str
    same_section: str
    organisation: str
    address: str
    phone: str
    copyright: str
    other_language: Link


@dataclass(frozen=True)
class Chrome:
    """Everything one page's chrome can show, drawn once; a level says how much of it shows."""

    labels: Labels
    origin: str
    menu: tuple[MenuSection, ...]
    extras: tuple[int, ...]
    """For each padding link, in the order they are added, the index of its menu section."""
    teasers: tuple[Teaser, ...]
    """Both blocks' teasers, "most read" first."""
    script: str
    footer: tuple[Link, ...]

    @property
    def required_level(self) -> int:
        """The first level showing every teaser: below it, blocks are cut to stay under 60 KB."""
        return len(self.teasers) - 2 * LEAST_TEASERS

    @property
    def levels(self) -> int:
        """The highest level: all teasers, longest summaries, linked thumbnails, every link."""
        return self.required_level + 3 * len(self.teasers) + len(self.extras)


# --- the site's words ----------------------------------------------------------------------------

LABELS_VI = Labels(
    logo_alt="Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam",
    search_action="/tim-kiem.html",
    search_placeholder="Nhập từ khóa tìm kiếm",
    search_button="Tìm kiếm",
    most_read="Tin đọc nhiều",
    same_section="Tin cùng chuyên mục",
    organisation="Cơ quan chủ quản: Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam",
    address="Địa chỉ: Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam, 53 Nguyễn Du, Hà Nội",
    phone="Điện thoại: (024) 3943 2206 · Email: vusta@vusta.vn",
    copyright="© Bản quyền thuộc về Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam. "
    "Ghi rõ nguồn “vusta.vn” khi phát hành lại thông tin từ website này.",
    other_language=("English", "https://en.vusta.vn/"),
)

LABELS_EN = Labels(
    logo_alt="Vietnam Union of Science and Technology Associations",
    search_action="/search.html",
    search_placeholder="Search",
    search_button="Search",
    most_read="Most read",
    same_section="More in this section",
    organisation="Vietnam Union of Science and Technology Associations (VUSTA)",
    address="Address: Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam, 53 Nguyễn Du, Hà Nội",
    phone="Phone: +84 24 3943 2206 · Email: vusta@vusta.vn",
    copyright="© Copyright Vietnam Union of Science and Technology Associations. "
    "Please cite “en.vusta.vn” when republishing.",
    other_language=("Tiếng Việt", "https://vusta.vn/"),
)

# Menus: "slug: text" opens a top-level entry; indented lines list its sub-menu, "; " between
# entries; "= name" takes the sub-menu from GENERATED_MENUS, of which padding shows more.
MENU_VI = """
gioi-thieu: Giới thiệu
    Lịch sử hình thành; Chức năng, nhiệm vụ; Cơ cấu tổ chức; Lãnh đạo Liên hiệp Hội
    Đoàn Chủ tịch; Hội đồng Trung ương; Ủy ban Kiểm tra; Điều lệ; Các ban chuyên môn; Văn phòng
tin-tuc: Tin tức
    Cơ quan TW; Hoạt động Liên hiệp Hội; Địa phương; Hội thành viên; Tổ chức KH&CN
    Sự kiện nổi bật; Thông báo; Trong nước; Quốc tế; Điểm báo
tu-van-phan-bien: Tư vấn phản biện
    Chính sách pháp luật; Dự án đầu tư; Kinh tế - xã hội; Môi trường; Giáo dục - đào tạo; Y tế
    Năng lượng; Giao thông - xây dựng; Quy hoạch đô thị; Nông nghiệp - nông thôn
pho-bien-kien-thuc: Phổ biến kiến thức
    Khoa học thường thức; Nông nghiệp; Sức khỏe; Môi trường; Công nghệ thông tin; Năng lượng
    Biến đổi khí hậu; Chuyển đổi số
hoi-thanh-vien: Hội thành viên = associations
dia-phuong: Liên hiệp hội địa phương = provinces
to-chuc-khcn: Tổ chức KH&CN trực thuộc = institutes
hop-tac-quoc-te: Hợp tác quốc tế
    Đối ngoại nhân dân; Dự án quốc tế; Hội nghị, hội thảo quốc tế; Đối tác
    Trí thức người Việt ở nước ngoài
tri-thuc: Trí thức
    Gương trí thức; Tôn vinh trí thức; Diễn đàn trí thức; Giải thưởng
sang-tao: Sáng tạo
    Hội thi Sáng tạo kỹ thuật; Sáng tạo thanh thiếu niên nhi đồng; Giải thưởng VIFOTEC; Sáng kiến
van-ban: Văn bản
    Văn bản của Đảng; Văn bản Nhà nước; Văn bản Liên hiệp Hội; Biểu mẫu
multimedia: Multimedia
    Video; Thư viện ảnh; Infographic; Podcast
lien-he: Liên hệ
"""

MENU_EN = """
about-us: About us
    History; Functions and tasks; Organizational structure; Leadership; Presidium
    Central Council; Inspection Committee; Charter; Departments; Office
news: News
    VUSTA news; Activities; Provinces; Member associations; S&T organizations; Events
    Announcements; Domestic; International; Press review
consultancy: Consultancy and social critique
    Policies and laws; Investment projects; Socio-economics; Environment; Education and training
    Health; Energy; Transport and construction; Urban planning; Agriculture and rural areas
popularization: Science popularization
    Everyday science; Agriculture; Health; Environment; Information technology; Energy
    Climate change; Digital transformation
member-associations: Member associations = associations
provinces: Provincial unions = provinces
organizations: S&T organizations = institutes
international-cooperation: International cooperation
    People-to-people diplomacy; International projects; International conferences; Partners
    Overseas Vietnamese intellectuals
intellectuals: Intellectuals
    Role models; Honouring intellectuals; Intellectual forum; Awards
innovation: Innovation
    Technical Innovation Contest; Youth Creativity Contest; VIFOTEC Award; Initiatives
documents: Documents
    Party documents; State documents; VUSTA documents; Forms
multimedia: Multimedia
    Videos; Photo gallery; Infographics; Podcasts
contact: Contact
"""

GENERATED_SHOWN = {"associations": 10, "provinces": 63, "institutes": 5}
"""Links of each generated sub-menu shown before any padding (the rest are padding)."""

FOOTER_VI = """Giới thiệu; Tin tức; Tư vấn phản biện; Phổ biến kiến thức; Hội thành viên;
    Liên hiệp hội địa phương; Hợp tác quốc tế; Trí thức; Sáng tạo; Văn bản; Thông báo; Sự kiện;
    Multimedia; Tạp chí; Sơ đồ website; Liên hệ; RSS; Điều khoản sử dụng; Chính sách bảo mật"""

FOOTER_EN = """About us; News; Consultancy and social critique; Science popularization; Member
    associations; Provincial unions; International cooperation; Intellectuals; Innovation;
    Documents; Announcements; Events; Multimedia; Publications; Sitemap; Contact; RSS;
    Terms of use; Privacy policy"""

PROVINCES = """An Giang; Bà Rịa - Vũng Tàu; Bắc Giang; Bắc Kạn; Bạc Liêu; Bắc Ninh; Bến Tre;
    Bình Định; Bình Dương; Bình Phước; Bình Thuận; Cà Mau; Cần Thơ; Cao Bằng; Đà Nẵng; Đắk Lắk;
    Đắk Nông; Điện Biên; Đồng Nai; Đồng Tháp; Gia Lai; Hà Giang; Hà Nam; Hà Nội; Hà Tĩnh;
    Hải Dương; Hải Phòng; Hậu Giang; Hòa Bình; Hưng Yên; Khánh Hòa; Kiên Giang; Kon Tum;
    Lai Châu; Lâm Đồng; Lạng Sơn; Lào Cai; Long An; Nam Định; Nghệ An; Ninh Bình; Ninh Thuận;
    Phú Thọ; Phú Yên; Quảng Bình; Quảng Nam; Quảng Ngãi; Quảng Ninh; Quảng Trị; Sóc Trăng;
    Sơn La; Tây Ninh; Thái Bình; Thái Nguyên; Thanh Hóa; Thừa Thiên Huế; Tiền Giang;
    TP. Hồ Chí Minh; Trà Vinh; Tuyên Quang; Vĩnh Long; Vĩnh Phúc; Yên Bái"""

# "Vietnamese = English", one a line.
ASSOCIATIONS = """
Tổng hội Xây dựng Việt Nam = Vietnam Federation of Civil Engineering Associations
Tổng hội Cơ khí Việt Nam = Vietnam General Association of Mechanical Engineering
Tổng hội Địa chất Việt Nam = Vietnam General Association of Geology
Tổng hội Y học Việt Nam = Vietnam Medical Association
Tổng hội Nông nghiệp và Phát triển nông thôn = Vietnam Agriculture and Rural Association
Hội Hóa học Việt Nam = Chemical Society of Vietnam
Hội Vật lý Việt Nam = Vietnam Physical Society
Hội Toán học Việt Nam = Vietnam Mathematical Society
Hội Tin học Việt Nam = Vietnam Information Processing Association
Hội Cơ học Việt Nam = Vietnam Association of Mechanics
Hội Thủy lợi Việt Nam = Vietnam Irrigation Association
Hội Cầu đường Cảng Việt Nam = Vietnam Road, Bridge and Port Association
Hội Khoa học Kinh tế Việt Nam = Vietnam Economic Association
Hội Dược học Việt Nam = Vietnam Pharmaceutical Association
Hội Đông y Việt Nam = Vietnam Traditional Medicine Association
Hội Khoa học Lịch sử Việt Nam = Vietnam Historical Science Association
Hội Ngôn ngữ học Việt Nam = Vietnam Linguistics Society
Hội Khoa học Tâm lý - Giáo dục Việt Nam = Vietnam Psychology and Education Association
Hội Thú y Việt Nam = Vietnam Veterinary Association
Hội Khoa học Đất Việt Nam = Vietnam Soil Science Society
Hội Bảo vệ Thiên nhiên và Môi trường = Association for Conservation of Nature and Environment
Hội Trắc địa - Bản đồ - Viễn thám = Association of Geodesy, Cartography and Remote Sensing
Hội Vô tuyến - Điện tử Việt Nam = Radio and Electronics Association of Vietnam
Hội Tự động hóa Việt Nam = Vietnam Automation Association
Hội Khoa học và Công nghệ Mỏ = Vietnam Mining Science and Technology Association
Hội Dầu khí Việt Nam = Vietnam Petroleum Association
Hội Khoa học Kỹ thuật Lâm nghiệp = Vietnam Forestry Science and Technology Association
Hội Nghề cá Việt Nam = Vietnam Fisheries Society
Hội Kinh tế Môi trường Việt Nam = Vietnam Environmental Economics Association
Hội Kế hoạch hóa Gia đình Việt Nam = Vietnam Family Planning Association
Hội Dân tộc học và Nhân học = Vietnam Ethnology and Anthropology Association
Hội Luật quốc tế Việt Nam = Vietnam Society of International Law
Hội Khoa học Hành chính Việt Nam = Vietnam Administrative Science Association
Hội Sinh lý học Việt Nam = Vietnam Physiological Society
Hội Ung thư Việt Nam = Vietnam Cancer Society
Hội Điện lực Việt Nam = Vietnam Electricity Association
"""

INSTITUTE_KINDS = """
Viện Nghiên cứu {} = Institute for {} Research
Trung tâm Tư vấn {} = Centre for {} Consultancy
Viện Phát triển {} = Institute for {} Development
Trung tâm Nghiên cứu {} = Centre for {} Studies
"""

INSTITUTE_FIELDS = """
Môi trường và Phát triển bền vững = Environment and Sustainability
Năng lượng tái tạo = Renewable Energy
Nông nghiệp công nghệ cao = High-Tech Agriculture
Y tế cộng đồng = Community Health
Nguồn nhân lực = Human Resources
Chính sách công = Public Policy
Công nghệ sinh học = Biotechnology
Tài nguyên nước = Water Resources
Biến đổi khí hậu = Climate Change
Đô thị và Hạ tầng = Urban Infrastructure
Giới và Gia đình = Gender and Family
Văn hóa và Phát triển = Culture
Công nghệ thông tin = Information Technology
Kinh tế số = Digital Economy
Phát triển cộng đồng = Community
Dinh dưỡng = Nutrition
An toàn thực phẩm = Food Safety
Vật liệu mới = Advanced Materials
Khoa học biển = Marine Science
Quản lý rủi ro thiên tai = Disaster Risk Management
Người cao tuổi = Ageing
Sở hữu trí tuệ = Intellectual Property
"""

SCRIPT_HEAD = """window.dataLayer = window.dataLayer || [];
function gtag() { dataLayer.push(arguments); }
gtag('js', new Date());
gtag('config', '%(ga)s', { anonymize_ip: true, page_path: location.pathname });
var VUSTA_CONFIG = """

SCRIPT_TAIL = """;
(function (w, d) {
  var cfg = w.VUSTA_CONFIG, slots = cfg.ads.slots, seen = {};
  function lazy(img) {
    if (img.getAttribute('data-src')) { img.src = img.getAttribute('data-src'); }
  }
  function fill(slot) {
    var box = d.getElementById(slot.id);
    if (!box || seen[slot.id]) { return; }
    seen[slot.id] = true;
    var img = d.createElement('img');
    img.setAttribute('data-src', slot.src);
    img.width = slot.size[0]; img.height = slot.size[1];
    box.appendChild(img); lazy(img);
  }
  function scrolled() { gtag('event', 'scroll', { zone: 'article' }); }
  w.addEventListener('load', function () {
    for (var i = 0; i < slots.length; i++) {
      if (slots[i].weight > cfg.ads.minWeight) { fill(slots[i]); }
    }
    if (cfg.tracking.scroll) { w.addEventListener('scroll', scrolled, { once: true }); }
  });
})(window, document);
"""


def names_of(text: str) -> list[str]:
    """The "; "-separated names of ``text``, over as many lines as it takes."""
    return [name for name in " ".join(text.split()).split("; ") if name]


def pairs_of(text: str) -> list[tuple[str, str]]:
    """The "Vietnamese = English" pairs of ``text``, one a line."""
    pairs = (line.split(" = ") for line in text.strip().splitlines())
    return [(vi, en) for vi, en in pairs]


# --- reading the fixtures ------------------------------------------------------------------------


def load_fixtures(fixtures_dir: Path) -> list[Fixture]:
    """Every article case under ``fixtures_dir/article``, sorted by name."""
    folders = sorted(path.parent for path in (fixtures_dir / "article").glob("*/page.html"))
    return [
        Fixture(
            name=folder.name,
            meta=json.loads((folder / "meta.json").read_text(encoding="utf-8")),
            expected=json.loads((folder / "expected.json").read_text(encoding="utf-8")),
            page=(folder / "page.html").read_bytes(),
        )
        for folder in folders
    ]


def skip_reason(fixture: Fixture) -> str | None:
    """Why a case is left out of the corpus, or None when it is in."""
    if "error" in fixture.expected:
        return f"no item ({fixture.expected['error']})"
    if len(fixture.page) > MAX_BARE_BYTES:
        return f"a full page already ({len(fixture.page) // KB} KB): its chrome would pass 60 KB"
    return None


def page_codec(fixture: Fixture) -> str:
    """The page's declared charset as a Python codec: HTTP header, else ``<meta>``, else UTF-8."""
    for source in (fixture.meta.get("content_type", "").encode("ascii"), fixture.page[:4096]):
        found = CHARSET_RE.search(source)
        if found:
            return str(codecs.lookup(found.group(1).decode("ascii")).name)
    return "utf-8"


def first_paragraph(expected: dict[str, Any]) -> str:
    """The body's first real paragraph: not a numbered sub-heading, long enough to summarize."""
    body_text: str = expected.get("body_text") or ""
    paragraphs = [p.strip() for p in body_text.split("\n\n") if p.strip()]
    for paragraph in paragraphs:
        if len(paragraph) >= 60 and not re.match(r"\d+\.\s", paragraph):
            return paragraph
    return paragraphs[0] if paragraphs else ""


def fold(text: str) -> str:
    """Text as compared: NFC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def stories_of(fixtures: Sequence[Fixture]) -> dict[str, list[Story]]:
    """Distinct (by title) stories of the fixtures, by language; the first fixture of a title
    gives its lead."""
    seen: set[str] = set()
    by_language: dict[str, list[Story]] = {"vi": [], "en": []}
    for fixture in fixtures:
        title = fixture.expected.get("title")
        lead = first_paragraph(fixture.expected)
        if not title or not lead or fold(title) in seen:
            continue
        seen.add(fold(title))
        by_language["en" if fixture.english else "vi"].append(Story(title, lead))
    return by_language


# --- texts for the chrome ------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """The text's sentences (the dot of "PGS.TS." or "Dr." ends none)."""
    merged: list[str] = []
    for piece in SENTENCE_END_RE.split(text.strip()):
        if merged and _ends_with_abbreviation(merged[-1]):
            merged[-1] += " " + piece
        else:
            merged.append(piece)
    return merged


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(None, 1)[-1].rstrip(".").lstrip('(“"').casefold()
    return any(part in ABBREVIATIONS for part in last.split("."))


def summaries(lead: str) -> tuple[str, str, str]:
    """A teaser's summaries, each as long as the one before or longer: the lead's shortest
    sentence (of 40 characters or more), its first sentence, its first two sentences."""
    parts = sentences(lead) or [lead]
    shortest = min((p for p in parts if len(p) >= 40), key=len, default=parts[0])
    return min(shortest, parts[0], key=len), parts[0], " ".join(parts[:2])


def slugify(text: str) -> str:
    """A URL slug as vusta.vn makes one: ASCII, lower case, ``đ`` → ``d``, punctuation dropped."""
    return re.sub(r"[\s-]+", "-", re.sub(r"[^a-z0-9\s-]", "", ascii_name(text).lower())).strip("-")


def ascii_name(text: str) -> str:
    """Text without diacritics (``Đà Nẵng`` → ``Da Nang``), as English pages write names."""
    for letter, plain in (("đ", "d"), ("Đ", "D"), ("Ð", "D"), ("ð", "d")):
        text = text.replace(letter, plain)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def origin_of(url: str) -> str:
    """The host the chrome links to: en.vusta.vn for its pages, vusta.vn for every other."""
    return "https://en.vusta.vn" if urlsplit(url).hostname == "en.vusta.vn" else "https://vusta.vn"


# --- drawing one page's chrome -------------------------------------------------------------------


def generated_menu(name: str, english: bool) -> list[str]:
    """A long sub-menu: member associations, provinces or institutes."""
    if name == "associations":
        return [en if english else vi for vi, en in pairs_of(ASSOCIATIONS)]
    if name == "provinces":
        provinces = names_of(PROVINCES)
        return [_english_province(p) for p in provinces] if english else provinces
    kinds, fields = pairs_of(INSTITUTE_KINDS), pairs_of(INSTITUTE_FIELDS)
    if english:
        return [kind.format(field) for _, field in fields for _, kind in kinds]
    return [kind.format(field) for field, _ in fields for kind, _ in kinds]


def _english_province(name: str) -> str:
    return ascii_name(name[4:]) + " City" if name.startswith("TP. ") else ascii_name(name)


def site_menu(english: bool) -> tuple[MenuSection, ...]:
    """The mega-menu, the same on every page of a language; its hrefs are relative."""
    sections: list[MenuSection] = []
    slug = ""
    for line in (MENU_EN if english else MENU_VI).strip().splitlines():
        if line.startswith(" "):  # more of the last section's sub-menu
            last = sections.pop()
            subs = last.subs + tuple((t, f"/{slug}/{slugify(t)}.html") for t in names_of(line))
            sections.append(MenuSection(last.top, subs, len(subs)))
            continue
        slug, text = line.split(": ", 1)
        text, _, generated = text.partition(" = ")
        names = generated_menu(generated, english) if generated else []
        subs = tuple((t, f"/{slug}/{slugify(t)}.html") for t in names)
        shown = GENERATED_SHOWN[generated] if generated else 0
        sections.append(MenuSection((text, f"/{slug}.html"), subs, shown))
    return tuple(sections)


def menu_extras(menu: Sequence[MenuSection]) -> tuple[int, ...]:
    """The order padding adds menu links in: one to each section that has more, in turn."""
    left = [len(section.subs) - section.shown for section in menu]
    order: list[int] = []
    while any(left):
        for index, count in enumerate(left):
            if count:
                order.append(index)
                left[index] -= 1
    return tuple(order)


def teaser_pool(fixture: Fixture, stories: dict[str, list[Story]]) -> list[Story]:
    """Stories in the page's language but not its own: not its title, no sentence of its body."""
    own_title = fold(fixture.expected.get("title") or "")
    own_text = fold(fixture.expected.get("body_text") or "")
    return [
        story
        for story in stories["en" if fixture.english else "vi"]
        if fold(story.title) != own_title and fold(sentences(story.lead)[0]) not in own_text
    ]


def draw_teasers(
    rng: random.Random, fixture: Fixture, pool: Sequence[Story], origin: str
) -> tuple[Teaser, ...]:
    """Two blocks of teasers, each a fresh shuffle of ``pool`` (cycled when it is short)."""
    if not pool:
        raise ValueError(f"{fixture.name}: no other fixture's text to make teasers of")
    own_id = fixture.expected.get("article_id")
    ids = [n for n in rng.sample(range(10000, 100000), 2 * TEASERS_PER_BLOCK + 1) if n != own_id]
    teasers: list[Teaser] = []
    for _ in range(2):
        order = list(pool)
        rng.shuffle(order)
        for index in range(TEASERS_PER_BLOCK):
            story = order[index % len(order)]
            url = f"{origin}/{slugify(story.title)}-p{ids[len(teasers)]}.html"
            image = f"/uploads/news/{rng.randint(2019, 2025)}/{rng.randint(1, 12):02d}/"
            image += f"{rng.randint(1_550_000_000, 1_760_000_000)}.jpg"
            teasers.append(Teaser(story.title, url, image, summaries(story.lead)))
    return tuple(teasers)


def analytics_script(rng: random.Random, origin: str, english: bool) -> str:
    """An inline analytics/config script of ``SCRIPT_BYTES`` or a little more: code and a JSON
    blob, ASCII only (any charset holds it) and without ``</`` (it cannot end itself)."""
    slots: list[dict[str, Any]] = []
    config: dict[str, Any] = {
        "site": urlsplit(origin).hostname,
        "lang": "en" if english else "vi",
        "cdn": f"{origin}/themes/vusta/",
        "ads": {"minWeight": 2, "refresh": 60, "slots": slots},
        "tracking": {"scroll": True, "outbound": True, "sampleRate": rng.randint(10, 100)},
        "features": {"lazyImages": True, "darkMode": False, "comments": rng.random() < 0.5},
    }
    head = SCRIPT_HEAD % {"ga": f"G-{rng.randrange(16**10):010X}"}
    script = ""
    while len(script) < SCRIPT_BYTES:
        slots.append(_ad_slot(rng, origin, len(slots)))
        script = head + json.dumps(config, separators=(",", ":")) + SCRIPT_TAIL
    return script


def _ad_slot(rng: random.Random, origin: str, index: int) -> dict[str, Any]:
    zones = ("header", "sidebar-top", "sidebar-bottom", "in-article", "footer")
    width, height = rng.choice(((300, 250), (300, 600), (728, 90), (970, 250), (320, 100)))
    return {
        "id": f"ads-{index:03d}",
        "zone": zones[index % len(zones)],
        "size": [width, height],
        "src": f"{origin}/uploads/banner/{rng.randrange(16**12):012x}.jpg",
        "weight": rng.randint(1, 9),
    }


def footer_links(labels: Labels, english: bool, origin: str) -> tuple[Link, ...]:
    """The footer's links: the site's main pages, then the other language's home page."""
    names = names_of(FOOTER_EN if english else FOOTER_VI)
    return (*[(name, f"{origin}/{slugify(name)}.html") for name in names], labels.other_language)


def draw_chrome(fixture: Fixture, stories: dict[str, list[Story]], rng: random.Random) -> Chrome:
    """Everything the page's chrome can show, drawn from ``rng`` in a fixed order."""
    origin = origin_of(fixture.meta["url"])
    labels = LABELS_EN if fixture.english else LABELS_VI
    menu = site_menu(fixture.english)
    chrome = Chrome(
        labels=labels,
        origin=origin,
        menu=menu,
        extras=menu_extras(menu),
        teasers=draw_teasers(rng, fixture, teaser_pool(fixture, stories), origin),
        script=analytics_script(rng, origin, fixture.english),
        footer=footer_links(labels, fixture.english, origin),
    )
    check_chrome(chrome)
    return chrome


def check_chrome(chrome: Chrome) -> None:
    """Raise ValueError unless the chrome has what the corpus promises, even at its least."""
    menu_links = [section.top for section in chrome.menu]
    menu_links += [link for section in chrome.menu for link in section.subs[: section.shown]]
    if len(menu_links) < MIN_MENU_LINKS:
        raise ValueError(f"the menu shows {len(menu_links)} links, under {MIN_MENU_LINKS}")
    every_href = [href for _, href in (*menu_links, *chrome.footer)]
    every_href += [href for section in chrome.menu for _, href in section.subs]
    if any(ARTICLE_HREF_RE.search(href) for href in every_href):
        raise ValueError("a menu or footer link looks like an article's")
    if len(chrome.footer) != FOOTER_LINKS:
        raise ValueError(f"the footer has {len(chrome.footer)} links, not {FOOTER_LINKS}")
    if len(chrome.script) < SCRIPT_BYTES or "</" in chrome.script or "<!--" in chrome.script:
        raise ValueError("the inline script is too short or could end itself")


# --- rendering the chrome at a level -------------------------------------------------------------


def render_chrome(chrome: Chrome, level: int) -> tuple[list[HtmlElement], list[HtmlElement]]:
    """The chrome's elements for the top and for the bottom of ``<body>`` at ``level``: the
    levels add, in turn, teasers (to each block alternately), a sentence to each summary (two
    rounds), a link around each thumbnail, and menu links."""
    count = len(chrome.teasers)
    added = min(level, chrome.required_level)
    shown = (LEAST_TEASERS + (added + 1) // 2, LEAST_TEASERS + added // 2)
    level -= added
    summary_steps, level = min(level, 2 * count), max(level - 2 * count, 0)
    linked_thumbs, extra_links = min(level, count), max(level - count, 0)
    header = render_header(chrome, extra_links)
    sidebar = render_sidebar(chrome, shown, summary_steps, linked_thumbs)
    script = E.script(chrome.script, type="text/javascript")
    return [header], [sidebar, script, render_footer(chrome)]


def render_header(chrome: Chrome, extra_links: int) -> HtmlElement:
    """Logo, search form and mega-menu, with the first ``extra_links`` padding links."""
    labels = chrome.labels
    added = chrome.extras[:extra_links]
    items = []
    for index, section in enumerate(chrome.menu):
        item = E.li(E.a(section.top[0], href=chrome.origin + section.top[1]))
        subs = section.subs[: section.shown + added.count(index)]
        if subs:
            item.append(_lines(E.ul(*[E.li(E.a(text, href=href)) for text, href in subs])))
        items.append(item)
    logo = E.img(src=f"{chrome.origin}/themes/vusta/images/logo.png", alt=labels.logo_alt)
    search = E.form(
        {"class": "search-form", "action": chrome.origin + labels.search_action, "method": "get"},
        E.input(type="text", name="q", placeholder=labels.search_placeholder),
        E.button(labels.search_button, type="submit"),
    )
    menu = _lines(E.div({"class": "mega-menu"}, _lines(E.ul({"class": "menu"}, *items))))
    logo_box = E.div({"class": "logo"}, E.a(logo, href=chrome.origin + "/"))
    return _lines(E.div({"class": "header", "id": "header"}, logo_box, search, menu))


def render_sidebar(
    chrome: Chrome, shown: tuple[int, int], summary_steps: int, linked_thumbs: int
) -> HtmlElement:
    """The right column's two blocks, the first ``shown[i]`` teasers of block ``i``. Teaser
    ``n`` gets its first sentence once ``summary_steps > n``, two once ``> n + count``."""
    count = len(chrome.teasers)
    blocks = []
    for number, label in enumerate((chrome.labels.most_read, chrome.labels.same_section)):
        first = number * TEASERS_PER_BLOCK
        entries = [
            render_teaser(
                chrome.teasers[n],
                summary=int(summary_steps > n) + int(summary_steps > count + n),
                linked_thumb=linked_thumbs > n,
            )
            for n in range(first, first + shown[number])
        ]
        teasers = _lines(E.ul({"class": "list-news"}, *entries))
        blocks.append(_lines(E.div({"class": "box-news"}, E.h2(label), teasers)))
    return _lines(E.div({"class": "col-right"}, *blocks))


def render_teaser(teaser: Teaser, summary: int, linked_thumb: bool) -> HtmlElement:
    """Thumbnail, linked title and summary (``summary`` indexes ``teaser.summaries``)."""
    image = E.img(src=teaser.image, alt="")
    thumb = E.a(image, href=teaser.url) if linked_thumb else image
    title = E.h3(E.a(teaser.title, href=teaser.url))
    return E.li(thumb, title, E.p(teaser.summaries[summary]))


def render_footer(chrome: Chrome) -> HtmlElement:
    """The footer's links, then the address, phone, email and copyright."""
    labels = chrome.labels
    links = _lines(E.ul(*[E.li(E.a(text, href=href)) for text, href in chrome.footer]))
    info = [E.p(text) for text in (labels.organisation, labels.address, labels.phone)]
    info.append(E.p({"class": "copyright"}, labels.copyright))
    return _lines(E.div({"class": "footer"}, links, _lines(E.div({"class": "info"}, *info))))


def _lines(parent: HtmlElement) -> HtmlElement:
    """``parent`` with a line break before each child, for a person reading the page."""
    parent.text = "\n"
    for child in parent:
        child.tail = "\n"
    return parent


# --- putting a page together ---------------------------------------------------------------------


def insert_chrome(doc: HtmlElement, top: list[HtmlElement], bottom: list[HtmlElement]) -> None:
    """``top`` as the first children of ``<body>``, ``bottom`` as its last; nothing else moves."""
    body = doc.body
    lead = body.text
    body.text = "\n"
    for index, element in enumerate(top):
        element.tail = "\n"
        body.insert(index, element)
    top[-1].tail = lead or "\n"  # text that opened <body> still comes before its first child
    for element in bottom:
        element.tail = "\n"
        body.append(element)


def fit_charset(root: HtmlElement, codec: str) -> None:
    """Rewrite the texts under ``root`` so that ``codec`` holds them (see ``in_charset``)."""
    if codec == "utf-8":
        return
    for node in root.iter():
        if node.text:
            node.text = "".join(in_charset(c, codec) for c in node.text)
        if node.tail:
            node.tail = "".join(in_charset(c, codec) for c in node.tail)
        for key, value in node.attrib.items():
            node.set(key, "".join(in_charset(c, codec) for c in value))


@functools.cache
def in_charset(char: str, codec: str) -> str:
    """``char`` as ``codec`` writes it: its base letter composed with as many of its marks as
    the codec holds precomposed, then the other marks as combining characters (windows-1258:
    ``ệ`` → ``ê`` + combining dot below), else ``char`` (a character reference, once encoded)."""
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    for size in range(len(marks), -1, -1):
        for kept in itertools.combinations(range(len(marks)), size):
            composed = unicodedata.normalize("NFC", base + "".join(marks[i] for i in kept))
            rest = "".join(mark for i, mark in enumerate(marks) if i not in kept)
            try:
                (composed + rest).encode(codec)
            except UnicodeEncodeError:
                continue
            return composed + rest
    return char


def render_page(text: str, doctype: str | None, chrome: Chrome, level: int, codec: str) -> bytes:
    """The page ``text`` with its chrome at ``level``, serialized and encoded in ``codec``."""
    doc = lxml.html.document_fromstring(text)
    top, bottom = render_chrome(chrome, level)
    for element in (*top, *bottom):
        fit_charset(element, codec)
    insert_chrome(doc, top, bottom)
    html = lxml.html.tostring(
        doc, encoding="unicode", doctype=doctype, include_meta_content_type=True
    )  # without the last, lxml drops <meta http-equiv="Content-Type">: the head must stay whole
    return str(html).encode(codec, errors="xmlcharrefreplace")


def first_level_reaching(size: Callable[[int], int], low: int, high: int, target: int) -> int:
    """The lowest level in ``low..high`` whose page has ``target`` bytes or more (sizes grow
    with the level), or ``high`` when none has."""
    while low < high:
        middle = (low + high) // 2
        if size(middle) >= target:
            high = middle
        else:
            low = middle + 1
    return low


def choose_level(size: Callable[[int], int], chrome: Chrome, target: int) -> int:
    """The page's level: the first to reach ``target``, unless that passes 60 KB. When even
    every teaser with the shortest summaries passes 60 KB, the most teasers that do not (but
    ``LEAST_TEASERS`` a block, whatever the size)."""
    required = chrome.required_level
    if size(required) > MAX_BYTES:
        return max(first_level_reaching(size, 0, required, MAX_BYTES + 1) - 1, 0)
    level = first_level_reaching(size, required, chrome.levels, target)
    return level - 1 if size(level) > MAX_BYTES else level


def full_size_page(fixture: Fixture, stories: dict[str, list[Story]]) -> FullSizePage:
    """The fixture's page in chrome padded to a size target drawn for this case."""
    rng = random.Random(zlib.crc32(fixture.name.encode("utf-8")))
    codec = page_codec(fixture)
    text = fixture.page.decode(codec)
    found = DOCTYPE_RE.match(text)
    doctype = found.group(1) if found else None
    chrome = draw_chrome(fixture, stories, rng)
    rendered: dict[int, bytes] = {}

    def size(level: int) -> int:
        if level not in rendered:
            rendered[level] = render_page(text, doctype, chrome, level, codec)
        return len(rendered[level])

    level = choose_level(size, chrome, target=rng.randint(*TARGET_BYTES))
    size(level)
    return FullSizePage(
        name=fixture.name,
        url=fixture.meta["url"],
        fetched_at=fixture.meta["fetched_at"],
        content_type=fixture.meta["content_type"],
        body=rendered[level],
        expected=fixture.expected,
        bare_size=len(fixture.page),
    )


def build_corpus(fixtures_dir: Path) -> list[FullSizePage]:
    """A full-size page for every article fixture kept (see ``skip_reason``), by case name."""
    fixtures = load_fixtures(fixtures_dir)
    stories = stories_of(fixtures)
    return [full_size_page(f, stories) for f in fixtures if skip_reason(f) is None]


def skipped_cases(fixtures_dir: Path) -> dict[str, str]:
    """The article cases left out of the corpus, each with why."""
    reasons = {f.name: skip_reason(f) for f in load_fixtures(fixtures_dir)}
    return {name: reason for name, reason in reasons.items() if reason is not None}


def check_sizes(pages: Sequence[FullSizePage]) -> tuple[int, int]:
    """Assert every page is 40–60 KB (larger only when its fixture alone is over 60 KB); return
    the smallest and the largest size in bytes."""
    assert pages, "no pages"
    for page in pages:
        size = len(page.body)
        assert size >= MIN_BYTES, f"{page.name}: {size} bytes, under {MIN_BYTES}"
        assert size <= MAX_BYTES or page.bare_size > MAX_BYTES, f"{page.name}: {size} bytes"
    sizes = [len(page.body) for page in pages]
    return min(sizes), max(sizes)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the full-size benchmark pages.")
    parser.add_argument("--write", type=Path, metavar="DIR", help="save each as DIR/<case>.html")
    args = parser.parse_args(argv)
    pages = build_corpus(FIXTURES_DIR)
    smallest, largest = check_sizes(pages)
    median = statistics.median(len(page.body) for page in pages)
    print(f"{len(pages)} pages; bytes: min {smallest}, median {median:.0f}, max {largest}")
    for name, reason in skipped_cases(FIXTURES_DIR).items():
        print(f"skipped {name}: {reason}")
    if args.write:
        args.write.mkdir(parents=True, exist_ok=True)
        for page in pages:
            (args.write / f"{page.name}.html").write_bytes(page.body)
        print(f"written to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
