"""Mirror sites built from the fixtures: the bundled demo site, and generated sites of any size.

Deterministic: the same inputs give the same files, byte for byte. A site is a folder of pages
and a ``manifest.json`` (read by :class:`vusta_crawler.mirror.MirrorSite`) that also says what a
crawl must find: every article URL with its expected item (a fixture's ``expected.json``, or
the fields the generator printed), the alias URL, the missing page, the page robots.txt forbids.

The demo site (``fixtures/site/``) holds the fixture articles whose item does not depend on the
fetch time, an article for every "Xem thêm" / "Tin mới" link they make, and generated articles;
home pages, section listings paged with ``?page=N``, robots.txt and a sitemap for both hosts.
"""

from __future__ import annotations

import html
import json
import shutil
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from vusta_crawler.devtools.mirror import MANIFEST
from vusta_crawler.devtools.replay import FIXTURES_DIR, dump_json, iter_cases
from vusta_crawler.extract import dates
from vusta_crawler.extract.normalize import content_hash
from vusta_crawler.extract.urls import url_article_id, url_language, url_site

DEMO_DIR = FIXTURES_DIR / "site"
TIME_DEPENDENT = frozenset({"article/relative_date", "article/future_date"})
"""Fixture cases whose item depends on when the page is fetched: not in the demo site."""

PAGE_SIZE = 6
STEP = timedelta(days=2, hours=5, minutes=17)
"""Generated articles are published this far apart, newest first."""
SECTIONS = {
    # (host, listing path): printed section name
    ("vusta.vn", "tin-tuc"): "Tin tức",
    ("vusta.vn", "tu-van-phan-bien"): "Tư vấn phản biện",
    ("vusta.vn", "tin-tuc/co-quan-tw"): "Cơ quan TW",
    ("vusta.vn", "en/news"): "News",
    ("en.vusta.vn", "news"): "News",
}
MISSING_URL = "https://vusta.vn/bai-viet-da-go-bo-p99999.html"
FORBIDDEN_URL = "https://vusta.vn/admin/login.html"
OFFSITE_URL = "https://example.org/vusta-mirror-must-not-leave"
VI_WEEKDAYS = ("Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy", "Chủ nhật")


@dataclass
class SiteArticle:
    """One article of a site: where it is served, its page, and what a crawl must find."""

    url: str
    section: tuple[str, str]
    published: str | None
    title: str
    teaser: str
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    expected: str | dict[str, Any] = field(default_factory=dict)
    modified: str | None = None  # when the page last changed (RFC 3339): sitemap lastmod


def slugify(title: str) -> str:
    """VUSTA's slugs: lower-case ASCII, diacritics dropped, đ → d, punctuation dropped."""
    text = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    kept = "".join(c for c in text.lower() if c.isascii() and (c.isalnum() or c in " -"))
    return "-".join(kept.split())


