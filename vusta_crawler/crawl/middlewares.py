"""Downloader middlewares: no request leaves vusta.vn and en.vusta.vn; retries back off.

Scrapy's OffsiteMiddleware also admits subdomains of allowed domains; the host guard admits the
two hosts (and their ``www.`` forms) only, over http or https on the default port, for every
request: followed links, redirects, robots.txt (``file://vusta.vn/…`` and
``https://vusta.vn:8443/…`` are not the site).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from vusta_crawler import stats
from vusta_crawler.extract.urls import is_vusta_host


def is_site_url(url: str) -> bool:
    """True for an http(s) URL on vusta.vn or en.vusta.vn and the scheme's default port."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is no number, or out of range
        return False
    return (
        parts.scheme in ("http", "https")
        and port in (None, 80 if parts.scheme == "http" else 443)
        and is_vusta_host(parts.hostname or "")
    )


class HostGuardMiddleware:
    """Ignores (and counts as ``vusta/offsite_blocked``) any request that is not to one of
    the two hosts, over http(s), on the default port."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if not is_site_url(request.url):
            if self.stats is not None:
                self.stats.inc_value(stats.OFFSITE_BLOCKED)
            raise IgnoreRequest(f"not a VUSTA host: {request.url}")


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries of 429/5xx, after slowing the host down (back-off).

    Before a retry, the host's download delay is raised to the response's ``Retry-After``
    (seconds) or to ``RETRY_BACKOFF_BASE`` × 2^(retries so far), at most ``RETRY_BACKOFF_MAX``;
    AutoThrottle brings it down again as the host answers well. Counted as ``vusta/backoff``.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.maximum = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            self.back_off(request, response)
        return super().process_response(request, response)

    def back_off(self, request: Request, response: Response) -> float:
        """Raise the host's delay before the retry; return the delay set."""
        delay = min(self.base * 2 ** request.meta.get("retry_times", 0), self.maximum)
        retry_after = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
        if retry_after.isdigit():
            delay = min(max(delay, float(retry_after)), self.maximum)
        engine = self.crawler.engine
        if engine is not None:
            downloader = engine.downloader
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None and slot.delay < delay:
                slot.delay = delay
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stats.BACKOFF)
        return delay
