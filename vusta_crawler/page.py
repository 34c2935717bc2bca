"""Article extraction: one VUSTA page in, one loaded :class:`ArticleItem` out.

:class:`ArticlePage` parses the page once (HTML, ``<meta>``, JSON-LD) and has one method per
part of the item, each anchored on what is stable across markups: the ``h1`` / ``og:title`` /
``<title>`` for the title, the date-line patterns near the title and the structured dates, the
densest block of paragraphs for the body, the "Xem thêm" / "Tin mới" headings for the link lists.
The values go raw into :class:`~vusta_crawler.loaders.ArticleLoader`, whose processors normalize.
Navigation (what to crawl next) is the spider's business, not this module's.
"""

from __future__ import annotations

import copy
import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import lxml.html
from lxml import etree
from scrapy.http import TextResponse

from vusta_crawler import dates, patterns
from vusta_crawler.items import ArticleItem
from vusta_crawler.layout import (
    BLOCK_TAGS,
    HEADING_TAGS,
    LATEST,
    RELATED,
    Layout,
    analyse,
    block_lines,
    block_text,
    fold,
    hint_of,
    label_kind,
    tag_of,
)
from vusta_crawler.loaders import ArticleLoader
from vusta_crawler.processors import (
    canonical_url,
    clean_text,
    is_article_url,
    is_followable_href,
    url_language,
    vusta_https,
)


def _ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits only: "Liên hiệp … KH&KT" → "lienhiepkhkt"."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text.casefold() if c.isascii() and c.isalnum())


_SITE_NAMES = {_ascii_fold(name) for name in patterns.SITE_NAMES}
_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:»]+\s+")
_IMAGE_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "src")
_IMAGE_SKIP_RE = re.compile(
    r"logo|icon|spacer|blank\.gif|pixel|avatar|banner|/ads?/|print|email|mail\.|/back|share|"
    r"facebook|twitter|zalo|rss|button|btn",
    re.I,
)


MIN_BODY_CHARS = 60
"""Less article text than this is no article (a broken page, a placeholder)."""

_DATE_FRAGMENT_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}")


class NotAnArticle(Exception):
    """The page holds no article; ``reason`` names why (a stat and the ``parse`` error)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Extraction:
    """A loaded item and what was noticed on the way (``(stat key, message)`` pairs)."""

    item: ArticleItem
    warnings: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Image:
    url: str
    alt: str
    element: etree._Element
    caption: str | None = None


@dataclass
class _Body:
    paragraphs: list[str]
    pieces: list[tuple[str, Any]]  # ("p", (text, block, whole)) or ("img", _Image)
    images: list[_Image]
    authors: list[str]


def parse_html(response: TextResponse) -> etree._Element:
    """The page's root element, from the response's decoded text (header, BOM, meta charset)."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    data = response.text.encode("utf-8", "surrogatepass")
    root = lxml.html.document_fromstring(data or b"<html></html>", parser=parser)
    return root


def is_site_name(text: str) -> bool:
    """True for the site-name line and the hosts: never a title, section or author."""
    return _ascii_fold(text) in _SITE_NAMES