class SiteBuilder:
    """Collects articles, then writes pages, listings, home pages, robots.txt and sitemaps."""

    def __init__(self, fixtures: Path = FIXTURES_DIR) -> None:
        self.fixtures = fixtures
        self.articles: dict[str, SiteArticle] = {}
        self.vi_pool: list[str] = []
        self.en_pool: list[str] = []
        self.titles: list[tuple[str, str]] = []  # (language, title)
        for case in iter_cases(fixtures):
            expected = case.expected()
            if "error" in expected:
                continue
            pool = self.en_pool if expected["language"] == "en" else self.vi_pool
            pool.extend(p for p in expected["body_text"].split("\n\n") if len(p) > 80)
            self.titles.append((expected["language"], expected["title"]))
        self.next_id = 100001
        self.clock = datetime(2024, 6, 28, 9, 5, tzinfo=dates.VN_TZ)

    # --- articles ---------------------------------------------------------------------------

    def add_fixture_articles(self) -> None:
        """Every fixture article whose item does not depend on the fetch time, once per URL."""
        hashes: set[str] = set()
        for index, case in enumerate(iter_cases(self.fixtures)):
            expected = case.expected()
            if (
                "error" in expected
                or case.name in TIME_DEPENDENT
                or expected["url"] in self.articles
                or expected["content_hash"] in hashes  # one alias is planted on purpose, no more
            ):
                continue
            hashes.add(expected["content_hash"])
            host = expected["site"] if expected["url"].startswith("https://en.") else "vusta.vn"
            self.articles[expected["url"]] = SiteArticle(
                url=expected["url"],
                section=self._section_for(host, expected["language"], index),
                published=expected["published"],
                title=expected["title"],
                teaser=expected["body_text"].split("\n\n")[0],
                body=(case.path / "page.html").read_bytes(),
                content_type=case.meta.get("content_type") or "text/html; charset=utf-8",
                expected=f"fixture:{case.name}",
            )

    def add_link_targets(self) -> None:
        """An article for every "Xem thêm" / "Tin mới" link of the fixtures not yet served."""
        for article in list(self.articles.values()):
            if not isinstance(article.expected, str):
                continue
            expected = json.loads(
                (self.fixtures / article.expected[8:] / "expected.json").read_text("utf-8")
            )
            for link in expected["related"] + expected["latest"]:
                if link["url"] not in self.articles:
                    self.add_generated(link["url"], link["title"], link["summary"])

    def add_generated(
        self,
        url: str | None = None,
        title: str | None = None,
        lead: str | None = None,
        published: datetime | None = None,
    ) -> SiteArticle:
        """A generated article (at ``url`` with ``title``, or new ones), its page written later;
        published at ``published``, or a little before the one generated last."""
        number = self.next_id
        self.next_id += 1
        language = url_language(url) if url else ("en" if number % 4 == 0 else "vi")
        pool = self.en_pool if language == "en" else self.vi_pool
        if title is None:
            titles = [t for lang, t in self.titles if lang == language]
            part = "Part" if language == "en" else "Kỳ"
            title = f"{titles[number % len(titles)]} ({part} {number - 100000})"
        if url is None:
            host = "en.vusta.vn" if language == "en" else "vusta.vn"
            url = f"https://{host}/{slugify(title)}-p{number}.html"
        host = "en.vusta.vn" if url.startswith("https://en.") else "vusta.vn"
        paragraphs = [lead] if lead else []
        paragraphs += [pool[(number * 7 + k * 13) % len(pool)] for k in range(3)]
        if published is None:
            self.clock -= STEP
            published = self.clock
        article = SiteArticle(
            url=url,
            section=self._section_for(host, language, number),
            published=published.isoformat(timespec="seconds"),
            title=title,
            teaser=paragraphs[0],
            expected={"paragraphs": paragraphs},
        )
        self.articles[url] = article
        return article

    def _section_for(self, host: str, language: str, index: int) -> tuple[str, str]:
        if host == "en.vusta.vn":
            return (host, "news")
        if language == "en":
            return (host, "en/news")
        vi = [key for key in SECTIONS if key[0] == "vusta.vn" and key[1] != "en/news"]
        return vi[index % len(vi)]

    # --- pages --------------------------------------------------------------------------------

    def render_generated(self) -> None:
        """Write each generated article's page and its expected fields."""
        ordered = self.newest_first()
        # the three newest dated articles: an article's "latest" are the first two not itself
        newest_dated = [a for a in ordered if a.published][:3]
        for position, article in enumerate(ordered):
            if isinstance(article.expected, str) or "paragraphs" not in article.expected:
                continue
            related = [_other(ordered, position, k) for k in (1, 2, 3)] if len(ordered) > 1 else []
            latest = [a for a in newest_dated if a is not article][:2]
            article.body, article.expected = self._article_page(article, related, latest)

    def _article_page(
        self, article: SiteArticle, related: list[SiteArticle], latest: list[SiteArticle]
    ) -> tuple[bytes, dict[str, Any]]:
        assert isinstance(article.expected, dict)
        paragraphs: list[str] = article.expected["paragraphs"]
        english = url_language(article.url) == "en"
        when = datetime.fromisoformat(article.published or "")
        date_line = (
            when.strftime("%Y-%m-%d %H:%M")
            if english
            else f"{VI_WEEKDAYS[when.weekday()]}, {when:%d/%m/%Y %H:%M} (GMT+7)"
        )
        section_name = SECTIONS[article.section]
        number = url_article_id(article.url) or 0
        image = f"https://{article.section[0]}/uploads/demo/{number}.jpg"
        caption = f"Ảnh minh họa {number}" if not english else f"Illustration {number}"
        author = "Minh Anh" if number % 2 else "TS. Lê Công Lương"
        labels = ("Read more", "Latest news") if english else ("Xem thêm", "Tin mới")
        home = "Home" if english else "Trang chủ"
        body = [f"<p>{html.escape(p)}</p>" for p in paragraphs]
        body.insert(
            1, f'<p style="text-align:center"><img src="/uploads/demo/{number}.jpg" alt=""></p>'
        )
        body.insert(2, f'<p style="text-align:center"><em>{html.escape(caption)}</em></p>')
        body.append(f'<p style="text-align:right"><strong>{html.escape(author)}</strong></p>')

        def entries(items: list[SiteArticle]) -> str:
            return "".join(
                f'<li><a href="{html.escape(a.url)}">{html.escape(a.title)}</a>'
                f"<p>{html.escape(a.teaser)}</p></li>"
                for a in items
            )

        page = f"""<!DOCTYPE html>
<html lang="{"en" if english else "vi"}"><head><meta charset="utf-8">
<title>{html.escape(article.title)} - VUSTA</title>
<meta property="og:title" content="{html.escape(article.title)}">
<link rel="canonical" href="{html.escape(article.url)}">
<script>var page = {{"id": {number}, "more": "{labels[0]}"}};</script></head>
<body><div class="top"><a href="/"><img src="/images/logo.png" alt="VUSTA"></a>
{self._menu(article.section[0])}</div>
<div class="wrap"><div class="main">
<div class="breadcrumb"><a href="/">{home}</a> › <a href="/{article.section[1]}.html">{html.escape(section_name)}</a></div>
<div class="site-name">Liên hiệp các hội và khoa học kỹ thuật Việt Nam</div>
<div class="date">{date_line}</div>
<h1>{html.escape(article.title)}</h1>
<div class="content">{"".join(body)}</div>
<div class="box"><h3>{labels[0]}</h3><ul>{entries(related)}</ul></div>
<div class="box"><h3>{labels[1]}</h3><ul>{entries(latest)}</ul></div>
</div><div class="side"><h3>{"Most read" if english else "Tin đọc nhiều"}</h3><ul>{entries(latest[::-1])}</ul>
<a href="{OFFSITE_URL}">Partner</a></div></div>
<div class="footer">Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam – 53 Nguyễn Du, Hà Nội</div>
</body></html>
"""
        title = article.title
        body_text = "\n\n".join(paragraphs)
        expected = {
            "url": article.url,
            "site": url_site(article.url),
            "article_id": url_article_id(article.url),
            "language": url_language(article.url),
            "title": title,
            "published": article.published,
            "published_raw": date_line,
            "section": section_name,
            "summary": None,
            "body_text": body_text,
            "authors": [author],
            "images": [{"url": image, "caption": caption}],
            "related": [{"url": a.url, "title": a.title, "summary": a.teaser} for a in related],
            "latest": [{"url": a.url, "title": a.title, "summary": a.teaser} for a in latest],
            "content_hash": content_hash(title, body_text),
        }
        return page.encode("utf-8"), expected

    def _menu(self, host: str) -> str:
        links = "".join(
            f'<li><a href="/{path}.html">{html.escape(name)}</a></li>'
            for (h, path), name in SECTIONS.items()
            if h == host
        )
        return f'<ul class="menu"><li><a href="/">Trang chủ</a></li>{links}<li><a href="/gioi-thieu.html">Giới thiệu</a></li></ul>'

    def newest_first(self) -> list[SiteArticle]:
        """Articles newest first (undated last), ties by URL: the listings' order."""
        dated = sorted(
            (a for a in self.articles.values() if a.published),
            key=lambda a: (a.published or "", a.url),
            reverse=True,
        )
        undated = sorted(
            (a for a in self.articles.values() if not a.published), key=lambda a: a.url
        )
        return dated + undated

    # --- writing -----------------------------------------------------------------------------

    def write(
        self, out: Path, *, alias_of: str | None = None, sitemap_only: str | None = None
    ) -> dict[str, Any]:
        """Write the site into ``out`` (emptied first) and return its manifest."""
        if out.exists():
            shutil.rmtree(out)
        (out / "pages").mkdir(parents=True)
        pages: dict[str, dict[str, Any]] = {}

        def put(url: str, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
            name = f"pages/{len(pages):04d}{'.html' if 'html' in content_type else '.txt'}"
            (out / name).write_bytes(body)
            pages[url] = {"file": name, "content_type": content_type}

        ordered = self.newest_first()
        for article in ordered:
            if isinstance(article.expected, str):  # a fixture page: served from its own file
                case = article.expected.removeprefix("fixture:")
                pages[article.url] = {
                    "file": f"fixture:{case}/page.html",
                    "content_type": article.content_type,
                }
            else:
                put(article.url, article.body, article.content_type)
            changed = article.modified or article.published
            if changed:  # the mirror's Last-Modified
                pages[article.url]["last_modified"] = _http_date(changed)
        aliases = {}
        if alias_of:
            # the same page under the old CMS's URL shape, as a legacy link would reach it
            alias_url = f"https://vusta.vn/chitiet/tin-tuc/{slugify(self.articles[alias_of].title)}"
            put(alias_url, self.articles[alias_of].body)
            aliases[alias_url] = alias_of
        listed = [a for a in ordered if a.url != sitemap_only]
        for (host, path), name in SECTIONS.items():
            members = [a for a in listed if a.section == (host, path)]
            chunks = [members[i : i + PAGE_SIZE] for i in range(0, len(members), PAGE_SIZE)] or [[]]
            for number, chunk in enumerate([*chunks, []], start=1):
                extra = [MISSING_URL] if (host, path, number) == ("vusta.vn", "tin-tuc", 2) else []
                body = self._listing(
                    host, path, name, number, chunk, extra, last=number > len(chunks)
                )
                put(f"https://{host}/{path}.html?page={number}", body)
                if number == 1:  # menus link the first page without ?page=1
                    pages[f"https://{host}/{path}.html"] = pages[
                        f"https://{host}/{path}.html?page=1"
                    ]
        for host in ("vusta.vn", "en.vusta.vn"):
            on_host = [a for a in listed if a.section[0] == host]
            extra_links = list(aliases) if host == "vusta.vn" else []
            put(f"https://{host}/", self._home(host, on_host[:5], extra_links))
            put(
                f"https://{host}/gioi-thieu.html",
                self._simple(
                    host,
                    "Giới thiệu",
                    "Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam là tổ chức chính trị - xã hội.",
                ),
            )
            robots = f"User-agent: *\nDisallow: /admin/\n\nSitemap: https://{host}/sitemap.xml\n"
            put(f"https://{host}/robots.txt", robots.encode(), "text/plain; charset=utf-8")
            entries = [a for a in ordered if a.section[0] == host]
            put(f"https://{host}/sitemap.xml", self._sitemap_index(host), "application/xml")
            put(f"https://{host}/sitemap-articles.xml", self._urlset(entries), "application/xml")
        manifest = {
            "description": "vusta-crawler mirror site, built by vusta_crawler.sitegen",
            "articles": {a.url: a.expected for a in ordered},
            "aliases": aliases,
            "missing": [MISSING_URL],
            "forbidden": [FORBIDDEN_URL],
            "offsite": [OFFSITE_URL],
            "sitemap_only": [sitemap_only] if sitemap_only else [],
            "pages": pages,
        }
        (out / MANIFEST).write_text(dump_json(manifest), encoding="utf-8")
        return manifest

    def _listing(
        self,
        host: str,
        path: str,
        name: str,
        number: int,
        chunk: list[SiteArticle],
        extra: list[str],
        last: bool,
    ) -> bytes:
        items = "".join(
            f'<div class="item"><h3><a href="{html.escape(a.url)}">{html.escape(a.title)}</a></h3>'
            f'<span class="d">{self._listing_date(a)}</span><p>{html.escape(a.teaser[:200])}</p></div>'
            for a in chunk
        )
        items += "".join(
            f'<div class="item"><h3><a href="{u}">Bài viết đã gỡ bỏ</a></h3></div>' for u in extra
        )
        empty = "<p>Không có bài viết nào.</p>" if last else ""
        pager = f'<a href="/{path}.html?page={number + 1}">Trang sau</a>' if not last else ""
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(name)} - VUSTA</title></head>
<body>{self._menu(host)}<h1>{html.escape(name)}</h1><div class="list">{items}{empty}</div>
<div class="pager">{pager}</div></body></html>
"""
        return page.encode("utf-8")

    @staticmethod
    def _listing_date(article: SiteArticle) -> str:
        if not article.published:
            return ""
        return f"{datetime.fromisoformat(article.published):%d/%m/%Y %H:%M}"

    def _home(self, host: str, newest: list[SiteArticle], extra: list[str]) -> bytes:
        links = "".join(
            f'<li><a href="{html.escape(a.url)}">{html.escape(a.title)}</a></li>' for a in newest
        )
        links += "".join(
            f'<li><a href="{html.escape(u)}">Bài viết (đường dẫn cũ)</a></li>' for u in extra
        )
        page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>VUSTA</title></head>
<body>{self._menu(host)}<ul class="news">{links}</ul>
<a href="{FORBIDDEN_URL if host == "vusta.vn" else "/admin/"}">Quản trị</a> <a href="{OFFSITE_URL}">Liên kết</a>
</body></html>
"""
        return page.encode("utf-8")

    def _simple(self, host: str, title: str, text: str) -> bytes:
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body>{self._menu(host)}<h1>{title}</h1><p>{html.escape(text)}</p></body></html>
""".encode()

    @staticmethod
    def _sitemap_index(host: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>https://{host}/sitemap-articles.xml</loc></sitemap></sitemapindex>\n"
        ).encode()

    @staticmethod
    def _urlset(articles: list[SiteArticle]) -> bytes:
        urls = "".join(
            f"<url><loc>{html.escape(a.url)}</loc>"
            + (f"<lastmod>{a.modified}</lastmod>" if a.modified else "")
            + "</url>"
            for a in articles
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>\n'
        ).encode()


def build_demo_site(
    out: Path = DEMO_DIR, fixtures: Path = FIXTURES_DIR, extra: int = 30
) -> dict[str, Any]:
    """The bundled demo site: fixture articles, their link targets, ``extra`` generated ones;
    one generated article also under a legacy URL (an alias), one reachable only by the sitemap."""
    builder = SiteBuilder(fixtures)
    builder.add_fixture_articles()
    builder.add_link_targets()
    generated = [builder.add_generated() for _ in range(extra)]
    builder.render_generated()
    vi = [a for a in generated if url_language(a.url) == "vi"]
    return builder.write(out, alias_of=vi[0].url, sitemap_only=vi[1].url)


def build_generated_site(
    out: Path,
    articles: int,
    fixtures: Path = FIXTURES_DIR,
    *,
    newest: datetime | None = None,
    added: int = 0,
    changed: int = 0,
    changed_at: datetime | None = None,
) -> dict[str, Any]:
    """A site of ``articles`` generated articles (from the fixtures' texts), for scale work;
    the newest published at ``newest`` (default mid-2024), the others ``STEP`` apart.

    The same site later: ``added`` articles newer than all of them (two minutes apart), and ``changed`` of the
    originals (spread over the site) with a sentence added, their sitemap ``lastmod`` and
    Last-Modified ``changed_at``. The originals keep their URLs and texts otherwise."""
    builder = SiteBuilder(fixtures)
    if newest is not None:
        builder.clock = newest + STEP
    originals = [builder.add_generated() for _ in range(articles)]
    first = datetime.fromisoformat(originals[0].published or "") if originals else builder.clock
    for k in range(added):
        builder.add_generated(published=first + (k + 1) * timedelta(minutes=2))
    if changed:
        stride = max(1, len(originals) // changed)
        when = (changed_at or datetime.now(dates.VN_TZ)).isoformat(timespec="seconds")
        for article in originals[::stride][:changed]:
            assert isinstance(article.expected, dict)
            article.expected["paragraphs"][-1] += " Bài viết đã được cập nhật."
            article.modified = when
    builder.render_generated()
    return builder.write(out)


def _other(ordered: list[SiteArticle], position: int, k: int) -> SiteArticle:
    """``others[(position + k) % len(others)]``, where ``others`` is ``ordered`` without the
    article at ``position`` (URLs are unique), in constant time rather than by copying the list
    once per article, which made a site's rendering quadratic in its size."""
    index = (position + k) % (len(ordered) - 1)
    return ordered[index if index < position else index + 1]


def _http_date(rfc3339: str) -> str:
    """``2024-06-28T09:05:00+07:00`` → ``Fri, 28 Jun 2024 02:05:00 GMT`` (Last-Modified)."""
    from email.utils import format_datetime

    return format_datetime(datetime.fromisoformat(rfc3339).astimezone(UTC), usegmt=True)
