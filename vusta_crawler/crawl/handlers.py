"""The crawl's download handler: every request to a mirror of the sites, when one is set.

:class:`MirrorDownloadHandler` is Scrapy's HTTP/1.1 handler; with the ``VUSTA_MIRROR`` setting
it fetches ``https://vusta.vn/…`` from ``<mirror>/vusta.vn/…`` and gives the response the real
URL back, so nothing after the downloader can tell a mirror crawl from a live one. The mirror
server itself is a development tool (:mod:`vusta_crawler.devtools.mirror`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response


def mirror_url(base: str, url: str) -> str:
    """``https://vusta.vn/tin-tuc.html?page=2`` → ``<base>/vusta.vn/tin-tuc.html?page=2``."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{base.rstrip('/')}/{parts.hostname}{parts.path or '/'}{query}"


class MirrorDownloadHandler(HTTP11DownloadHandler):
    """Downloads ``https://vusta.vn/…`` from the mirror at setting ``VUSTA_MIRROR``.

    The project's handler for http and https: without ``VUSTA_MIRROR`` it is Scrapy's own HTTP
    handler, unchanged. The response keeps the real URL, so nothing after the downloader can tell
    a mirror crawl from a live one (``scrapy crawl vusta -s VUSTA_MIRROR=URL`` works too).
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.mirror: str | None = crawler.settings.get("VUSTA_MIRROR")

    async def download_request(self, request: Request) -> Response:
        if not self.mirror:
            return await super().download_request(request)
        mirrored = request.replace(url=mirror_url(self.mirror, request.url))
        response = await super().download_request(mirrored)
        return response.replace(url=request.url)
