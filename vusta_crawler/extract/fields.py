"""Readers of the item's metadata fields from a page's anchors: publication time, section,
lead, and authors from markup or JSON-LD.

Each reader takes :class:`~vusta_crawler.extract.anchors.Anchors` (and, for the lead, the body
already read) and returns raw values for the loader; none looks for the anchors again.
"""

from __future__ import annotations

import re

from lxml import etree

from vusta_crawler import patterns
from vusta_crawler.extract import dates
from vusta_crawler.extract.anchors import Anchors
from vusta_crawler.extract.body import Body, is_name_like
from vusta_crawler.extract.layout import is_bold, trail_items
from vusta_crawler.extract.normalize import strip_author_label
from vusta_crawler.extract.text import (
    HEADING_TAGS,
    block_text,
    clean_text,
    fold,
    is_site_name,
    tag_of,
)
from vusta_crawler.extract.urls import url_language

_DIGIT_RE = re.compile(r"\d")
_SENTENCE_END_RE = re.compile(r"[.!?…]")
_TRAIL_SEPARATOR_RE = re.compile(r"[›»>/→]")
_TRAIL_TAGS = frozenset({"nav", "ol", "ul", "div", "p", "span"})
# (attribute steps: libxml2 walks ``//@name`` several times faster than ``//*[@name]``)
_TRAIL_ATTRIBUTES_XPATH = etree.XPath("//@aria-label/.. | //@itemtype/..")
_DATE_TAGS = frozenset({"time", "span", "div", "p", "em", "small", "li"})
_AUTHOR_TAGS = frozenset({"div", "p", "span", "address"})
_AUTHOR_ATTRIBUTES_XPATH = etree.XPath("//@rel[.='author']/.. | //@itemprop[.='author']/..")
_HOME_LABEL_MAX = max(len(label) for label in patterns.HOME_LABELS) + 2

# --- publication time -----------------------------------------------------------------------


def published(anchors: Anchors) -> dates.DateResult | None:
    """The publication time: the printed date line nearest the title, else a machine date
    (``<time datetime>``, JSON-LD, meta), else a date-like element read by dateparser."""
    if anchors.date_line is not None:
        return anchors.date_line.result
    return machine_date(anchors) or hinted_date(anchors)


def machine_date(anchors: Anchors) -> dates.DateResult | None:
    doc = anchors.doc
    candidates = [
        *doc.root.xpath("//time[@itemprop='datePublished' or @pubdate]/@datetime"),
        *[str(a.get("datePublished") or "") for a in doc.jsonld_articles()],
        doc.meta.get("article:published_time", ""),
        doc.meta.get("datepublished", ""),
        doc.meta.get("pubdate", ""),
        doc.meta.get("og:published_time", ""),
        *[
            t.get("datetime", "")
            for t in doc.root.iter("time")
            if t.get("datetime") and not anchors.in_zone(t)
        ],
    ]
    for candidate in candidates:
        if candidate and candidate.strip():
            result = dates.parse_machine_date(candidate, anchors.fetched_at)
            if result is not None:
                return result
    return None


def hinted_date(anchors: Anchors) -> dates.DateResult | None:
    """An element whose class says it prints a date, read by the fast path or dateparser."""
    language = url_language(anchors.url)
    layout = anchors.layout
    marked = layout.marked(patterns.DATE_HINT_RE, _DATE_TAGS)
    marked += anchors.root.iter("time")
    for el in sorted(set(marked), key=layout.order.__getitem__):
        text = clean_text(block_text(el))
        if not text or len(text) > 80 or anchors.in_zone(el) or not _DIGIT_RE.search(text):
            continue
        return dates.read_date_text(text, language, anchors.fetched_at)
    return None


# --- section -----------------------------------------------------------------------------------


def section(anchors: Anchors) -> str | None:
    """The breadcrumb's last item that is neither home nor the title; else meta/JSON-LD."""
    title = fold(anchors.title or "")
    for trail in breadcrumb_trails(anchors):
        names = [
            n
            for n in (clean_text(t) for t in trail)
            if n
            and n.strip("›»>/|→") != ""
            and fold(n) not in patterns.HOME_LABELS
            and not is_site_name(n)
            and fold(n) != title
        ]
        if names:
            return names[-1]
    doc = anchors.doc
    for candidate in (
        doc.meta.get("article:section", ""),
        *[str(a.get("articleSection") or "") for a in doc.jsonld_articles()],
    ):
        if clean_text(candidate) and not is_site_name(candidate):
            return clean_text(candidate)
    return None


