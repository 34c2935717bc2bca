"""The item loader: which pure normalizer applies to which field.

Values come raw from the field readers; every rule lives in
:mod:`vusta_crawler.processors` or :mod:`vusta_crawler.dates` and is only *named* here.
"""

from __future__ import annotations

from itemloaders import ItemLoader
from itemloaders.processors import Compose, MapCompose, TakeFirst

from vusta_crawler.extract import dates
from vusta_crawler.extract.normalize import (
    clean_image,
    clean_link,
    clean_paragraphs,
    content_hash,
    nonempty,
    sanitize_html,
    strip_author_label,
    unique_by_url,
    unique_texts,
)
from vusta_crawler.extract.text import clean_text
from vusta_crawler.extract.urls import canonical_url, url_article_id, url_language, url_site
from vusta_crawler.items import ArticleItem

LIST_FIELDS = ("authors", "images", "related", "latest")


def date_value(result: dates.DateResult) -> str | None:
    """The checked publication time of a date reading, RFC 3339 in +07:00 (None if unsound)."""
    return result.rfc3339


def _join_html(fragments: list[str]) -> str:
    return "\n".join(fragments)


class ArticleLoader(ItemLoader):
    """Loads an :class:`ArticleItem`; single-valued fields take the first non-empty value."""

    default_item_class = ArticleItem
    default_output_processor = TakeFirst()

    url_in = MapCompose(canonical_url)
    site_in = MapCompose(canonical_url, url_site)
    article_id_in = MapCompose(canonical_url, url_article_id)
    language_in = MapCompose(canonical_url, url_language)
    title_in = MapCompose(clean_text, nonempty)
    published_in = MapCompose(date_value)
    published_raw_in = MapCompose(clean_text, nonempty)
    section_in = MapCompose(clean_text, nonempty)
    summary_in = MapCompose(clean_text, nonempty)
    body_text_out = Compose(clean_paragraphs, nonempty)
    body_html_out = Compose(_join_html, sanitize_html, nonempty)
    authors_in = MapCompose(clean_text, strip_author_label, nonempty)
    authors_out = Compose(unique_texts)
    images_in = MapCompose(clean_image)
    images_out = Compose(unique_by_url)
    related_in = MapCompose(clean_link)
    related_out = Compose(unique_by_url)
    latest_in = MapCompose(clean_link)
    latest_out = Compose(unique_by_url)
    fetched_at_in = MapCompose(dates.utc_rfc3339)

    def load_article(self) -> ArticleItem:
        """The item with list fields never null and the content hash computed."""
        item: ArticleItem = self.load_item()
        for name in LIST_FIELDS:
            if getattr(item, name) is None:
                setattr(item, name, [])
        if item.title and item.body_text:
            item.content_hash = content_hash(item.title, item.body_text)
        return item
