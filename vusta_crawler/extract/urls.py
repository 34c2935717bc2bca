"""URLs: canonical forms, VUSTA's hosts, article URL shapes, the language a URL implies.

Pure functions, shared by extraction (links, images) and the crawl (what to follow).
"""

from __future__ import annotations

import functools
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from vusta_crawler import patterns
from vusta_crawler.extract.text import clean_text


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


def vusta_https(url: str) -> str:
    """A VUSTA URL on https and its host without ``www.``, the rest untouched (fragments too);
    other URLs unchanged. Images and body links read the same from an http or https page."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not is_vusta_host(parts.hostname or ""):
        return url
    return urlunsplit(("https", fold_host(parts.hostname or ""), *parts[2:]))


def safe_url(url: str) -> str:
    """``url`` with what may not stand in a URL percent-encoded: spaces, quotes, brackets,
    non-ASCII letters (``/a b/'x".jpg`` → ``/a%20b/%27x%22.jpg``); already-encoded parts kept."""
    return safe_url_string(url).replace("'", "%27")
