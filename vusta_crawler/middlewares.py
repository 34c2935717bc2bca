"""Downloader middleware: no request leaves vusta.vn and en.vusta.vn.

Scrapy's OffsiteMiddleware also admits subdomains of allowed domains; this one admits the two
hosts (and their ``www.`` forms) only, for every request: followed links, redirects, robots.txt.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from vusta_crawler.processors import is_vusta_host


class HostGuardMiddleware:
    """Ignores (and counts as ``vusta/offsite_blocked``) any request to another host."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).hostname or ""
        if not is_vusta_host(host):
            if self.stats is not None:
                self.stats.inc_value("vusta/offsite_blocked")
            raise IgnoreRequest(f"not a VUSTA host: {request.url}")
