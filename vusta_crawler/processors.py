"""Pure normalizers named by the item loader: text, URLs, link lists, hashes.

Each function takes plain values and returns plain values; none reads a page. They keep what
was published: no spelling or look-alike letter is "corrected" (``ǎ`` stays ``ǎ``), only the
encoding noise (entities, Unicode forms, white space) is removed.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import nh3
from w3lib.url import safe_url_string

from vusta_crawler import patterns

_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Zero-width and control characters, and lone surrogates (undecodable bytes): never text.
_INVISIBLE_RE = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0e-\x1f\x7f\ud800-\udfff]"
)


def unescape_entities(text: str) -> str:
    """Undo HTML entities, also double-escaped ones (``&amp;quot;`` → ``"``).

    Only complete entities (with their ``;``) are read, so ``KH&CN`` and ``S&T`` stay as printed.
    """
    while True:
        unescaped = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)
        if unescaped == text:
            return text
        text = unescaped


def clean_text(text: str | None) -> str:
    """One line of text: entities undone, NFC, invisible characters dropped, spaces collapsed."""
    if not text:
        return ""
    if "&" in text:
        text = unescape_entities(text)
    text = _INVISIBLE_RE.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


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


# --- URLs ------------------------------------------------------------------------------------


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Liên hiệp … KH&KT" → "lienhiepkhkt"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text.casefold() if c.isascii() and c.isalnum())


_SITE_NAMES = frozenset(ascii_fold(name) for name in patterns.SITE_NAMES)


def is_site_name(text: str) -> bool:
    """True for the site-name line and the hosts: never a title, section or author."""
    return ascii_fold(text) in _SITE_NAMES


def fold_host(host: str) -> str:
    """Lower-case host without ``www.`` and without a trailing dot."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def is_vusta_host(host: str) -> bool:
    """True for vusta.vn and en.vusta.vn (with or without ``www.``)."""
    return fold_host(host) in patterns.HOSTS


@functools.lru_cache(maxsize=8192)
def canonical_url(url: str | None) -> str | None:
    """The canonical form of an absolute http(s) URL, or None for anything else.

    https for VUSTA's hosts, host lower-case without ``www.``, no fragment, no tracking
    parameters, other query parameters kept in their order, path percent-encoded once.
    """
    if not url:
        return None
    url = clean_text(url)
    try:
        parts = urlsplit(safe_url_string(url))
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = fold_host(parts.hostname)
    scheme = "https" if host in patterns.HOSTS else parts.scheme.lower()
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not patterns.TRACKING_PARAMS_RE.match(key)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query, safe="/:,"), ""))


def is_followable_href(href: str | None) -> bool:
    """False for ``javascript:``, ``mailto:``, ``tel:`` and fragment-only links."""
    if not href:
        return False
    href = href.strip().lower()
    return not (href.startswith(("javascript:", "mailto:", "tel:", "data:", "#")) or href == "")


def url_site(url: str) -> str:
    """``vusta.vn`` or ``en.vusta.vn`` for a canonical VUSTA URL."""
    return fold_host(urlsplit(url).hostname or "")


def url_language(url: str) -> str:
    """``en`` for en.vusta.vn and the legacy English paths of vusta.vn, else ``vi``."""
    parts = urlsplit(url)
    if fold_host(parts.hostname or "") == "en.vusta.vn":
        return "en"
    return "en" if patterns.ENGLISH_PATH_RE.match(parts.path) else "vi"


def url_article_id(url: str) -> int | None:
    """The digits of ``-p<digits>.html``, or None for other URL shapes."""
    found = patterns.ARTICLE_ID_RE.search(urlsplit(url).path)
    return int(found.group(1)) if found else None


@functools.lru_cache(maxsize=8192)
def is_article_url(url: str) -> bool:
    """True for URL shapes of article pages on VUSTA's hosts."""
    parts = urlsplit(url)
    if not is_vusta_host(parts.hostname or ""):
        return False
    return any(p.search(parts.path) for p in patterns.ARTICLE_PATH_RES)


# --- links and hashes --------------------------------------------------------------------------


def clean_link(link: dict[str, Any]) -> dict[str, Any] | None:
    """A related/latest entry with canonical URL and clean title; None if it is no link."""
    url = canonical_url(link.get("url"))
    title = clean_text(link.get("title"))
    if not url or not title:
        return None
    return {"url": url, "title": title, "summary": nonempty(clean_text(link.get("summary")))}


def vusta_https(url: str) -> str:
    """A VUSTA URL on https and its host without ``www.``, the rest untouched (fragments too);
    other URLs unchanged. Images and body links read the same from an http or https page."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_vusta_host(parts.hostname or ""):
        return url
    return urlunsplit(("https", fold_host(parts.hostname or ""), *parts[2:]))


def clean_image(image: dict[str, Any]) -> dict[str, Any] | None:
    """An image entry with an absolute URL (VUSTA's on https) and a clean caption (or None)."""
    url = image.get("url")
    if not url or not urlsplit(url).scheme.startswith("http"):
        return None
    return {"url": vusta_https(url), "caption": nonempty(clean_text(image.get("caption")))}


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
