"""The ``vusta`` spider: crawls vusta.vn and en.vusta.vn and yields one item per article.

Navigation only: home pages, section listings and their ``?page=N`` pagination (until a page
brings no new article link, ``max_pages`` or ``since``), article pages and their "Xem thêm" /
"Tin mới" links, and the sitemaps named in robots.txt. Extraction is
:func:`~vusta_crawler.extract.article.extract_article`'s.

Arguments (``-a name=value``): ``site`` (vi, en, all), ``sections`` (comma-separated paths such
as ``tin-tuc,tin-tuc/co-quan-tw``), ``since`` (YYYY-MM-DD), ``max_pages`` (per section).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

from vusta_crawler import patterns, stats
from vusta_crawler.crawl.options import CrawlOptions
from vusta_crawler.extract import dates
from vusta_crawler.extract.article import Extraction, NotAnArticle, extract_article
from vusta_crawler.extract.urls import canonical_url, fold_host, is_article_url, is_followable_href
from vusta_crawler.items import ArticleItem


def fetched_at_of(response: Response) -> datetime:
    """When the page was fetched: ``request.meta['fetched_at']`` for replays, else now (UTC)."""
    stamp = response.meta.get("fetched_at") if response.request is not None else None
    return dates.parse_rfc3339(stamp) if stamp else datetime.now(UTC)


class VustaSpider(scrapy.Spider):
    """Crawls VUSTA's news; article pages go through :func:`extract_article`."""

    name = "vusta"
    allowed_domains: ClassVar[list[str]] = list(patterns.HOSTS)

    def __init__(
        self,
        site: str = "all",
        sections: str | None = None,
        since: str | None = None,
        max_pages: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.options = CrawlOptions.parse(site, sections, since, max_pages)
        self.seen: set[str] = set()  # article URLs requested in this run

    # --- where to start ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for host in self.options.hosts:
            yield scrapy.Request(f"https://{host}/robots.txt", callback=self.parse_robots)
            if self.options.sections is None:
                yield scrapy.Request(f"https://{host}/", callback=self.parse_home)
            for section in self.options.sections_for(host):
                yield self.listing_request(host, section, 1)

    def listing_request(self, host: str, section: str, page: int) -> scrapy.Request:
        """Page 1 of a listing as menus link it; later pages with ``?page=N``."""
        query = f"?page={page}" if page > 1 else ""
        return scrapy.Request(
            f"https://{host}/{section}.html{query}",
            callback=self.parse_listing,
            cb_kwargs={"host": host, "section": section, "page": page},
        )

    def article_requests(self, urls: Iterable[str]) -> Iterator[scrapy.Request]:
        """Requests for the article URLs not yet requested in this run, on the chosen hosts."""
        for url in urls:
            if (
                url in self.seen
                or fold_host(urlsplit(url).hostname or "") not in self.options.hosts
            ):
                continue
            self.seen.add(url)
            yield scrapy.Request(url, callback=self.parse_article)

    def _links(self, response: TextResponse) -> list[str]:
        """Canonical absolute URLs of the page's links, in order."""
        urls = []
        for href in response.css("a::attr(href)").getall():
            if is_followable_href(href):
                url = canonical_url(response.urljoin(href.strip()))
                if url:
                    urls.append(url)
        return urls

    # --- callbacks ---------------------------------------------------------------------------

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        """Home page: its article links, and the section listings its menus name."""
        if not isinstance(response, TextResponse):
            return
        links = self._links(response)
        yield from self.article_requests(u for u in links if is_article_url(u))
        host = fold_host(urlsplit(response.url).hostname or "")
        for url in links:
            parts = urlsplit(url)
            if fold_host(parts.hostname or "") != host or is_article_url(url):
                continue
            if patterns.LISTING_PATH_RE.match(parts.path):
                yield self.listing_request(host, parts.path[1:-5], 1)

    def parse_listing(
        self, response: Response, host: str, section: str, page: int
    ) -> Iterator[scrapy.Request]:
        """A section listing: its articles; the next page while this one brings new ones."""
        if not isinstance(response, TextResponse):
            return
        articles = [u for u in self._links(response) if is_article_url(u)]
        new = [u for u in dict.fromkeys(articles) if u not in self.seen]
        yield from self.article_requests(new)
        if not new:
            self.logger.debug("%s/%s: page %d brings no new article: stop", host, section, page)
            return
        if self.options.max_pages is not None and page >= self.options.max_pages:
            return
        if self._older_than_since(response):
            self._count(stats.LISTING_STOPPED_BY_SINCE)
            return
        yield self.listing_request(host, section, page + 1)

    def _older_than_since(self, response: TextResponse) -> bool:
        """True when every date printed on the listing is before ``since``."""
        if self.options.since is None:
            return False
        floor = datetime.combine(self.options.since, time(), tzinfo=dates.VN_TZ)
        printed = [
            result.value
            for text in response.xpath("//body//text()").getall()
            if re.search(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}", text)
            for result in [dates.match_date_line(text.strip(" ()[]"))]
            if result is not None and result.value is not None
        ]
        return bool(printed) and max(printed) < floor

    def parse_robots(self, response: Response) -> Iterator[scrapy.Request]:
        """robots.txt: the sitemaps it names (on our hosts only)."""
        for line in response.text.splitlines() if isinstance(response, TextResponse) else []:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sitemap":
                url = canonical_url(value.strip())
                if url and fold_host(urlsplit(url).hostname or "") in self.options.hosts:
                    yield scrapy.Request(url, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap or sitemap index: article URLs and nested sitemaps."""
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml's errors on a page that is no XML at all
            self._count(stats.SITEMAP_UNREADABLE)
            return
        locations = [canonical_url(entry.get("loc", "")) for entry in sitemap]
        urls = [u for u in locations if u]
        if sitemap.type == "sitemapindex":
            for url in urls:
                if fold_host(urlsplit(url).hostname or "") in self.options.hosts:
                    yield scrapy.Request(url, callback=self.parse_sitemap)
        else:
            yield from self.article_requests(u for u in urls if is_article_url(u))

    def parse_article(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Yield the page's article item and follow its "Xem thêm" / "Tin mới" links; or count
        and log why the page holds no article."""
        if not isinstance(response, TextResponse):
            self._count(stats.NOT_ARTICLE + "not_html")
            return
        try:
            extraction = self.read_article(response)
        except NotAnArticle as error:
            self._report(error.warnings, response.url)
            self._count(stats.NOT_ARTICLE + error.reason)
            self.logger.info("No article at %s: %s", response.url, error)
            return
        self._report(extraction.warnings, response.url)
        item: ArticleItem = extraction.item
        yield item
        links = [entry["url"] for entry in (item.related or []) + (item.latest or [])]
        yield from self.article_requests(links)

    @staticmethod
    def read_article(response: TextResponse) -> Extraction:
        """The page's item and warnings (the extraction a crawl does); raises NotAnArticle."""
        return extract_article(response, fetched_at_of(response))

    def _report(self, warnings: list[stats.PageWarning], url: str) -> None:
        for warning in warnings:
            self._count(warning.key)
            self.logger.warning("%s at %s", warning.message, url)

    def _count(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