class ArticlePage:
    """One fetched page, read as a VUSTA article. Parse once, then ask for fields."""

    def __init__(self, response: TextResponse, fetched_at: datetime) -> None:
        self.response = response
        # in Vietnam time once, so that comparing it with page dates is cheap
        self.fetched_at = fetched_at.astimezone(dates.VN_TZ)
        self.root = parse_html(response)
        self.jsonld = _read_jsonld(self.root)
        self.meta = _read_meta(self.root)
        self.head_title = self.root.findtext(".//title") or ""
        etree.strip_elements(self.root, *patterns.SKIP_TAGS, with_tail=False)
        self.layout: Layout = analyse(self.root)
        self.warnings: list[tuple[str, str]] = []
        self._joined: dict[str, str] = {}

    # --- the item -------------------------------------------------------------------------

    def extract(self) -> Extraction:
        """Load the item; raise :class:`NotAnArticle` with a named reason if there is none."""
        url = self.url()
        if not url:
            raise NotAnArticle("no_url", "the page names no URL of its own")
        if not is_article_url(url):
            raise NotAnArticle("not_article_url", url)
        title = self.title()
        if not title:
            raise NotAnArticle("no_title", url)
        if self.looks_like_listing():
            raise NotAnArticle("listing_page", url)
        body = self.body
        text = "\n\n".join(body.paragraphs)
        if len(text) < MIN_BODY_CHARS:
            raise NotAnArticle("no_body", url)
        block = self.main_block
        if block is not None and self.layout.is_hinted_noise(block) and len(text) < 300:
            # the densest text is a footer's or a menu's: the page has none of its own
            raise NotAnArticle("no_body", f"{url}: only chrome text")

        loader = ArticleLoader(fetched_at=self.fetched_at)
        for name in ("url", "site", "article_id", "language"):
            loader.add_value(name, url)
        loader.add_value("title", title)
        published = self.published()
        if published is not None:
            loader.add_value("published", [published])  # a tuple: not to be iterated
            loader.add_value("published_raw", published.raw)
        loader.add_value("section", self.section())
        loader.add_value("summary", self.summary_text())
        loader.add_value("body_text", body.paragraphs)
        loader.add_value("body_html", self.body_html())
        loader.add_value("authors", body.authors or self.structured_authors())
        loader.add_value("images", [{"url": i.url, "caption": i.caption} for i in body.images])
        loader.add_value("related", self.links(RELATED))
        loader.add_value("latest", self.links(LATEST))
        loader.add_value("fetched_at", self.fetched_at)
        return Extraction(loader.load_article(), self.warnings)

    # --- URL ------------------------------------------------------------------------------

    def url(self) -> str | None:
        """The page's canonical URL."""
        return canonical_url(self.response.url)

    # --- title ----------------------------------------------------------------------------

    @cached_property
    def title_element(self) -> etree._Element | None:
        """The heading that prints the title, when one does."""
        headings = [
            h
            for h in self.root.iter("h1")
            if block_text(h).strip() and not is_site_name(block_text(h)) and not self._in_zone(h)
        ]
        named = {fold(t) for t in self._meta_titles()}
        for heading in headings:
            if fold(block_text(heading)) in named:
                return heading
        for heading in self.root.iter("h2", "h3", "h4"):
            if fold(block_text(heading)) in named and not self._in_zone(heading):
                return heading
        for block in self.layout.leaf_blocks:  # a title printed in a plain <div> or <td>
            if (
                self.layout.text_len[block] < 300
                and fold(block_text(block)) in named
                and not self._in_zone(block)
                and tag_of(block) != "li"
            ):
                return block
        if headings:
            start = self.layout.order.get(self.main_block, 0) if self.main_block is not None else 0
            before = [h for h in headings if self.layout.order[h] <= start]
            return before[-1] if before else headings[0]
        for heading in self.root.iter("h2", "h3"):
            text = block_text(heading)
            if (
                len(text) > 15
                and patterns.NOISE_HINT_RE.search(hint_of(heading)) is None
                and not self._in_zone(heading)
                and not is_site_name(text)
                and label_kind(text) is None
                and "title" in hint_of(heading).lower()
            ):
                return heading
        return None

    def _meta_titles(self) -> list[str]:
        titles = [self.meta.get("og:title", ""), self.meta.get("twitter:title", "")]
        titles += [str(a.get("headline") or "") for a in self._jsonld_articles()]
        titles.append(_strip_site_name(self.head_title))
        return [clean_text(t) for t in titles if clean_text(t) and not is_site_name(t)]

    def title(self) -> str | None:
        """The title: the page's heading, else ``og:title``, JSON-LD headline, ``<title>``."""
        if self.title_element is not None:
            return clean_text(block_text(self.title_element))
        for title in self._meta_titles():
            stripped = _strip_site_name(title)
            if stripped and not is_site_name(stripped):
                return stripped
        return None

    # --- publication time -------------------------------------------------------------------

    def published(self) -> dates.DateResult | None:
        """The publication time: the printed date line nearest the title, else a machine date,
        else a date-like element read by dateparser. Problems are recorded as warnings."""
        result = self._printed_date() or self._machine_date() or self._hinted_date()
        if result is not None and result.problem:
            self.warnings.append(
                (f"vusta/date/{result.problem}", f"{result.problem}: {result.raw!r}")
            )
        return result

    def _anchor_order(self) -> int:
        anchor = self.title_element if self.title_element is not None else self.main_block
        return self.layout.order.get(anchor, 0) if anchor is not None else 0

    @cached_property
    def date_line(self) -> tuple[dates.DateResult, etree._Element] | None:
        """The printed date line nearest the title, and the block that prints it."""
        found: list[tuple[int, dates.DateResult, etree._Element]] = []
        for text in self.root.xpath(
            "//body//text()[contains(., '/') or contains(., '-')]"
            "[string-length(normalize-space(.)) > 7][string-length(normalize-space(.)) < 160]"
        ):
            if _DATE_FRAGMENT_RE.search(text) is None:
                continue
            element = text.getparent()
            if text.is_tail:
                element = element.getparent()
            if element is None or self._in_zone(element) or self._links_elsewhere(element):
                continue
            owner = element
            while tag_of(owner) not in BLOCK_TAGS and owner.getparent() is not None:
                owner = owner.getparent()
            result = dates.match_date_line(text, self.fetched_at)
            if result is None or result.problem == dates.NO_TIME:
                # the line may be split over inline elements ("08/12/2021 | <span>15:42")
                for line in block_lines(owner):
                    if len(line) < 160:
                        whole = dates.match_date_line(line, self.fetched_at)
                        if whole is not None and (result is None or whole.problem != dates.NO_TIME):
                            result = whole
                            break
            if result is not None:
                distance = abs(self.layout.order.get(element, 0) - self._anchor_order())
                found.append((distance, result, owner))
        if not found:
            return None
        _, result, owner = min(found, key=lambda entry: entry[0])
        return result, owner

    @cached_property
    def date_box(self) -> etree._Element | None:
        """The box around the date line that holds only short metadata (view count, "Chi
        tiết", the site line): left out of the body as a whole."""
        if not self.date_line:
            return None
        result, box = self.date_line
        limit = len(result.raw) + 100
        if self.layout.text_len.get(box, 0) > limit:
            return None
        while True:
            parent = box.getparent()
            if (
                parent is None
                or tag_of(parent) in ("body", "html")
                or self.layout.text_len.get(parent, 0) > limit
                or next(parent.iter("img", "amp-img"), None) is not None
                or (self.summary_element is not None and _is_inside(self.summary_element, parent))
            ):
                return box
            box = parent

    def _printed_date(self) -> dates.DateResult | None:
        return self.date_line[0] if self.date_line else None

    def _machine_date(self) -> dates.DateResult | None:
        candidates = [
            *self.root.xpath("//time[@itemprop='datePublished' or @pubdate]/@datetime"),
            *[str(a.get("datePublished") or "") for a in self._jsonld_articles()],
            self.meta.get("article:published_time", ""),
            self.meta.get("datepublished", ""),
            self.meta.get("pubdate", ""),
            self.meta.get("og:published_time", ""),
            *[
                t.get("datetime", "")
                for t in self.root.iter("time")
                if t.get("datetime") and not self._in_zone(t)
            ],
        ]
        for candidate in candidates:
            if candidate and candidate.strip():
                result = dates.parse_machine_date(candidate, self.fetched_at)
                if result is not None:
                    return result
        return None

    def _hinted_date(self) -> dates.DateResult | None:
        language = self.language_hint()
        for el in self.root.iter("time", "span", "div", "p", "em", "small", "li"):
            is_time = tag_of(el) == "time"
            if not is_time and not patterns.DATE_HINT_RE.search(hint_of(el)):
                continue
            text = clean_text(block_text(el))
            if not text or len(text) > 80 or self._in_zone(el) or not re.search(r"\d", text):
                continue
            return dates.read_date_text(text, language, self.fetched_at)
        return None

    def language_hint(self) -> str:
        """``vi`` or ``en`` as the URL says, for dateparser."""
        url = self.url()
        return url_language(url) if url else "vi"

    # --- section, summary, authors -----------------------------------------------------------

    def section(self) -> str | None:
        """The breadcrumb's last item that is neither home nor the title; else meta/JSON-LD."""
        title = fold(self.title() or "")
        for trail in self._breadcrumb_trails():
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
        for candidate in (
            self.meta.get("article:section", ""),
            *[str(a.get("articleSection") or "") for a in self._jsonld_articles()],
        ):
            if clean_text(candidate) and not is_site_name(candidate):
                return clean_text(candidate)
        return None

    def _breadcrumb_trails(self) -> list[list[str]]:
        trails: list[list[str]] = []
        for el in self.root.iter("nav", "ol", "ul", "div", "p", "span"):
            if not (
                patterns.BREADCRUMB_HINT_RE.search(hint_of(el))
                or "breadcrumb" in (el.get("aria-label") or "").lower()
                or "BreadcrumbList" in (el.get("itemtype") or "")
            ):
                continue
            trails.append(_trail_items(el))
            break
        if not trails:
            for a in self.root.iter("a"):
                if fold(block_text(a)) not in patterns.HOME_LABELS:
                    continue
                parent = a.getparent()
                links = list(parent.iter("a")) if parent is not None else []
                text = block_text(parent) if parent is not None else ""
                # a trail, not a menu: few links, joined by arrows (menus use "|" or nothing)
                if 2 <= len(links) <= 5 and len(text) < 150 and re.search(r"[›»>/→]", text):
                    trails.append([block_text(link) for link in links])
                    break
        for item in self.jsonld:
            if item.get("@type") == "BreadcrumbList":
                entries = item.get("itemListElement") or []
                names = [
                    str(e.get("name") or (e.get("item") or {}).get("name") or "")
                    for e in entries
                    if isinstance(e, dict)
                ]
                trails.append(names)
        return trails

    @cached_property
    def summary_element(self) -> etree._Element | None:
        """The element the page marks as the lead (sapo), if any."""
        end = (
            self.layout.order.get(self.main_block, 0) + 10**6 if self.main_block is not None else 0
        )
        for el in self.root.iter(*BLOCK_TAGS):
            hint = hint_of(el)
            if not (patterns.SUMMARY_HINT_RE.search(hint) or el.get("itemprop") == "description"):
                continue
            if patterns.CAPTION_HINT_RE.search(hint) or self._in_zone(el):
                continue
            if self.layout.is_hinted_noise(el) or self.layout.order[el] > end:
                continue
            if self.main_block is not None and _is_inside(self.main_block, el):
                continue  # a wrapper of the whole body ("text-with-summary"), not a lead
            if len(clean_text(block_text(el))) >= 20 and len(list(el.iter("a"))) < 3:
                return el
        return None

    def summary_text(self) -> str | None:
        """The lead (sapo) when the page marks one: by its class, or a bold opening paragraph."""
        if self.summary_element is not None:
            return clean_text(block_text(self.summary_element))
        paragraphs = self.body.paragraphs
        if not paragraphs:
            return None
        return paragraphs[0] if self._bold_intro else None

    @cached_property
    def _bold_intro(self) -> bool:
        pieces = [p for kind, p in self.body.pieces if kind == "p"]
        if not pieces:
            return False
        text, block, whole = pieces[0]
        if not whole or len(text) < 100 or tag_of(block) in HEADING_TAGS:
            return False
        if not re.search(r"[.!?…]", text):
            return False
        bold = sum(len(block_text(b)) for b in block.iter("b", "strong") if b is not block)
        return bold >= 0.9 * len(block_text(block))

    def structured_authors(self) -> list[str]:
        """Authors from a marked author element or JSON-LD, when no closing line names one."""
        names: list[str] = []
        for el in self.root.iter("div", "p", "span", "address"):
            if (
                patterns.AUTHOR_HINT_RE.search(hint_of(el))
                or el.get("rel") == "author"
                or el.get("itemprop") == "author"
            ) and not self._in_zone(el):
                text = clean_text(block_text(el))
                if (
                    text
                    and len(text) <= 80
                    and not is_site_name(text)
                    and not dates.match_date_line(text)
                    and _is_name_like(strip_label(text))
                ):
                    names.append(text)
                    break
        if not names:
            for article in self._jsonld_articles():
                authors = article.get("author") or []
                for author in authors if isinstance(authors, list) else [authors]:
                    name = author.get("name") if isinstance(author, dict) else author
                    if isinstance(name, str) and name.strip() and not is_site_name(name):
                        names.append(name)
        return names

    # --- body -------------------------------------------------------------------------------

    @cached_property
    def main_block(self) -> etree._Element | None:
        """The element holding the article's paragraphs: where their text is densest."""
        layout = self.layout
        scores: dict[etree._Element, float] = {}
        holders = [
            (leaf, layout.text_len[leaf], layout.link_len[leaf]) for leaf in layout.leaf_blocks
        ]
        holders += [(el, size, links) for el, (size, links) in layout.mixed_blocks.items()]
        for holder, size, links in holders:
            if size < 25 or tag_of(holder) in ("h1", "a") or layout.zone_of(holder):
                continue
            if links > 0.5 * size:
                continue
            if size < 160 and self._is_metadata_line(block_text(holder)):
                continue  # the site-name line, a date line: never the article's text
            weight = size * (0.1 if layout.is_hinted_noise(holder) else 1.0)
            if _is_teaser(holder):
                weight *= 0.25
            weight *= 1.0 + min(holder.text_content().count(",") + 1, 10) / 10
            if holder in layout.mixed_blocks or sum(1 for _ in holder.iter("br")) >= 2:
                scores[holder] = scores.get(holder, 0.0) + weight  # it holds paragraphs itself
            parent = holder.getparent()
            if parent is not None:
                scores[parent] = scores.get(parent, 0.0) + weight
                grand = parent.getparent()
                if grand is not None:
                    scores[grand] = scores.get(grand, 0.0) + weight / 2
        if not scores:
            return None
        return max(scores, key=lambda el: scores[el])

    @staticmethod
    def _is_metadata_line(text: str) -> bool:
        text = clean_text(text)
        return is_site_name(text) or any(
            dates.match_date_line(part) is not None for part in text.split("|")[:1]
        )

    def looks_like_listing(self) -> bool:
        """True when the text around the main block is a list of teasers: title link first,
        then a summary, for four or more other articles (a section page)."""
        block = self.main_block
        if block is None:
            return False
        links = self.article_links
        region = block
        for _ in range(4):  # the nearest ancestor that lists four or more other articles
            targets = {
                a: target
                for a in region.iter("a")
                if (target := links.get(a)) is not None and not self._in_zone(a)
            }
            parent = region.getparent()
            if len(set(targets.values())) >= 4 or parent is None:
                break
            region = parent
        seen: set[str] = set()
        teaser_text = 0
        for a, target in targets.items():
            if target in seen:
                continue
            box_text = fold(block_text(_item_box(a, region, targets)))
            link_text = fold(block_text(a))
            if link_text and box_text.startswith(link_text) and len(box_text) > len(link_text) + 20:
                seen.add(target)
                teaser_text += len(box_text)
        return len(seen) >= 4 and teaser_text >= 0.5 * self.layout.text_len.get(region, 1)

    @cached_property
    def article_links(self) -> dict[etree._Element, str]:
        """Every link of the page to another article, with its canonical URL (read once)."""
        own = self.url()
        links = {}
        for a in self.root.iter("a"):
            href = a.get("href")
            if not href or not patterns.ARTICLE_HREF_HINT_RE.search(href):
                continue
            if not is_followable_href(href):
                continue
            target = canonical_url(self.urljoin(href.strip()))
            if target and target != own and is_article_url(target):
                links[a] = target
        return links

    def _skipped(self, el: etree._Element, container: etree._Element) -> bool:
        if el is self.title_element:
            return True
        if el is self.date_box and el is not container:
            return True
        if self.layout.zone.get(el):
            return True
        if el in self.layout.hinted and patterns.AUTHOR_HINT_RE.search(hint_of(el)) is None:
            return True
        hint = hint_of(el)
        if patterns.BREADCRUMB_HINT_RE.search(hint):
            return True
        return el is not container and tag_of(el) == "h1"

    @cached_property
    def body(self) -> _Body:
        """Paragraphs, images with captions and the closing author line, in reading order."""
        container = self.main_block
        if container is None:
            return _Body([], [], [], [])
        events = [e for lead in self._lead_figures(container) for e in self._events(lead, lead)]
        events += self._events(container)
        pieces: list[tuple[str, Any]] = []
        images: list[_Image] = []
        authors: list[str] = []
        last_image: _Image | None = None
        last_caption = ""
        caption_open = False
        date_raw = self._date_raw_folded()
        # with no title element, the title is printed as a line of the block: not body
        title_line = fold(self.title() or "\0") if self.title_element is None else "\0"
        for kind, value, block in events:
            if kind == "img":
                last_image = value
                images.append(value)
                pieces.append(("img", value))
                caption_open = True
                continue
            if kind == "author":
                if not dates.match_date_line(value):  # Plone's "documentByLine" is a date
                    authors.append(value)
                continue
            text = clean_text(value)
            if not text or patterns.JUNK_LINE_RE.match(text) or is_site_name(text):
                continue
            if fold(text) in (date_raw, title_line) or dates.match_date_line(text) is not None:
                continue
            if patterns.UPDATE_LABEL_RE.match(text) and dates.match_date_line(
                patterns.UPDATE_LABEL_RE.sub("", text, count=1)
            ):
                continue  # "Cập nhật: …": when the page was updated, not a paragraph
            if (len(text) <= 60 and patterns.FOOTER_LINE_RE.match(text)) or label_kind(text):
                continue
            if kind == "caption" or (
                caption_open
                and last_image is not None
                and self._caption_like(text, block, last_image)
            ):
                if last_image is not None and last_image.caption is None:
                    last_image.caption = last_caption = text
                    continue
                if kind == "caption" or text == last_caption:
                    continue  # a second caption, or the caption printed twice
            if text == last_caption:  # a caption printed twice
                continue
            caption_open = False
            whole = len(block_lines(block)) == 1
            pieces.append(("p", (text, block, whole)))
        paragraphs = [p[0] for kind, p in pieces if kind == "p"]
        if not authors:
            authors = self._author_after(container)
        if not authors and paragraphs:
            last_text, last_block, _ = next(p for kind, p in reversed(pieces) if kind == "p")
            if _looks_like_author(last_text, last_block):
                authors.append(last_text)
                pieces = [p for p in pieces if not (p[0] == "p" and p[1][0] == last_text)]
                paragraphs = paragraphs[:-1]
        summary = self.summary_element
        if summary is not None and not _is_inside(summary, container):
            text = clean_text(block_text(summary))
            if not paragraphs or paragraphs[0] != text:  # not when the body repeats it
                paragraphs.insert(0, text)
                pieces.insert(0, ("p", (text, summary, True)))
        return _Body(paragraphs, pieces, images, authors)

    def _author_after(self, container: etree._Element) -> list[str]:
        """An author line printed just after the body block ("Author: …" in its own box)."""
        node: etree._Element | None = container
        for _ in range(2):  # the block's next sibling, or its parent's
            if node is None:
                break
            sibling = next(node.itersiblings(), None)
            while sibling is not None and not clean_text(block_text(sibling)):
                sibling = next(sibling.itersiblings(), None)
            if sibling is not None and not self._in_zone(sibling):
                text = clean_text(block_text(sibling))
                if len(text) <= 100 and patterns.AUTHOR_PREFIX_RE.match(text):
                    return [text]  # only a labelled line: beside the body, chrome looks alike
                return []
            node = node.getparent()
        return []

    def _date_raw_folded(self) -> str:
        return fold(self.date_line[0].raw) if self.date_line else "\0"

    def _lead_figures(self, container: etree._Element) -> list[etree._Element]:
        """Image boxes just before the main block (a lead photo set above the text)."""
        figures: list[etree._Element] = []
        for sibling in container.itersiblings(preceding=True):
            if not isinstance(sibling.tag, str) or sibling is self.title_element:
                break
            has_image = next(sibling.iter("img", "amp-img"), None) is not None
            if not has_image or self.layout.text_len.get(sibling, 0) > 300:
                break
            if self.layout.link_len.get(sibling, 0):
                break  # a menu or an advert beside the text, not a photo above it
            if self._skipped(sibling, container) or self.layout.is_hinted_noise(sibling):
                continue
            figures.insert(0, sibling)
        return figures

    def _events(
        self, container: etree._Element, walk_root: etree._Element | None = None
    ) -> list[tuple[str, Any, etree._Element]]:
        """The container's content as a stream: text lines, images, captions, author lines."""
        events: list[tuple[str, Any, etree._Element]] = []
        line: list[str] = []

        def flush(block: etree._Element) -> None:
            text = "".join(line).strip()
            line.clear()
            if text:
                events.append(("text", text, block))

        def walk(node: etree._Element, block: etree._Element) -> None:
            if node.text:
                line.append(node.text)
            for child in node:
                tag = tag_of(child)
                if not tag:
                    pass
                elif self._skipped(child, container):
                    if tag in BLOCK_TAGS:
                        flush(block)
                elif tag == "br":
                    flush(block)
                elif tag in ("img", "amp-img"):
                    image = self._image(child)
                    if image is not None:
                        flush(block)
                        events.append(("img", image, block))
                elif tag not in BLOCK_TAGS and self._inline_figure(child, events):
                    pass  # a photo box floated inside the text: the paragraph goes on
                elif tag == "figcaption" or (
                    patterns.CAPTION_HINT_RE.search(hint_of(child))
                    and next(child.iter("img", "amp-img"), None) is None
                ):
                    flush(block)
                    events.append(("caption", block_text(child), child))
                elif patterns.AUTHOR_HINT_RE.search(hint_of(child)):
                    # no flush: an author box floated inside a paragraph leaves it whole
                    events.append(("author", block_text(child), child))
                elif tag in BLOCK_TAGS and self._is_link_row(child):
                    flush(block)  # a row of share/navigation links
                elif tag == "tr" and _is_data_row(child):
                    flush(block)  # a row of figures: one line, cells joined by a space
                    line.append(" ".join(block_text(cell) for cell in child))
                    flush(child)
                elif tag in BLOCK_TAGS:
                    flush(block)
                    walk(child, child)
                    flush(child)
                else:
                    walk(child, block)
                if child.tail:
                    line.append(child.tail)

        root = container if walk_root is None else walk_root
        if tag_of(root) in ("img", "amp-img"):
            image = self._image(root)
            return [("img", image, root)] if image is not None else []
        walk(root, root)
        flush(root)
        return events

    def _inline_figure(self, node: etree._Element, events: list[Any]) -> bool:
        """An inline box of an image and a short caption (``<span style=float…><img><br>
        <em>Name</em></span>``): recorded as image and caption; False if ``node`` is no such box."""
        images = [i for i in node.iter("img", "amp-img")]
        if len(images) != 1 or (tag_of(node) == "a" and not block_text(node)):
            return False
        caption = clean_text(block_text(node))
        if len(caption) > 200 or any(tag_of(d) in BLOCK_TAGS for d in node.iterdescendants()):
            return False
        image = self._image(images[0])
        if image is None:
            return False
        events.append(("img", image, node))
        if caption:
            events.append(("caption", caption, node))
        return True

    def _is_link_row(self, block: etree._Element) -> bool:
        """A row of share/navigation links, or a small widget of buttons (rating, print)."""
        size = self.layout.text_len.get(block, 0)
        anchors = list(block.iter("a"))
        if not size or len(anchors) < 2:
            return False
        if self.layout.link_len.get(block, 0) >= 0.8 * size:
            return True
        buttons = sum(1 for a in anchors if not is_followable_href(a.get("href")))
        return buttons >= 2 and size <= 100

    def _image(self, img: etree._Element) -> _Image | None:
        src = next((img.get(a) for a in _IMAGE_SRC_ATTRS if (img.get(a) or "").strip()), None)
        if not src or src.strip().startswith("data:") or _IMAGE_SKIP_RE.search(src):
            return None
        for size in (img.get("width"), img.get("height")):
            if size and size.isdigit() and int(size) < 50:
                return None
        url = self.urljoin(src.strip())
        return _Image(url, clean_text(img.get("alt")), img)

    def _caption_like(self, text: str, block: etree._Element, image: _Image) -> bool:
        """A short line right after an image that the markup sets apart as its caption."""
        if len(text) > 300:
            return False
        if image.alt and fold(text) == fold(image.alt):
            return True
        shared = _common_ancestor(block, image.element)
        if (
            shared is not None
            and len(text) <= 200
            and self.layout.text_len.get(shared, 0) - len(text) <= 20
        ):
            return True  # a box (figure, image table, div) of the image and this line alone
        if shared is block and block not in self.layout.mixed_blocks and len(text) <= 200:
            return True  # image and line alone in one paragraph
        return _is_italic(block) or _is_centered(block)

    def body_html(self) -> str:
        """The body as HTML fragments (sanitized by the loader), links and images absolute."""
        parts = []
        for kind, value in self.body.pieces:
            if kind == "img":
                caption = (
                    f"<figcaption>{html.escape(value.caption)}</figcaption>"
                    if value.caption
                    else ""
                )
                parts.append(
                    f'<figure><img src="{html.escape(vusta_https(value.url))}" '
                    f'alt="{html.escape(value.alt)}">'
                    f"{caption}</figure>"
                )
                continue
            text, block, whole = value
            tag = tag_of(block) if tag_of(block) in HEADING_TAGS else "p"
            inner = self._inner_html(block) if whole else None
            parts.append(f"<{tag}>{inner or html.escape(text)}</{tag}>")
        return "\n".join(parts)

    def _inner_html(self, block: etree._Element) -> str | None:
        """The block's inline markup with absolute links; None if it holds more than text."""
        if any(
            tag_of(el) in ("img", *BLOCK_TAGS) or el in self.layout.hinted
            for el in block.iterdescendants()
        ):
            return None
        clone = copy.deepcopy(block)
        for a in clone.iter("a"):
            if a.get("href"):
                a.set("href", vusta_https(self.urljoin(a.get("href").strip())))
        clone.tail = None
        inner = html.escape(clone.text or "")
        inner += "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in clone
        )
        return inner

    # --- link lists ---------------------------------------------------------------------------

    def links(self, kind: str) -> list[dict[str, Any]]:
        """The entries of the labelled ``kind`` blocks ("Xem thêm", "Tin mới"), in page order."""
        entries: list[dict[str, Any]] = []
        for block in self.layout.link_blocks:
            if block.kind == kind:
                entries.extend(self._entries(block.members))
        return entries

    def _entries(self, members: list[etree._Element]) -> list[dict[str, Any]]:
        """Title and summary of each article linked from a block's members, in order."""
        links = self.article_links
        anchors = [
            (a, target, member)
            for member in members
            for a in member.iter("a")
            if (target := links.get(a)) is not None
        ]
        targets = {a: target for a, target, _ in anchors}
        entries = []
        seen: set[str] = set()
        for index, (a, target, member) in enumerate(anchors):
            if target in seen:
                continue
            seen.add(target)
            box = _item_box(a, member, targets)
            titled = [
                x for x, t, _ in anchors if t == target and block_text(x) and _is_inside(x, box)
            ]
            in_heading = [x for x in titled if tag_of(x.getparent()) in HEADING_TAGS]
            title_el = (in_heading or titled or [None])[0]
            title = block_text(title_el) if title_el is not None else (a.get("title") or "")
            more = [
                x
                for x, t, _ in anchors
                if t == target
                and x is not title_el
                and patterns.MORE_LINK_RE.match(clean_text(block_text(x)))
            ]
            summary = _text_without(box, title_el, *more)
            if title_el is not None and len(block_lines(title_el)) > 1:
                # a whole card as one link: its heading (or first line) is the title
                heading = next(title_el.iter(*HEADING_TAGS), None)
                lines = block_lines(title_el)
                title = block_text(heading) if heading is not None else lines[0]
                rest = [ln for ln in lines if clean_text(ln) != clean_text(title)]
                summary = " ".join([*rest, summary])
            if not clean_text(summary) and box is a:
                # entries as runs of inline siblings: "<a>title</a><br>summary<br><a>…"
                later = next((x for x, t, _ in anchors[index + 1 :] if t != target), None)
                summary = _text_following(a, members, later)
            summary = patterns.RELATIVE_DATE_RE.sub("", clean_text(summary)).strip()
            if fold(summary) == fold(title) or not any(c.isalnum() for c in summary):
                summary = ""
            entries.append({"url": target, "title": title, "summary": summary})
        return entries

    # --- helpers ------------------------------------------------------------------------------

    def urljoin(self, href: str) -> str:
        """``response.urljoin`` (which honours ``<base href>``), memoized for the page."""
        joined = self._joined.get(href)
        if joined is None:
            joined = self._joined[href] = self.response.urljoin(href)
        return joined

    def _in_zone(self, el: etree._Element) -> bool:
        return self.layout.zone_of(el) is not None

    def _links_elsewhere(self, el: etree._Element) -> bool:
        """True inside a link to another article (a list entry's date is not this page's)."""
        return any(node in self.article_links for node in (el, *el.iterancestors("a")))

    def _jsonld_articles(self) -> list[dict[str, Any]]:
        return [
            item
            for item in self.jsonld
            if str(item.get("@type")) in ("NewsArticle", "Article", "BlogPosting", "ReportageNews")
        ]


