"""Downloader middlewares: no request leaves vusta.vn and en.vusta.vn; retries back off, and
the back-off relaxes again; :class:`Refused` is how a middleware turns a response down.

Scrapy's OffsiteMiddleware also admits subdomains of allowed domains; the host guard admits the
two hosts (and their ``www.`` forms) only, over http or https on the default port, for every
request: followed links, redirects, robots.txt (``file://vusta.vn/…`` and
``https://vusta.vn:8443/…`` are not the site).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings

from vusta_crawler import stats
from vusta_crawler.extract.urls import is_vusta_host


class Refused(IgnoreRequest):
    """A response the crawl will not take (a redirect off the sites, a cut-off body…):
    counted as ``vusta/refused/<reason>`` where it is refused, and noted by the spider as the
    request's loss with ``reason`` (one of :data:`vusta_crawler.stats.REFUSALS`)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


def refuse(crawler: Crawler, reason: str, detail: str) -> Refused:
    """Count the refusal and give the exception to raise."""
    if reason not in stats.REFUSALS:
        raise ValueError(f"{reason!r}: not a declared refusal (stats.REFUSALS)")
    if crawler.stats is not None:
        crawler.stats.inc_value(stats.REFUSED + reason)
    return Refused(reason, detail)


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
    """Scrapy's retries of 429/5xx, after slowing the host down (back-off), and the host's
    pace given back once it answers well again.

    Before a retry, the host's download delay is raised to the response's ``Retry-After``
    (seconds), else to ``RETRY_BACKOFF_BASE`` × 2^(retries so far); at most ``RETRY_BACKOFF_MAX``
    (counted as ``vusta/backoff``). Each good answer (below 400) from a host whose delay was
    raised halves it, down to what it was before the first raise (``vusta/backoff_relaxed``
    when it gets there): one 429 costs the run a few slow requests, not the rest of it.
    """

    RELAXED_WITHIN = 0.05
    """Seconds: a delay this close to its base is back at it."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("RETRY_BACKOFF_BASE", 2.0)
        self.maximum = settings.getfloat("RETRY_BACKOFF_MAX", 120.0)
        self.raised: dict[str, float] = {}  # slot key → its delay before the first raise

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            self.back_off(request, response)
        elif response.status < 400:
            self.relax(request)
        return super().process_response(request, response)

    def _slot(self, request: Request) -> tuple[str, Any]:
        engine = self.crawler.engine
        if engine is None:
            return "", None
        downloader = engine.downloader
        key = downloader.get_slot_key(request)
        return key, downloader.slots.get(key)

    def back_off(self, request: Request, response: Response) -> float:
        """Raise the host's delay before the retry; return the delay set."""
        delay = min(self.base * 2 ** request.meta.get("retry_times", 0), self.maximum)
        retry_after = (response.headers.get(b"Retry-After") or b"").decode("latin-1").strip()
        if retry_after.isdigit():  # the server says how long: as long as that
            delay = min(float(retry_after), self.maximum)
        key, slot = self._slot(request)
        if slot is not None and slot.delay < delay:
            self.raised.setdefault(key, slot.delay)
            slot.delay = delay
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(stats.BACKOFF)
        return delay

    def relax(self, request: Request) -> None:
        """A good answer: halve a raised delay, down to its base."""
        if not self.raised:  # the usual case: no host slowed down, nothing to look up
            return
        key, slot = self._slot(request)
        if slot is None or key not in self.raised:
            return
        base = self.raised[key]
        slot.delay = max(base, slot.delay / 2)
        if slot.delay - base <= self.RELAXED_WITHIN:
            slot.delay = base
            del self.raised[key]
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value(stats.BACKOFF_RELAXED)
