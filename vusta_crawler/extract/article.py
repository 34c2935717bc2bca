"""One VUSTA page in, one loaded :class:`~vusta_crawler.items.ArticleItem` out.

:func:`extract_article` reads the page once (:mod:`.document`), finds its anchors once
(:mod:`.anchors`), asks each field reader for its raw values and hands them to
:class:`~vusta_crawler.extract.loader.ArticleLoader`, whose processors normalize. A page that
holds no article raises :class:`NotAnArticle` with a named reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scrapy.http import TextResponse

from vusta_crawler import stats
from vusta_crawler.extract import fields
from vusta_crawler.extract.anchors import Anchors, read_anchors
from vusta_crawler.extract.body import body_html, read_body
from vusta_crawler.extract.document import read_document
from vusta_crawler.extract.layout import LATEST, RELATED
from vusta_crawler.extract.linklists import read_links
from vusta_crawler.extract.loader import ArticleLoader
from vusta_crawler.extract.urls import canonical_url, is_article_url
from vusta_crawler.items import ArticleItem
from vusta_crawler.stats import PageWarning

MIN_BODY_CHARS = 60
"""Less article text than this is no article (a broken page, a placeholder)."""

LISTING_TEASERS = 4
"""A page with less than MIN_BODY_CHARS of text of its own, beside this many teasers of other
articles or more, is a listing. How many teasers surround an article never decides: a page
with text of its own is an article."""

# Reasons of NotAnArticle (stat ``vusta/not_article/<reason>``, the ``parse`` error's reason).
NO_URL = "no_url"
NOT_ARTICLE_URL = "not_article_url"
EMPTY_PAGE = "empty_page"
NO_TITLE = "no_title"
LISTING_PAGE = "listing_page"
NO_BODY = "no_body"


class NotAnArticle(Exception):
    """The page holds no article; ``reason`` names why (a stat and the ``parse`` error)."""

    def __init__(self, reason: str, detail: str = "", warnings: list[PageWarning] | None = None):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.warnings = warnings or []


@dataclass
class Extraction:
    """A loaded item and what was noticed on the way."""

    item: ArticleItem
    warnings: list[PageWarning] = field(default_factory=list)


def extract_article(response: TextResponse, fetched_at: datetime) -> Extraction:
    """Load the page's item; raise :class:`NotAnArticle` with a named reason if there is none."""
    url = canonical_url(response.url)
    if not url:
        raise NotAnArticle(NO_URL, "the page names no URL of its own")
    if not is_article_url(url):
        raise NotAnArticle(NOT_ARTICLE_URL, url)
    doc = read_document(response)
    warnings = doc.warnings
    if doc.is_empty:
        raise NotAnArticle(EMPTY_PAGE, url, warnings)
    anchors = read_anchors(doc, url, fetched_at)
    if not anchors.title:
        raise NotAnArticle(NO_TITLE, url, warnings)
    body = read_body(anchors)
    own_text = len("\n\n".join(body.paragraphs))
    block = anchors.main_block
    if block is not None and anchors.layout.is_hinted_noise(block) and own_text < 300:
        own_text = 0  # the densest text left is a footer's or a menu's: not the page's own
    reason = _no_article_reason(anchors, own_text)
    if reason is not None:
        if reason == LISTING_PAGE:
            message = "an article URL, but the page is a list of teasers with no text of its own"
            warnings.append(PageWarning(stats.LISTING_AT_ARTICLE_URL, message))
        raise NotAnArticle(reason, url, warnings)

    loader = ArticleLoader()
    for name in ("url", "site", "article_id", "language"):
        loader.add_value(name, url)
    loader.add_value("title", anchors.title)
    published = fields.published(anchors)
    if published is not None:
        if published.problem:
            warnings.append(
                PageWarning(
                    stats.DATE + published.problem, f"{published.problem}: {published.raw!r}"
                )
            )
        loader.add_value("published", [published])  # a tuple: not to be iterated
        loader.add_value("published_raw", published.raw)
    loader.add_value("section", fields.section(anchors))
    loader.add_value("summary", fields.summary(anchors, body))
    loader.add_value("body_text", body.paragraphs)
    loader.add_value("body_html", body_html(anchors, body))
    loader.add_value("authors", body.authors or fields.structured_authors(anchors))
    loader.add_value("images", [{"url": i.url, "caption": i.caption} for i in body.images])
    loader.add_value("related", read_links(anchors, RELATED))
    loader.add_value("latest", read_links(anchors, LATEST))
    loader.add_value("fetched_at", anchors.fetched_at)
    return Extraction(loader.load_article(), warnings)


def _no_article_reason(anchors: Anchors, own_text: int) -> str | None:
    """Why the page holds no article (``listing_page``, ``no_body``), or None if it holds one:
    decided from the page's own text outside teasers, not from how many teasers surround it."""
    if own_text >= MIN_BODY_CHARS:
        return None
    return LISTING_PAGE if len(anchors.layout.teasers) >= LISTING_TEASERS else NO_BODY
