"""The page as a document: decoded, cleaned of what is never text, parsed once, bounded.

:func:`read_document` turns a response into a :class:`Document`: the lxml tree (script, style
and similar elements removed), the ``<meta>`` values, the JSON-LD objects, the ``<title>`` text
and the base URL that links resolve against. Hostile input has a defined outcome here: control
characters and NULs are dropped before parsing (never turned into U+FFFD), an empty or
whitespace-only page is an empty document, nesting deeper than :data:`MAX_DEPTH` is flattened
(and reported), JSON-LD that is not JSON or nests without end is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree
from scrapy.http import TextResponse

from vusta_crawler import patterns, stats
from vusta_crawler.extract.urls import is_vusta_host
from vusta_crawler.stats import PageWarning

MAX_DEPTH = 200
"""Elements nested deeper than this are flattened into their ancestor at this depth (their
text kept, their tags dropped): the readers walk the tree recursively, and no real page nests
this deep."""

# C0 controls (but tab, newline, carriage return) and DEL: in UTF-8 these bytes are never part
# of another character, so they can be deleted from the encoded page directly.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_DEEP_XPATH = etree.XPath("/" + "/".join(["*"] * MAX_DEPTH))
_BLOCK_WRAPPERS = frozenset({"div", "section", "article", "main", "center"})
_WRAPPER_TAGS = _BLOCK_WRAPPERS | {"span", "font", "b", "i"}
_WRAPPER_TAG_RE = re.compile(r"</?(div|section|article|main|center|span|font|b|i)\b[^>]*>", re.I)
# lxml's own HTML parser, not lxml.html's: its elements need no Python class lookup, which
# costs a call per element touched.
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True)
_ARTICLE_TYPES = frozenset({"NewsArticle", "Article", "BlogPosting", "ReportageNews"})


@dataclass
class Document:
    """One parsed page: tree, metadata, the URL it came from and the base links resolve against."""

    url: str
    base_url: str
    root: etree._Element
    meta: dict[str, str]
    jsonld: list[dict[str, Any]]
    head_title: str
    warnings: list[PageWarning] = field(default_factory=list)
    _joined: dict[str, str] = field(default_factory=dict, repr=False)

    def urljoin(self, href: str) -> str:
        """``href`` made absolute against the base URL (memoized: links repeat)."""
        joined = self._joined.get(href)
        if joined is None:
            joined = self._joined[href] = _join(self.base_url, href.strip())
        return joined

    def jsonld_articles(self) -> list[dict[str, Any]]:
        """The JSON-LD objects that describe an article."""
        return [item for item in self.jsonld if str(item.get("@type")) in _ARTICLE_TYPES]

    @property
    def is_empty(self) -> bool:
        """True when the page holds no text at all (empty, white space, comments only)."""
        body = self.root.find("body")
        return body is None or not "".join(body.itertext()).strip()


def _join(base: str, href: str) -> str:
    """``urljoin``, with its two common cases done directly: an absolute URL, and a path from
    the root without dot segments (``/tin-tuc/x-p1.html``)."""
    if href.startswith(("https://", "http://")):
        return href
    if href.startswith("/") and not href.startswith("//") and "/." not in href:
        scheme, _, rest = base.partition("://")
        if rest:
            return f"{scheme}://{rest.split('/', 1)[0]}{href}"
    return urljoin(base, href)


def read_document(response: TextResponse) -> Document:
    """Parse ``response`` once (its text as Scrapy decoded it: header, BOM or meta charset)."""
    data = clean_bytes(response.text)
    root = parse_html(data)
    warnings: list[PageWarning] = []
    if _too_deep():  # libxml2 stops reading at 2,048 levels: read it again without wrappers
        root = parse_html(_WRAPPER_TAG_RE.sub(_unwrap, data.decode("utf-8")).encode("utf-8"))
        warnings.append(PageWarning(stats.PAGE_FLATTENED, "nesting beyond 2,048 levels unwrapped"))
    if _flatten_deep(root):
        warnings.append(
            PageWarning(stats.PAGE_FLATTENED, f"nesting deeper than {MAX_DEPTH} flattened")
        )
    meta: dict[str, str] = {}
    jsonld: list[dict[str, Any]] = []
    head_title: str | None = None
    base: str | None = None
    for el in root.iter("meta", "script", "title", "base"):  # one pass for what heads hold
        tag = el.tag
        if tag == "meta":
            _read_meta(el, meta)
        elif tag == "script":
            if "ld+json" in (el.get("type") or ""):
                jsonld.extend(_read_jsonld(el.text or ""))
        elif tag == "title":
            head_title = el.text if head_title is None else head_title
        elif base is None and el.get("href"):
            base = el.get("href")
    base_url = _base_url(base, response.url)
    etree.strip_elements(root, *patterns.SKIP_TAGS, with_tail=False)
    return Document(response.url, base_url, root, meta, jsonld, head_title or "", warnings)


def clean_bytes(text: str) -> bytes:
    """``text`` as UTF-8 without what is never text: lone surrogates (undecodable bytes) and C0
    controls but tab, newline and carriage return, and DEL. Dropped, not turned into U+FFFD."""
    return text.encode("utf-8", "ignore").translate(None, _CONTROL_BYTES)


def parse_html(data: bytes) -> etree._Element:
    """The root ``<html>`` element of the UTF-8 page ``data``; an empty one for a page with no
    markup at all."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None:  # empty, white space or comments only
        root = etree.fromstring(b"<html><body></body></html>", _PARSER)
    return root


