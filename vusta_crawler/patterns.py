"""Declared data about VUSTA's sites: hosts, URL shapes, labels, date-line patterns.

Everything the extractor and the spider recognise by name or pattern is declared here, once,
so that a change on the site is a change to this file. Sources: shared/vusta/SITE.md and the
sample pages.
"""

from __future__ import annotations

import re

# --- hosts --------------------------------------------------------------------------------

HOSTS = ("vusta.vn", "en.vusta.vn")
"""The only hosts the crawler may request (``www.`` variants are folded into these)."""

SITE_NAMES = (
    "Liên hiệp các hội khoa học và kỹ thuật Việt Nam",
    "Liên hiệp các hội và khoa học kỹ thuật Việt Nam",
    "Liên hiệp các Hội KH&KT Việt Nam",
    "Liên hiệp các Hội KH và KT Việt Nam",
    "Vietnam Union of Science and Technology Associations",
    "VUSTA",
    "vusta.vn",
    "en.vusta.vn",
)
"""The site-name line printed above articles: never a title, never a section.

Compared without case, diacritics or spacing, so "Lien hiep cac Hoi KH&KT Viet Nam" is one too.
"""

# --- URL shapes ---------------------------------------------------------------------------

ARTICLE_ID_RE = re.compile(r"-p(\d+)\.html$")
"""``/<slug>-p<digits>.html``: an article; the digits are its id (per host)."""

ARTICLE_PATH_RES = (
    ARTICLE_ID_RE,
    re.compile(r"^/chitiet(?:en)?/[^/]+/[^/]+/?$"),
    re.compile(r"^/en/news/[^/]+/[^/]+-\d+\.html$"),
)
"""Paths of article pages, in the three CMS generations seen."""

LISTING_PATH_RE = re.compile(r"^/(?:[a-z0-9-]+/)?[a-z0-9-]+\.html$")
"""Section listings: ``/tin-tuc.html``, ``/tin-tuc/co-quan-tw.html``, ``/x-c37.html`` (paged
with ``?page=N``); article paths are told apart first."""

SITES = {"vi": ("vusta.vn",), "en": ("en.vusta.vn",), "all": ("vusta.vn", "en.vusta.vn"),
         "vusta.vn": ("vusta.vn",), "en.vusta.vn": ("en.vusta.vn",)}  # fmt: skip
"""The ``site`` of the spider, ``crawl`` and ``export``: which hosts (``vi``/``en`` or the host)."""

DEFAULT_SECTIONS = {
    "vusta.vn": ("tin-tuc", "tu-van-phan-bien", "tin-tuc/co-quan-tw"),
    "en.vusta.vn": (),
}
"""Section listings crawled besides those the home pages link to (from SITE.md)."""

SECTION_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "vusta.vn": {
        # SITE.md and the sample pages (listing URLs; "co-quan-tw = Cơ quan TW"), the demo mirror
        "tin-tuc": ("Tin tức", "Tin tức - Sự kiện"),
        "tin-tuc/co-quan-tw": ("Cơ quan TW",),
        "tu-van-phan-bien": ("Tư vấn phản biện",),
        "en/news": ("News",),
        # the sample pages' older-CMS URLs (/chitiet/<this>/…; its listing there: /chuyenmuc/…)
        "dai-hoi-lhhvn-lan-thu-viii-2020-2025": ("Đại hội LHHVN lần thứ VIII (2020-2025)",),
        # the reconstructed fixtures' breadcrumbs only (unconfirmed on the live site)
        "tin-tuc/hoat-dong-lien-hiep-hoi": ("Hoạt động Liên hiệp Hội",),
        "khoa-hoc-cong-nghe": ("Khoa học - Công nghệ",),
        "thong-bao": ("Thông báo",),
        "du-an": ("Dự án",),
        "dien-dan": ("Diễn đàn",),
    },
    "en.vusta.vn": {
        "news": ("News",),  # the demo mirror and the fixtures
        # the reconstructed fixtures' breadcrumbs only (unconfirmed on the live site)
        "activities": ("Activities",),
        "activities/provincial-unions": ("Provincial Unions",),
        "international-cooperation": ("International cooperation",),
    },
}
"""Section listings by host: path (``/<path>.html?page=N``) → the section's printed names, the
first as extraction stores it in the item's ``section`` (the breadcrumb's or category's label),
then other spellings seen (menus print "Tin tức - Sự kiện" for "Tin tức").

From shared/vusta/SITE.md, sample-pages.jsonl, the fixtures' ``expected.json`` ``section``
values with the listing their breadcrumb links to, and the demo mirror's listings
(fixtures/site). Names are matched without regard to case, Unicode composition, spacing or
punctuation ("Tư vấn - Phản biện" is "Tư vấn phản biện"), but not without diacritics: the
ASCII spelling of a section is its path. The legacy English sections (``/en/news/Our-Partners/``,
``/chitieten/hoat-dong``) have no listing of this shape and are not here: ``export`` still
takes their stored names. ``crawl --section`` and ``export --section`` read this table."""