# --- module helpers (pure) -----------------------------------------------------------------------


def _strip_site_name(title: str) -> str:
    """``Title - Liên hiệp các Hội … | VUSTA`` → ``Title``: only site-name parts go."""
    title = clean_text(title)
    while True:
        parts = _TITLE_SEPARATORS.split(title, maxsplit=1)
        if len(parts) == 2 and is_site_name(parts[0]):
            title = parts[1]
            continue
        found = list(_TITLE_SEPARATORS.finditer(title))
        if found and is_site_name(title[found[-1].end() :]):
            title = title[: found[-1].start()]
            continue
        return title.strip()


def _read_meta(root: etree._Element) -> dict[str, str]:
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop")
        content = el.get("content")
        if key and content and key.lower() not in meta:
            meta[key.lower()] = content
    return meta


def _read_jsonld(root: etree._Element) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for script in root.iter("script"):
        if "ld+json" not in (script.get("type") or ""):
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        stack = data if isinstance(data, list) else [data]
        while stack:
            item = stack.pop(0)
            if isinstance(item, dict):
                found.append(item)
                graph = item.get("@graph")
                if isinstance(graph, list):
                    stack.extend(graph)
    return found


def _is_data_row(row: etree._Element) -> bool:
    """A table row of two or more plain-text cells (data, not layout)."""
    cells = [cell for cell in row if tag_of(cell) in ("td", "th")]
    return len(cells) >= 2 and not any(
        tag_of(node) in BLOCK_TAGS or tag_of(node) in ("img", "amp-img")
        for cell in cells
        for node in cell.iterdescendants()
    )


