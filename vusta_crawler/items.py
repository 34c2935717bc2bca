"""The archive item: one news article as archivists receive it.

The data contract is ``schemas/article.schema.json`` (documented in the README); this dataclass
mirrors it. Every field defaults to None because the loader fills it one field at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass
class ArticleItem:
    """One VUSTA article. See the README's table for each field's meaning."""

    url: str | None = None
    site: str | None = None
    article_id: int | None = None
    language: str | None = None
    title: str | None = None
    published: str | None = None
    published_raw: str | None = None
    section: str | None = None
    summary: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    authors: list[str] | None = None
    images: list[dict[str, Any]] | None = None
    related: list[dict[str, Any]] | None = None
    latest: list[dict[str, Any]] | None = None
    content_hash: str | None = None
    fetched_at: str | None = None


ARTICLE_FIELDS = tuple(f.name for f in fields(ArticleItem))
"""The item's field names, in schema order."""

REQUIRED_FIELDS = ("url", "title", "body_text", "content_hash")
"""An item missing one of these is not archived (stat ``vusta/dropped/missing_<field>``)."""