ARTICLE_HREF_HINT_RE = re.compile(r"-p\d+\.html|/chitiet|/en/news/", re.IGNORECASE)
"""A quick test on a raw ``href``: only such links can lead to an article (of any shape above),
so the others need no resolving."""

ENGLISH_PATH_RE = re.compile(r"^/(?:en/|chitieten/)")
"""Legacy English pages on the vusta.vn host."""

TRACKING_PARAMS_RE = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|msclkid|zarsrc|_ga|_gl|mc_cid|mc_eid|ref|refid|source)$",
    re.IGNORECASE,
)
"""Query parameters that say where a reader came from, not what the page is."""

# --- labels of page blocks -------------------------------------------------------------------

RELATED_LABELS = ("xem thêm", "read more", "đọc thêm")
"""Headings of the related-articles block ("Xem thêm"; "Read more" on en.vusta.vn)."""

LATEST_LABELS = ("tin mới", "tin mới nhất", "tin mới đăng", "tin mới cập nhật", "latest news")
"""Headings of the latest-news block ("Tin mới")."""

SIDEBAR_LABELS = (
    # other "related" lists than the page's own "Xem thêm" block: never body, never ``related``
    "tin liên quan",
    "bài liên quan",
    "bài viết liên quan",
    "tin cùng chuyên mục",
    "cùng chuyên mục",
    "bài cùng chuyên mục",
    "more in this section",
    "in this section",
    "other news",
    "tin khác",
    "các tin khác",
    "related news",
    "related articles",
    "related posts",
    "tin đọc nhiều",
    "đọc nhiều",
    "đọc nhiều nhất",
    "tin xem nhiều",
    "xem nhiều",
    "xem nhiều nhất",
    "tin nổi bật",
    "tin tiêu điểm",
    "tiêu điểm",
    "most read",
    "most viewed",
    "most popular",
    "popular",
    "video",
    "thư viện ảnh",
    "liên kết website",
    "tags",
    "từ khóa",
    "bình luận",
    "comments",
    "article reviews",
)
"""Headings of blocks that are never part of the article nor of its link lists."""

NOISE_HINT_RE = re.compile(
    r"(?:^|[\s_-])(?:side-?bar|sidebar|menu|nav|navbar|footer|header|breadcrumbs?|comments?|"
    r"share|social|banner|ads?|advert\w*|widget|popular|most-?read|doc-?nhieu|xem-?nhieu|"
    r"tags?|rating|vote|print|toolbar|related|tin-?lien-?quan|tin-?moi|latest|other-?news|"
    r"hotnews|login|search)(?:$|[\s_\d-])",
    re.IGNORECASE,
)
"""Class/id words that usually mark chrome. A hint only: blocks are also found by their headings."""

NOISE_TAGS = ("nav", "footer", "aside", "form", "iframe", "noscript", "button", "select")
"""Elements that never hold article text."""

SKIP_TAGS = ("script", "style", "template", "noscript", "svg", "head", "iframe", "object")
"""Elements whose text is never read at all."""

CAPTION_HINT_RE = re.compile(
    r"caption|chu-?thich|image-?desc|img-?desc|photo-?desc|desc-?img|expnote|image_desc|"
    r"(?:^|[\s_-])(?:cap|legend|credit)(?:$|[\s_-])",
    re.IGNORECASE,
)
"""Class words of photo captions."""