def breadcrumb_trails(anchors: Anchors) -> list[list[str]]:
    """The names of the page's breadcrumb trails: marked ones, a short arrow-joined run of links
    starting at "Trang chủ", and JSON-LD ``BreadcrumbList``s."""
    root = anchors.root
    layout = anchors.layout
    trails: list[list[str]] = []
    marked = layout.marked(patterns.BREADCRUMB_HINT_RE, _TRAIL_TAGS)
    marked += [
        el
        for el in _TRAIL_ATTRIBUTES_XPATH(root)
        if el.tag in _TRAIL_TAGS
        and (
            "breadcrumb" in (el.get("aria-label") or "").lower()
            or "BreadcrumbList" in (el.get("itemtype") or "")
        )
    ]
    if marked:
        trails.append(trail_items(min(marked, key=layout.order.__getitem__)))
    if not trails:
        for a in root.iter("a"):
            if not 0 < layout.text_len.get(a, 0) <= _HOME_LABEL_MAX:
                continue
            if fold(block_text(a)) not in patterns.HOME_LABELS:
                continue
            parent = a.getparent()
            links = list(parent.iter("a")) if parent is not None else []
            text = block_text(parent) if parent is not None else ""
            # a trail, not a menu: few links, joined by arrows (menus use "|" or nothing)
            if 2 <= len(links) <= 5 and len(text) < 150 and _TRAIL_SEPARATOR_RE.search(text):
                trails.append([block_text(link) for link in links])
                break
    for item in anchors.doc.jsonld:
        if item.get("@type") == "BreadcrumbList":
            entries = item.get("itemListElement") or []
            names = [
                str(e.get("name") or (e.get("item") or {}).get("name") or "")
                for e in entries
                if isinstance(e, dict)
            ]
            trails.append(names)
    return trails


# --- lead ----------------------------------------------------------------------------------------


def summary(anchors: Anchors, body: Body) -> str | None:
    """The lead (sapo) when the page marks one: by its class, or a bold opening paragraph."""
    if anchors.lead is not None:
        return clean_text(block_text(anchors.lead))
    if not body.paragraphs:
        return None
    return body.paragraphs[0] if _bold_intro(body) else None


def _bold_intro(body: Body) -> bool:
    first = next(iter(body.paragraph_pieces()), None)
    if first is None or not first.whole or len(first.text) < 100:
        return False
    if tag_of(first.block) in HEADING_TAGS or not _SENTENCE_END_RE.search(first.text):
        return False
    return is_bold(first.block)


# --- authors -------------------------------------------------------------------------------------


def structured_authors(anchors: Anchors) -> list[str]:
    """Authors from a marked author element or JSON-LD, when no closing line names one."""
    names: list[str] = []
    layout = anchors.layout
    marked = layout.marked(patterns.AUTHOR_HINT_RE, _AUTHOR_TAGS)
    marked += [el for el in _AUTHOR_ATTRIBUTES_XPATH(anchors.root) if el.tag in _AUTHOR_TAGS]
    for el in sorted(set(marked), key=layout.order.__getitem__):
        hint = layout.hints.get(el, "")
        if patterns.COMMENT_HINT_RE.search(hint) or anchors.in_zone(el):
            continue  # a commenter
        parent = el.getparent()
        if parent is not None and anchors.layout.is_hinted_noise(parent):
            continue  # inside a comment thread, a sidebar, a footer
        text = clean_text(block_text(el))
        if (
            text
            and len(text) <= 80
            and not is_site_name(text)
            and not dates.match_date_line(text)
            and is_name_like(strip_author_label(text))
        ):
            names.append(text)
            break
    if not names:
        for article in anchors.doc.jsonld_articles():
            authors = article.get("author") or []
            for author in authors if isinstance(authors, list) else [authors]:
                name = author.get("name") if isinstance(author, dict) else author
                if isinstance(name, str) and name.strip() and not is_site_name(name):
                    names.append(name)
    return names
