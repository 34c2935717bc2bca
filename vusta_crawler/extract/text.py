"""Text as a reader sees it: cleaning, folding for comparison, and the page's lines.

Pure functions on strings and lxml elements. :func:`block_lines` is the one walker that turns an
element into lines (split at ``<br>`` and block boundaries, inline tags glued); :func:`fold` is
the one way texts are compared (labels, titles, captions).
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

from lxml import etree

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


def fold(text: str) -> str:
    """Text as compared with labels: NFC, spaces collapsed, case-folded."""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split()).casefold()


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Liên hiệp … KH&KT" → "lienhiepkhkt"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text.casefold() if c.isascii() and c.isalnum())


_SITE_NAMES = frozenset(ascii_fold(name) for name in patterns.SITE_NAMES)
_SITE_NAME_MAX = 2 * max(len(name) for name in patterns.SITE_NAMES)


@functools.lru_cache(maxsize=4096)
def is_site_name(text: str) -> bool:
    """True for the site-name line and the hosts: never a title, section or author."""
    return len(text) <= _SITE_NAME_MAX and ascii_fold(text) in _SITE_NAMES


BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "header", "footer", "aside", "nav", "main", "center",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "td", "th",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "figure", "figcaption", "form",
    "hr", "address", "caption", "details", "summary", "fieldset",
})  # fmt: skip
"""Elements that start a new line for a reader."""

HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

_LINE_BREAKS = tuple(sorted(BLOCK_TAGS | {"br"}))


def tag_of(el: etree._Element) -> str:
    """The lower-case tag name, '' for comments and processing instructions."""
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def hint_of(el: etree._Element) -> str:
    """The element's class and id words, for the ``*_HINT_RE`` patterns."""
    return f"{el.get('class') or ''} {el.get('id') or ''}".strip()


def block_text(el: etree._Element) -> str:
    """The text a reader sees in ``el``: block boundaries and ``<br>`` become spaces."""
    return " ".join(block_lines(el))


def block_lines(el: etree._Element) -> list[str]:
    """The lines of ``el``, split at ``<br>`` and block boundaries; inline tags keep text glued."""
    if len(el) == 0 or next(el.iterdescendants(*_LINE_BREAKS), None) is None:
        text = "".join(el.itertext()).strip()  # one line: lxml reads it in one go
        return [text] if text else []
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        line = "".join(current).strip()
        if line:
            lines.append(line)
        current.clear()

    def walk(node: etree._Element) -> None:
        if node.text:
            current.append(node.text)
        for child in node:
            tag = tag_of(child)
            if tag == "br" or tag in BLOCK_TAGS:
                flush()
                if tag != "br":
                    walk(child)
                    flush()
            elif tag:
                walk(child)
            if child.tail:
                current.append(child.tail)

    walk(el)
    flush()
    return lines