SUMMARY_HINT_RE = re.compile(
    r"(?:^|[\s_-])(?:sapo|lead|summary|chapeau|intro|excerpt|teaser|description|desc|tom-?tat|mo-?ta)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
"""Class words of the lead (sapo) paragraph."""

DATE_HINT_RE = re.compile(r"date|time|publish|posted|ngay|thoi-?gian", re.IGNORECASE)
"""Class words of elements printing the date line (tried with dateparser if no pattern fits)."""

AUTHOR_HINT_RE = re.compile(r"author|byline|tac-?gia|writer", re.IGNORECASE)
"""Class words of an author line."""

COMMENT_HINT_RE = re.compile(r"comment|binh-?luan|y-?kien|reply|respond|discuss", re.IGNORECASE)
"""Class words of a comment thread: its "comment-author" names a commenter, never an author."""

BREADCRUMB_HINT_RE = re.compile(r"breadcrumb|duong-?dan|path", re.IGNORECASE)
"""Class words of the breadcrumb trail."""

HOME_LABELS = ("trang chủ", "home", "trang chu", "homepage")
"""Breadcrumb items that are the home page, not a section."""

AUTHOR_PREFIX_RE = re.compile(
    r"^(?:author|authors|tác giả|bài(?: và ảnh)?|by|theo|post name)\s*[:：]\s*", re.IGNORECASE
)
"""A label before an author's name ("Author: Nguyen Thanh Hai")."""

NOT_AUTHOR_RE = re.compile(
    r"^(?:article|chapter|section|part|annex|appendix|conclusion|điều|chương|phần|mục|"
    r"phụ lục|kết luận|[IVXLC]+\.|\d+\.)(?:\s|$)",
    re.IGNORECASE,
)
"""Short capitalized closing lines that are headings, not an author's name ("Article I")."""

PLACE_LINE_RE = re.compile(
    r"^(?:hà nội|ha noi|hanoi|tp\.? ?hồ chí minh|thành phố hồ chí minh|ho chi minh city|"
    r"việt nam|viet ?nam|đà nẵng|da nang|hải phòng|hai phong)\s*(?:[,–—-]|$)",
    re.IGNORECASE,
)
"""A closing line that starts with a place ("Hà Nội, 18 – 26/11/2020"): never an author."""

RELATIVE_DATE_RE = re.compile(
    r"^(?:\d+\s*(?:giây|phút|giờ|ngày|tuần|tháng|năm|seconds?|minutes?|hours?|days?|weeks?|"
    r"months?|years?)\s*(?:trước|ago)|hôm qua|hôm nay|yesterday|today)\b",
    re.IGNORECASE,
)
"""Relative times printed beside list entries ("1 ngày trước"): never part of a summary."""

COLOPHON_RE = re.compile(
    r"©|\bcopyright\b|bản quyền|ghi rõ nguồn|please cite the source|giấy phép (?:số|xuất bản)|"
    r"\bđiện thoại\s*:|\btel\s*[:.]|\bemail\s*:|\b53 nguyễn du\b",
    re.IGNORECASE,
)
"""Footer lines (at most 160 characters) that may sit inside the body block: copyright,
licence, contact details, VUSTA's address (53 Nguyễn Du). Never body text."""

RELATIVE_TIME_RE = re.compile(
    r"^(?P<n>\d{1,3})\s*(?P<unit>giây|phút|giờ|ngày|tuần|seconds?|minutes?|hours?|days?|weeks?)"
    r"\s*(?:trước|ago)$",
    re.IGNORECASE,
)
"""A whole relative time ("2 giờ trước", "3 hours ago"), read against the fetch time."""

RELATIVE_UNITS = {
    "giây": "seconds", "second": "seconds", "seconds": "seconds",
    "phút": "minutes", "minute": "minutes", "minutes": "minutes",
    "giờ": "hours", "hour": "hours", "hours": "hours",
    "ngày": "days", "day": "days", "days": "days",
    "tuần": "weeks", "week": "weeks", "weeks": "weeks",
}  # fmt: skip
"""Units of :data:`RELATIVE_TIME_RE` as ``timedelta`` keywords."""

JUNK_LINE_RE = re.compile(
    r"^(?:tm-img-alt|img|image|ảnh|photo|\S+\.(?:jpe?g|png|gif|webp|bmp)|"
    r"\d{5,}(?:[ _-]\d+)*(?: copy)?(?:\.\w{3,4})?|(?:ảnh|photo|image)\s*\d+)$",
    re.IGNORECASE,
)
"""Lines that are leaked image names or placeholders, never text ("1910160 2 copy")."""

FOOTER_LINE_RE = re.compile(
    r"^(?:total notes of this article|click on stars to rate|article reviews|"
    r"chia sẻ|share|in bài|in trang|print|gửi email|gửi bài|bản in|lượt xem|trở về|quay lại|"
    r"về đầu trang|back to top)\b",
    re.IGNORECASE,
)
"""Short lines (at most 60 characters) of rating/share/print footers: never body text."""

# --- date lines -----------------------------------------------------------------------------

VI_WEEKDAYS = {
    "thứ hai": 0,
    "thứ 2": 0,
    "thứ ba": 1,
    "thứ 3": 1,
    "thứ tư": 2,
    "thứ 4": 2,
    "thứ năm": 3,
    "thứ 5": 3,
    "thứ sáu": 4,
    "thứ 6": 4,
    "thứ bảy": 5,
    "thứ bẩy": 5,
    "thứ 7": 5,
    "chủ nhật": 6,
    "cn": 6,
}
"""Vietnamese weekday names (casefolded) to ``date.weekday()``."""

EN_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
"""English weekday names (casefolded) to ``date.weekday()``."""

_VI_WD = r"(?P<wd>thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s+nhật|cn)"
_DMY = r"(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})"
_HM = r"(?P<H>\d{1,2})[:h](?P<M>\d{2})(?::(?P<S>\d{2}))?"
_ZONE = r"(?:\(?\s*(?:GMT|UTC)\s*(?P<tz>[+-]\s*\d{1,2})(?::?(?P<tzm>\d{2}))?\s*\)?)"

DATE_LINE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # A: "Thứ tư, 08/12/2021 15:42 (GMT+7)"
    ("A", re.compile(rf"^{_VI_WD}\s*,?\s*(?:ngày\s+)?{_DMY}\s*[,|-]?\s*{_HM}\s*{_ZONE}?", re.I)),
    # B: "2023-06-30 12:04" (en.vusta.vn, local time)
    ("B", re.compile(r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\s+" + _HM + r"(?:\s|$)", re.I)),
    # C: "Posted at: SATurday - 30/12/2017 10:46 - post name: Cộng tác viên"
    ("C", re.compile(rf"^posted\s+at\s*:\s*(?P<wd>[a-z]+day)\s*-\s*{_DMY}\s+{_HM}", re.I)),
    # D: "05/10/2021 9:28 SA 59 lượt xem" (12-hour clock, SA = a.m., CH = p.m.)
    ("D", re.compile(rf"^{_DMY}\s+{_HM}\s*(?P<ampm>SA|CH|AM|PM)\b", re.I)),
    # A without its weekday: "08/12/2021 15:42", "08/12/2021 - 15:42 (GMT+7)"
    ("A-", re.compile(rf"^(?:ngày\s+)?{_DMY}\s*[,|-]?\s*{_HM}\s*{_ZONE}?(?:\s|$|\|)", re.I)),
    # Time first: "15:42 08/12/2021", "15:42 | 08/12/2021"
    ("T-", re.compile(rf"^{_HM}\s*(?:[,|-]\s*)?(?:{_VI_WD}\s*,?\s*)?{_DMY}(?:\s|$|\|)", re.I)),
)
"""Printed date lines, tried in order with ``re.match`` on one normalized line of text.

Anchored at the start: a date inside a sentence ("Chiều ngày 07/12/2021, …") never matches,
so dates in the body are never taken for the publication time.
"""

DATE_LABEL_RE = re.compile(
    r"^(?:đăng ngày|ngày đăng|đăng lúc|thời gian đăng|ngày xuất bản|posted on|published on|"
    r"published|date)\s*:?\s*(?=\S)",
    re.IGNORECASE,
)
"""A label before a publication date line ("Đăng ngày: …"); left out of ``published_raw``.

Update labels ("Cập nhật", "Updated") are deliberately absent: an update time is no
publication time.
"""

MORE_LINK_RE = re.compile(
    r"^(?:xem thêm|xem tiếp|đọc tiếp|đọc thêm|chi tiết|read more|more|continue reading)\b",
    re.IGNORECASE,
)
"""The text of a "read on" link beside a list entry's summary: not part of the summary."""

UPDATE_LABEL_RE = re.compile(
    r"^(?:cập nhật(?: lúc| ngày)?|sửa đổi(?: lần cuối)?|updated?(?: on| at)?|last modified)"
    r"\s*:?\s*",
    re.IGNORECASE,
)
"""A label before an update time ("Cập nhật: …"): such a line is metadata, never body."""

DIGIT_FORMS = frozenset({"B", "D", "A-", "T-"})
"""Forms of :data:`DATE_LINE_PATTERNS` whose lines start with a digit (the others with a word)."""

DATE_ONLY_RE = re.compile(rf"^(?:{_VI_WD}\s*,?\s*)?(?:ngày\s+)?{_DMY}$", re.I)
"""A date with no time of day: not a publication *time*; reported and kept as raw only."""

ISO_DATETIME_RE = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2})"
    r"(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<z>Z|[+-]\d{2}:?\d{2})?$",
    re.I,
)
"""Machine dates (``<time datetime>``, JSON-LD, ``article:published_time``)."""

VIETNAM_OFFSET_HOURS = 7
"""Vietnam time is UTC+07:00 all year (no daylight saving)."""

HTML_MARKUP = re.compile(
    rb"<(?:!doctype|html|head|body|title|meta|div|p|article|h[1-6])[\s>/]", re.IGNORECASE
)
"""A tag only HTML pages have: ``parse`` refuses a file without one (``not_html``)."""