def _too_deep() -> bool:
    """True when the last parse stopped at libxml2's depth limit (and lost the rest)."""
    return any("Excessive depth" in entry.message for entry in _PARSER.error_log)


def _unwrap(found: re.Match[str]) -> str:
    """A wrapper tag removed from the page's text: a space for a block, nothing inline."""
    return " " if found.group(1).lower() in _BLOCK_WRAPPERS else ""


def _flatten_deep(root: etree._Element) -> bool:
    """Bound the tree's depth by :data:`MAX_DEPTH`; True if the page nested deeper.

    First the wrappers go: elements with one child and no text of their own (a page of 5,000
    nested ``<div>``s around its article keeps its paragraphs). What is still too deep is
    flattened: the tags below the limit are stripped, their text kept."""
    deep = _DEEP_XPATH(root)
    if not deep:
        return False
    for el in list(root.iter()):
        parent = el.getparent()
        if parent is None or parent.tag in ("html", "body") or len(el) != 1:
            continue
        if (el.text or "").strip() or el.tag not in _WRAPPER_TAGS:
            continue
        child = el[0]
        child.tail = (child.tail or "") + (el.tail or "")
        parent.replace(el, child)
    for el in _DEEP_XPATH(root):
        etree.strip_tags(el, "*")
    return True


def _base_url(base: str | None, url: str) -> str:
    """``<base href>`` when it points at one of VUSTA's hosts; the page's URL otherwise (a base
    off the two hosts would turn every relative link into a link elsewhere)."""
    if not base:
        return url
    href = urljoin(url, base.strip())
    parts = urlsplit(href)
    if parts.scheme in ("http", "https") and is_vusta_host(parts.hostname or ""):
        return href
    return url


def _read_meta(el: etree._Element, meta: dict[str, str]) -> None:
    key = el.get("property") or el.get("name") or el.get("itemprop")
    content = el.get("content")
    if key and content and key.lower() not in meta:
        meta[key.lower()] = content


def _read_jsonld(text: str) -> list[dict[str, Any]]:
    """The objects of one JSON-LD block, ``@graph`` members included; [] if it is unreadable."""
    try:
        data = json.loads(text, strict=False)
    except (ValueError, RecursionError):  # not JSON, or nested beyond Python's stack
        return []
    found: list[dict[str, Any]] = []
    stack = data if isinstance(data, list) else [data]
    while stack:
        item = stack.pop(0)
        if isinstance(item, dict):
            found.append(item)
            graph = item.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)
    return found
