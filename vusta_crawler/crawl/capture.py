"""The downloader middleware that writes every response the crawl fetches into WARC files.

It sits next to the download handler (order 950): it sees each response as it came, before
decompression, redirects and retries act on it (a 500 that is retried, a 301, robots.txt, a
304 are all captured), and each request with the headers the other middlewares gave it.
Setting ``VUSTA_WARC_DIR`` (empty: no capture); ``VUSTA_WARC_MAX_SIZE`` rotates the files.
The capture of a response is in ``response.meta["vusta_capture"]`` for the spider.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from vusta_crawler import stats
from vusta_crawler.capture.warc import DEFAULT_MAX_SIZE, Fetch, Original, WarcFiles
from vusta_crawler.store.archive import Archive

CAPTURE_META = "vusta_capture"
logger = logging.getLogger(__name__)


def _pairs(headers: object) -> list[tuple[str, str]]:
    """Scrapy's headers (bytes, several values per name) as text pairs, in order."""
    pairs = []
    for name, values in headers.items():  # type: ignore[attr-defined]
        for value in values:
            pairs.append((name.decode("latin-1"), value.decode("latin-1")))
    return pairs


class WarcCaptureMiddleware:
    def __init__(self, crawler: Crawler, directory: Path) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.files = WarcFiles(
            directory, settings.get("VUSTA_RUN_ID") or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"),
            info={"software": settings.get("VUSTA_SOFTWARE", "vusta-crawler"),
                  "operator": settings.get("VUSTA_OPERATOR", ""),
                  "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
                  "http-header-user-agent": settings.get("USER_AGENT", "")},
            max_size=settings.getint("VUSTA_WARC_MAX_SIZE", DEFAULT_MAX_SIZE),
        )  # fmt: skip
        # what a revisit needs of each URL's latest full capture: by earlier runs (the
        # archive's), or by this one when the answer may come again (below)
        self.earlier: dict[str, Original] = {}
        db = settings.get("VUSTA_DB")
        if db and Path(db).exists():
            with Archive(db) as archive:
                self.earlier = archive.originals()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        directory = crawler.settings.get("VUSTA_WARC_DIR")
        if not directory:
            raise NotConfigured("no VUSTA_WARC_DIR: WARC capture is off")
        middleware = cls(crawler, Path(directory))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        host = request.url.split("://", 1)[-1].split("/", 1)[0]
        fetch = Fetch(
            response.url, request.method, [("Host", host), *_pairs(request.headers)],
            response.status, _reason(response.status), _pairs(response.headers), response.body,
            datetime.now(UTC),
        )  # fmt: skip
        try:
            capture = self.files.write(fetch, self.earlier.get(fetch.url))
        except OSError as error:  # a full disk: the crawl goes on, the report says so
            self._inc(stats.CAPTURE_ERROR)
            logger.error("WARC capture failed for %s: %s", fetch.url, error)
            request.meta.pop("fetched_at", None)  # not a redirect's earlier hop's
            return response
        if not capture.is_revisit and fetch.status != 200:
            # a run asks for each URL once: only an answer that is retried (an error, a
            # refusal) can come again within it, so a page's 200 is not kept for this run
            self.earlier[fetch.url] = capture.original
        self._inc(stats.CAPTURE + capture.record_type)
        self._inc(stats.CAPTURE_BYTES, capture.length)
        request.meta[CAPTURE_META] = capture
        request.meta["fetched_at"] = capture.date  # the item's fetch time is its record's
        ledger = getattr(self.crawler.spider, "ledger", None)
        if ledger is not None:
            ledger.captures.append(capture)
        return response

    def spider_closed(self) -> None:
        self.files.close()

    def _inc(self, key: str, count: int = 1) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(key, count)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
