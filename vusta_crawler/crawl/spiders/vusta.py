"""The ``vusta`` spider: crawls vusta.vn and en.vusta.vn and yields one item per article.

Navigation only: home pages, section listings and their ``?page=N`` pagination (until a page
brings no new article link, ``max_pages`` or ``since``), article pages and their "Xem thêm" /
"Tin mới" links, and the sitemaps named in robots.txt (read once per host, by Scrapy's robots
middleware: its ``robots_parsed`` signal hands the spider the parsed file). Extraction is
:func:`~vusta_crawler.extract.article.extract_article`'s.

Arguments (``-a name=value``): ``site`` (vi, en, all), ``sections`` (comma-separated paths such
as ``tin-tuc,tin-tuc/co-quan-tw`` or printed names such as ``Cơ quan TW``), ``since``
(YYYY-MM-DD), ``max_pages`` (per section), ``full``, ``refresh_days``, ``overlap`` (see
:class:`~vusta_crawler.crawl.options.CrawlOptions`).

Incremental by default: the archive (setting ``VUSTA_DB``), read once when the run starts, says
which articles are stored. A stored article is fetched again only when it was published within
``refresh_days`` (a conditional request with its ETag / Last-Modified: 304 is "unchanged") or
when a sitemap's ``lastmod`` is later than its fetch; a listing's pagination stops after
``overlap`` pages in a row that bring no article the archive lacks (once some run has paged
through that listing to its end: a first run killed halfway leaves the rest to read). Which
pages a run fetches depends on the archive as it was at the start, never on the order
responses arrive in. Article URLs lost by earlier runs (the archive's ``pending``) are asked
for again.
The bulk sources, sitemaps and ``pending``, wait as plain URLs in a
:class:`~vusta_crawler.crawl.frontier.Frontier` that feeds the scheduler as it runs dry, so
memory does not grow with the site.
Every request that fails for good is noted in ``self.ledger`` with its reason.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    DontCloseSpider,
    DownloadCancelledError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.robotstxt import ProtegoRobotParser, RobotParser
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from vusta_crawler import patterns, stats
from vusta_crawler.crawl.capture import CAPTURE_META
from vusta_crawler.crawl.frontier import Frontier
from vusta_crawler.crawl.ledger import RunLedger
from vusta_crawler.crawl.middlewares import Refused, refuse
from vusta_crawler.crawl.options import CrawlOptions
from vusta_crawler.crawl.redirects import first_url
from vusta_crawler.extract import dates
from vusta_crawler.extract.article import Extraction, NotAnArticle, extract_article
from vusta_crawler.extract.urls import canonical_url, fold_host, is_article_url, is_followable_href
from vusta_crawler.items import ArticleItem
from vusta_crawler.store.archive import Archive, CrawlState, Validators


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
        full: str | bool | None = None,
        refresh_days: str | int | None = None,
        overlap: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.options = CrawlOptions.parse(
            site, sections, since, max_pages, full=full, refresh_days=refresh_days,
            overlap=overlap,
        )  # fmt: skip
        self.seen: set[str] = set()  # article URLs requested in this run
        self.state = CrawlState()  # the archive at the start (empty for a full crawl)
        self.ledger = RunLedger()
        self.frontier = Frontier()  # article URLs from sitemaps and pending, not yet scheduled

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> VustaSpider:
        spider: VustaSpider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.robots_parsed, signal=signals.robots_parsed)
        crawler.signals.connect(spider.feed, signal=signals.scheduler_empty)
        crawler.signals.connect(spider.keep_open, signal=signals.spider_idle)
        crawler.signals.connect(spider.count_queued, signal=signals.request_scheduled)
        return spider

    # --- where to start ----------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        self.state = self.load_state()
        self.frontier.add(self.admit(self.state.pending))  # lost by earlier runs
        self._count_frontier()
        for host in self.options.hosts:
            if self.options.sections is None:
                yield self.request(f"https://{host}/", self.parse_home)
            for section in self.options.sections_for(host):
                yield self.listing_request(host, section, 1)

    def load_state(self) -> CrawlState:
        """What the archive holds (nothing for ``full``): read once, before the first request."""
        db = self.settings.get("VUSTA_DB") if self.settings is not None else None
        if self.options.full or not db or not Path(db).exists():
            return CrawlState()
        cutoff = datetime.now(dates.VN_TZ) - timedelta(days=self.options.refresh_days)
        with Archive(db) as archive:
            return archive.crawl_state(dates.to_rfc3339(cutoff))

    def request(self, url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        """A request whose failure is noted (:meth:`on_failure`)."""
        return scrapy.Request(url, callback=callback, errback=self.on_failure, **kwargs)

    def listing_request(self, host: str, section: str, page: int, quiet: int = 0) -> scrapy.Request:
        """Page 1 of a listing as menus link it; later pages with ``?page=N``. ``quiet``: how
        many pages in a row before this one brought no article the archive lacks."""
        query = f"?page={page}" if page > 1 else ""
        return self.request(
            f"https://{host}/{section}.html{query}",
            self.parse_listing,
            cb_kwargs={"host": host, "section": section, "page": page, "quiet": quiet},
            meta={"listing": True},
        )

    def article_requests(
        self, urls: Iterable[str], changed: Iterable[str] = ()
    ) -> Iterator[scrapy.Request]:
        """Requests for the article URLs :meth:`admit` lets through."""
        for url in self.admit(urls, changed):
            yield self.article_request(url)

    def admit(self, urls: Iterable[str], changed: Iterable[str] = ()) -> Iterator[str]:
        """The article URLs to request, each once in this run, on the chosen hosts: unknown
        ones; stored ones only when recent or ``changed`` (conditional requests)."""
        changed = set(changed)
        for url in urls:
            if (
                url in self.seen
                or fold_host(urlsplit(url).hostname or "") not in self.options.hosts
            ):
                continue
            recent = self.state.recent.get(url)
            if url in self.state and recent is None and url not in changed:
                continue  # stored, and nothing says it changed
            self.seen.add(url)
            self._count(stats.ARTICLES_NEW_URLS if url not in self.state else stats.RECHECKED)
            yield url

    def article_request(self, url: str, referer: str | None = None) -> scrapy.Request:
        """The request for an admitted article URL: conditional for a stored article
        (:meth:`recheck_request`); ``referer`` for the frontier's, which pass no spider
        middleware."""
        headers = {"Referer": referer} if referer else {}
        if url not in self.state:
            return self.request(url, self.parse_article, headers=headers)
        return self.recheck_request(url, self.state.recent.get(url) or Validators(), headers)

    def recheck_request(
        self, url: str, validators: Validators, headers: dict[str, str] | None = None
    ) -> scrapy.Request:
        """A conditional request for a stored article: 304 means unchanged."""
        headers = dict(headers or {})
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        return self.request(
            url, self.parse_article, headers=headers, meta={"handle_httpstatus_list": [304]}
        )

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
        self, response: Response, host: str, section: str, page: int, quiet: int = 0
    ) -> Iterator[scrapy.Request]:
        """A section listing: its articles; the next page until a page lists none, or
        ``overlap`` pages in a row list none the archive lacks."""
        if not isinstance(response, TextResponse):
            return
        articles = list(dict.fromkeys(u for u in self._links(response) if is_article_url(u)))
        yield from self.article_requests(articles)
        if not articles:
            self.logger.debug("%s/%s: page %d lists no article: stop", host, section, page)
            self.ledger.completed_listings.add((host, section))
            return
        quiet = 0 if any(url not in self.state for url in articles) else quiet + 1
        if quiet >= self.options.overlap and (host, section) in self.state.complete_listings:
            self._count(stats.LISTING_STOPPED_BY_ARCHIVE)
            return
        if self.options.max_pages is not None and page >= self.options.max_pages:
            return
        if self._older_than_since(response):
            self._count(stats.LISTING_STOPPED_BY_SINCE)
            return
        yield self.listing_request(host, section, page + 1, quiet)

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

    def robots_parsed(self, robotparser: RobotParser, request: scrapy.Request) -> None:
        """Scrapy's robots middleware read a host's robots.txt (once per host, for the first
        request to it): crawl the sitemaps it names, on our hosts only. Not with ``sections``:
        a sitemap names articles of every section, and their URLs do not say which."""
        if self.options.sections is not None or self.crawler.engine is None:
            return
        names = robotparser.rp.sitemaps if isinstance(robotparser, ProtegoRobotParser) else ()
        for name in names:
            url = canonical_url(name.strip())
            if url and fold_host(urlsplit(url).hostname or "") in self.options.hosts:
                self.crawler.engine.crawl(self.request(url, self.parse_sitemap))

    def parse_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        """A sitemap or sitemap index: article URLs and nested sitemaps."""
        body = response.body
        try:
            if body[:2] == b"\x1f\x8b":  # a .xml.gz file, unpacked up to DOWNLOAD_MAXSIZE
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            sitemap = Sitemap(body)
        except _DecompressionMaxSizeExceeded:
            refuse(self.crawler, "too_large", response.url)  # counted; lost here, not raised
            self.ledger.lose(response.url, "too_large")
            self.logger.warning("Lost %s: too_large (a gzip file over the size)", response.url)
            return
        except Exception:  # a cut gzip file; lxml's errors on a page that is no XML at all
            self._count(stats.SITEMAP_UNREADABLE)
            return
        entries = [(canonical_url(entry.get("loc", "")), entry.get("lastmod")) for entry in sitemap]
        urls = [url for url, _ in entries if url]
        if sitemap.type == "sitemapindex":
            for url in urls:
                if fold_host(urlsplit(url).hostname or "") in self.options.hosts:
                    yield self.request(url, self.parse_sitemap)
        else:
            changed = [url for url, lastmod in entries if url and self._changed_since(url, lastmod)]
            articles = self.admit((u for u in urls if is_article_url(u)), changed)
            self.frontier.add(articles, referer=response.url)
        self._count_frontier()

    # --- the frontier --------------------------------------------------------------------------

    def feed(self) -> None:
        """The scheduler ran dry (``scheduler_empty``): hand it the next frontier URLs, as many
        as the downloader can take at once, twice over."""
        engine = self.crawler.engine
        if engine is None or not self.frontier:
            return
        for waiting in self.frontier.take(2 * self.settings.getint("CONCURRENT_REQUESTS")):
            engine.crawl(self.article_request(waiting.url, waiting.referer))

    def keep_open(self) -> None:
        """``spider_idle``: not done while URLs wait in the frontier."""
        if self.frontier:
            self.feed()
            raise DontCloseSpider

    def count_queued(self, request: scrapy.Request) -> None:
        """``request_scheduled``: the most requests the scheduler held at once."""
        counted = self.crawler.stats
        if counted is not None:
            queued = counted.get_value("scheduler/enqueued", 0) - counted.get_value(
                "scheduler/dequeued", 0
            )
            counted.max_value(stats.SCHEDULER_PEAK, queued + 1)

    def _count_frontier(self) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.max_value(stats.FRONTIER_PEAK, self.frontier.peak)

    def _changed_since(self, url: str, lastmod: str | None) -> bool:
        """True when a sitemap's ``lastmod`` is later than the stored article's fetch. A date
        without a time (``2026-12-01``, which the sitemap protocol allows) may mean any moment
        of that day in Vietnam: changed unless the fetch was on a later day."""
        fetched = self.state.fetched.get(url)
        if not lastmod or fetched is None:
            return False
        changed = dates.parse_machine_date(lastmod.strip())
        if changed is None:
            return False
        fetched_at = dates.parse_rfc3339(fetched)
        if changed.value is None:
            try:
                day = date.fromisoformat(changed.raw) if changed.problem == dates.NO_TIME else None
            except ValueError:
                day = None
            return day is not None and day >= fetched_at.astimezone(dates.VN_TZ).date()
        return changed.value > fetched_at

    def parse_article(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Yield the page's article item and follow its "Xem thêm" / "Tin mới" links; or count
        and log why the page holds no article."""
        if response.status == 304:
            self._count(stats.NOT_MODIFIED)
            when = dates.utc_rfc3339(fetched_at_of(response))
            self.ledger.not_modified[canonical_url(response.url) or response.url] = when
            return
        if not isinstance(response, TextResponse):
            self._count(stats.NOT_ARTICLE + "not_html")
            self.ledger.lose(response.url, "not_article/not_html")
            return
        try:
            extraction = self.read_article(response)
        except NotAnArticle as error:
            self._report(error.warnings, response.url)
            self._count(stats.NOT_ARTICLE + error.reason)
            if is_article_url(response.url):
                self.ledger.lose(response.url, f"not_article/{error.reason}")
            self.logger.info("No article at %s: %s", response.url, error)
            return
        self._report(extraction.warnings, response.url)
        item: ArticleItem = extraction.item
        self.ledger.validators[item.url or response.url] = Validators(
            _header(response, b"ETag"), _header(response, b"Last-Modified")
        )
        capture = response.meta.get(CAPTURE_META)
        if capture is not None:
            self.ledger.article_captures[item.url or response.url] = capture.record_id
        yield item
        if self.options.sections is None:  # with sections, only their listings say what to read
            links = [entry["url"] for entry in (item.related or []) + (item.latest or [])]
            yield from self.article_requests(links)

    @staticmethod
    def read_article(response: TextResponse) -> Extraction:
        """The page's item and warnings (the extraction a crawl does); raises NotAnArticle."""
        return extract_article(response, fetched_at_of(response))

    def on_failure(self, failure: Failure) -> None:
        """A request that failed for good (after retries, or refused: a redirect off the
        sites, a body cut short or too large): noted with its reason, under the URL the crawl
        asked for. Requests not sent on purpose (robots.txt) are counted by their middleware."""
        request = failure.request  # type: ignore[attr-defined]
        error = failure.value
        if isinstance(error, HttpError):
            reason = f"http_{error.response.status}"
            if reason == "http_404" and request.cb_kwargs.get("page", 1) > 1:
                # a page past a listing's end: where many sites stop, not a lost page
                kwargs = request.cb_kwargs
                self.ledger.completed_listings.add((kwargs["host"], kwargs["section"]))
                return
        elif isinstance(error, Refused):
            reason = error.reason
        elif isinstance(error, IgnoreRequest):
            return
        else:
            reason = failure_reason(error)
        if request.meta.get("listing"):
            self._count(stats.LISTING_FAILED)
        url = first_url(request)
        self.ledger.lose(url, reason)
        self.logger.warning("Lost %s: %s", url, reason)

    def _report(self, warnings: list[stats.PageWarning], url: str) -> None:
        for warning in warnings:
            self._count(warning.key)
            self.logger.warning("%s at %s", warning.message, url)

    def _count(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)


def failure_reason(error: BaseException | None) -> str:
    """A download error's reason: ``truncated`` for a body shorter than it declared,
    ``too_large`` for one over DOWNLOAD_MAXSIZE, else the error's type (``TimeoutError``…)."""
    if isinstance(error, ResponseDataLossError):
        return "truncated"
    if isinstance(error, DownloadCancelledError) and "max size" in str(error):
        return "too_large"
    return type(error).__name__


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    return value.decode("latin-1").strip() or None
