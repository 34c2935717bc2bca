"""Pure normalizers named by the item loader: paragraphs, authors, link lists, images, hashes,
sanitized HTML.

Each function takes plain values and returns plain values; none reads a page. They keep what
was published: no spelling or look-alike letter is "corrected" (``ǎ`` stays ``ǎ``), only the
encoding noise (entities, Unicode forms, white space) is removed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import nh3

from vusta_crawler import patterns
from vusta_crawler.extract.text import clean_text
from vusta_crawler.extract.urls import canonical_url, safe_url, vusta_https


def clean_paragraphs(paragraphs: Iterable[str]) -> str:
    """Paragraphs cleaned one by one, empty ones dropped, joined by a blank line."""
    cleaned = (clean_text(p) for p in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def nonempty(value: Any) -> Any:
    """None for an empty string, the value otherwise (loaders keep null honest)."""
    return value if value not in ("", None) else None


def strip_author_label(text: str) -> str:
    """``Author: Nguyen Thanh Hai`` → ``Nguyen Thanh Hai``."""
    return patterns.AUTHOR_PREFIX_RE.sub("", text).strip(" -–—,;")


# --- links and hashes --------------------------------------------------------------------------


def clean_link(link: dict[str, Any]) -> dict[str, Any] | None:
    """A related/latest entry with canonical URL and clean title; None if it is no link."""
    url = canonical_url(link.get("url"))
    title = clean_text(link.get("title"))
    if not url or not title:
        return None
    return {"url": url, "title": title, "summary": nonempty(clean_text(link.get("summary")))}


def clean_image(image: dict[str, Any]) -> dict[str, Any] | None:
    """An image entry with an absolute URL (VUSTA's on https) and a clean caption (or None)."""
    url = image.get("url")
    if not url or not urlsplit(url).scheme.startswith("http"):
        return None
    return {
        "url": safe_url(vusta_https(url)),
        "caption": nonempty(clean_text(image.get("caption"))),
    }


def unique_by_url(entries: Iterable[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Entries in order, the first of each URL kept, Nones dropped."""
    seen: set[str] = set()
    kept = []
    for entry in entries:
        if entry and entry["url"] not in seen:
            seen.add(entry["url"])
            kept.append(entry)
    return kept


def unique_texts(values: Iterable[str]) -> list[str]:
    """Non-empty cleaned strings in order, duplicates dropped."""
    seen: list[str] = []
    for value in values:
        value = clean_text(value)
        if value and value not in seen:
            seen.append(value)
    return seen


def content_hash(title: str, body_text: str) -> str:
    """``sha256:<hex>`` of the normalized title and body: equal text, equal hash."""
    normalized = clean_text(title) + "\n\n" + clean_paragraphs(body_text.split("\n\n"))
    return "sha256:" + hashlib.sha256(normalized.encode("utf-8")).hexdigest()


# --- HTML ------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "p", "br", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "a", "img", "figure", "figcaption", "ul", "ol", "li", "blockquote", "pre", "code",
    "table", "thead", "tbody", "tr", "td", "th", "caption", "hr",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def sanitize_html(fragment: str) -> str:
    """HTML through nh3's allowlist: no script, style, event attributes or javascript: URLs."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "template", "noscript"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
    ).strip()
