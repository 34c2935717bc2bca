"""Bodies the crawl will not take as they came: cut short, or too large once decompressed.

Too large: a body over ``DOWNLOAD_MAXSIZE`` (16 MiB) is cancelled by Scrapy's HTTP handler as
it arrives; a compressed one (a gzip bomb) is stopped by :class:`SizedDecompressionMiddleware`
(Scrapy's HttpCompressionMiddleware, which stops decompressing at that size) and refused as
``too_large``, lost with that reason (Scrapy's own ignores it silently). A gzip *file* (a
``.xml.gz`` sitemap) is unpacked by the spider with the same limit.

Cut short: never stored as an article.

A body whose declared ``Content-Length`` was not met never gets here: Scrapy's HTTP handler fails
it (``DOWNLOAD_FAIL_ON_DATALOSS``) and the retry middleware retries it. What gets here looks whole
to HTTP: a body that ended with the connection and declared no length (Scrapy flags it
``partial``), or one a server cut itself. :func:`truncation` reads the page's end: an HTML page is
whole when its last bytes hold ``</html>`` or ``</body>``; without them it is cut when it was
flagged partial, or when it ends mid-element (its last byte is not a ``>``). A sitemap is whole
when it closes its ``urlset`` or ``sitemapindex``. :class:`TruncationMiddleware` retries a cut
body (``retry/reason_count/truncated``) and, once the retries are spent, refuses it
(``vusta/refused/truncated``): the request is lost with reason ``truncated`` and asked for again
by the next run.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.statscollectors import StatsCollector
from scrapy.utils._compression import _DecompressionMaxSizeExceeded

from vusta_crawler.crawl.middlewares import refuse

TAIL = 4096
"""Bytes at the end of a body where its closing markup is looked for."""
HTML_ENDS = (b"</html", b"</body")
SITEMAP_ENDS = (b"</urlset", b"</sitemapindex")
PARTIAL_FLAGS = frozenset({"partial", "dataloss"})


def truncation(response: Response) -> str | None:
    """Why a 200 response's body looks cut short (a one-line description), or None."""
    if response.status != 200:
        return None
    body = response.body
    tail = body[-TAIL:].lower()
    partial = bool(PARTIAL_FLAGS & set(response.flags))
    if isinstance(response, HtmlResponse):
        if any(end in tail for end in HTML_ENDS):
            return None
        if partial:
            return "no </html> in a body that ended with the connection"
        if body.strip() and not body.rstrip().endswith(b">"):
            return "no </html>, and the body ends mid-element"
        return None
    if (
        isinstance(response, XmlResponse)
        and partial
        and not any(end in tail for end in SITEMAP_ENDS)
    ):
        return "an XML body that ended with the connection before its closing tag"
    return None


class TruncationMiddleware:
    """Retries a body :func:`truncation` finds cut short; refuses it when retries are spent.

    Placed after decompression (it reads the page), before the meta-refresh middleware (a cut
    page's refresh is not followed).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> TruncationMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        problem = truncation(response)
        if problem is None:
            return response
        if not request.meta.get("dont_retry"):
            spider = self.crawler.spider
            retry = None
            if spider is not None:
                retry = get_retry_request(request, spider=spider, reason="truncated")
            if retry is not None:
                return retry
        raise refuse(self.crawler, "truncated", f"{request.url}: {problem}")


class SizedDecompressionMiddleware(HttpCompressionMiddleware):
    """Scrapy's decompression, which stops at ``DOWNLOAD_MAXSIZE``; the body that would not fit
    is refused as ``too_large`` (named, counted, lost), not ignored without a word."""

    def __init__(self, stats: StatsCollector | None = None, *, crawler: Crawler) -> None:
        super().__init__(stats, crawler=crawler)
        self.crawler = crawler

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:
            if not isinstance(error.__cause__, _DecompressionMaxSizeExceeded):
                raise
            raise refuse(self.crawler, "too_large", f"{request.url}: {error}") from None
