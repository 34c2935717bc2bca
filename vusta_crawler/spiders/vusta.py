"""The ``vusta`` spider: crawls vusta.vn and en.vusta.vn and yields one item per article."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response, TextResponse

from vusta_crawler.dates import parse_rfc3339
from vusta_crawler.items import ArticleItem
from vusta_crawler.page import ArticlePage, NotAnArticle
from vusta_crawler.patterns import HOSTS


def fetched_at_of(response: Response) -> datetime:
    """When the page was fetched: ``request.meta['fetched_at']`` for replays, else now (UTC)."""
    stamp = response.meta.get("fetched_at") if response.request is not None else None
    return parse_rfc3339(stamp) if stamp else datetime.now(UTC)


class VustaSpider(scrapy.Spider):
    """Crawls VUSTA's news; article pages go through :class:`ArticlePage`."""

    name = "vusta"
    allowed_domains: ClassVar[list[str]] = list(HOSTS)

    def parse_article(self, response: Response, **kwargs: Any) -> Iterator[ArticleItem]:
        """Yield the page's article item, or count and log why the page holds none."""
        if not isinstance(response, TextResponse):
            self._count("vusta/not_article/not_html")
            return
        try:
            extraction = ArticlePage(response, fetched_at_of(response)).extract()
        except NotAnArticle as error:
            self._count(f"vusta/not_article/{error.reason}")
            self.logger.info("No article at %s: %s", response.url, error)
            return
        for key, message in extraction.warnings:
            self._count(key)
            self.logger.warning("%s at %s", message, response.url)
        yield extraction.item

    def _count(self, key: str) -> None:
        if self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.inc_value(key)