def _is_teaser(leaf: etree._Element) -> bool:
    """A summary beside a title link (a list item of another article), not article text."""
    parent = leaf.getparent()
    if parent is None or next(leaf.iter("a"), None) is not None:
        return False
    for sibling in parent:
        tag = tag_of(sibling)
        if tag == "a" and block_text(sibling):
            return True
        if tag in HEADING_TAGS and next(sibling.iter("a"), None) is not None:
            return True
    return False


def _trail_items(trail: etree._Element) -> list[str]:
    """The names in a breadcrumb: its links and plain items (the current page's name)."""
    items = []
    for node in trail.iterdescendants():
        tag = tag_of(node)
        if tag == "a":
            items.append(block_text(node))
        elif tag in ("li", "span", "strong", "b", "em") and next(node.iter("a"), None) is None:
            nested = False
            for up in node.iterancestors():
                if up is trail:
                    break
                nested = nested or tag_of(up) in ("a", "li", "span")
            if not nested:
                items.append(block_text(node))
    return items


def _is_inside(el: etree._Element, container: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is container:
            return True
        node = node.getparent()
    return False


def _common_ancestor(a: etree._Element, b: etree._Element) -> etree._Element | None:
    ancestors = set()
    node: etree._Element | None = a
    while node is not None:
        ancestors.add(node)
        node = node.getparent()
    node = b
    while node is not None:
        if node in ancestors:
            return node
        node = node.getparent()
    return None


def _is_italic(block: etree._Element) -> bool:
    total = len(block_text(block))
    italic = sum(len(block_text(el)) for el in block.iter("em", "i") if el is not block)
    style = (block.get("style") or "").replace(" ", "").lower()
    return total > 0 and (italic >= 0.9 * total or "font-style:italic" in style)


def _is_centered(block: etree._Element) -> bool:
    node: etree._Element | None = block
    for _ in range(3):
        if node is None:
            return False
        style = (node.get("style") or "").replace(" ", "").lower()
        if (
            "text-align:center" in style
            or ((node.get("align") or "").lower() == "center" and tag_of(node) != "table")
            or tag_of(node) == "center"
        ):
            return True
        node = node.getparent()
    return False


def strip_label(text: str) -> str:
    """An author line without its label ("Tác giả: …")."""
    return patterns.AUTHOR_PREFIX_RE.sub("", text).strip()


def _is_name_like(text: str) -> bool:
    """Words mostly capitalized, as names are ("TS. Lê Công Lương"; not "Lịch sử")."""
    words = [w for w in text.replace("(", " ").split() if w[0].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def _looks_like_author(text: str, block: etree._Element) -> bool:
    """A closing line that names the author: short, name-like, set apart or labelled."""
    if patterns.AUTHOR_PREFIX_RE.match(text):
        return len(text) <= 100
    words = text.replace("(", " ").split()
    if not 2 <= len(words) <= 10 or len(text) > 70 or text.endswith((".", "!", "?", ":", ";")):
        return False
    if patterns.NOT_AUTHOR_RE.match(text):
        return False
    alpha = [w for w in words if w[0].isalpha()]
    capitalized = sum(1 for w in alpha if w[0].isupper())
    if not alpha or capitalized < 0.75 * len(alpha):
        return False
    style = (block.get("style") or "").replace(" ", "").lower()
    right = "text-align:right" in style or (block.get("align") or "").lower() == "right"
    bold = sum(len(block_text(b)) for b in block.iter("b", "strong")) >= 0.8 * len(text)
    return right or bold or _is_italic(block) or capitalized == len(alpha)


def _item_box(
    a: etree._Element, limit: etree._Element, targets: dict[etree._Element, str]
) -> etree._Element:
    """The largest element around link ``a`` (up to ``limit``) with no link to another article."""
    target = targets[a]
    box = a
    while box is not limit:
        parent = box.getparent()
        if parent is None or any(targets.get(x, target) != target for x in parent.iter("a")):
            break
        box = parent
    return box


def _text_without(box: etree._Element, *skip: etree._Element | None) -> str:
    """The text of a list entry without its title link (and "read more" links) and dates."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child not in skip and not _is_date_element(child):
                walk(child)
            if tag_of(child) in BLOCK_TAGS or tag_of(child) == "br":
                parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    if box not in skip:
        walk(box)
    return "".join(parts)


def _is_date_element(el: etree._Element) -> bool:
    """A ``<time>``, or a short element printing only a date or a rank (beside a list entry)."""
    if tag_of(el) == "time":
        return True
    text = block_text(el).strip("()[] ")
    if text.isdigit() and len(text) <= 3:
        return True
    return len(text) < 60 and bool(
        dates.match_date_line(text) or patterns.RELATIVE_DATE_RE.match(clean_text(text))
    )


def _text_following(
    a: etree._Element, members: list[etree._Element], stop: etree._Element | None
) -> str:
    """Text after link ``a`` across a block's members, up to the next entry's link ``stop``;
    other links ("Xem thêm »") and dates are left out."""
    parts: list[str] = []
    started = False
    skipping: etree._Element | None = None
    for member in members:
        for event, node in etree.iterwalk(member, events=("start", "end")):
            if node is stop and event == "start":
                return "".join(parts)
            if node is a and event == "end":
                started = True
                parts.append(node.tail or "")
                continue
            if not started:
                continue
            if skipping is not None:
                if node is skipping and event == "end":
                    skipping = None
                    parts.append(" " + (node.tail or ""))
                continue
            if event == "start" and (tag_of(node) == "a" or _is_date_element(node)):
                skipping = node
            elif event == "start":
                parts.append(" " + (node.text or ""))
            else:
                parts.append(" " + (node.tail or ""))
    return "".join(parts)
