"""Article extraction: one VUSTA page in, one loaded :class:`ArticleItem` out.

:class:`ArticlePage` parses the page once (HTML, ``<meta>``, JSON-LD) and has one method per
part of the item, each anchored on what is stable across markups: the ``h1`` / ``og:title`` /
``<title>`` for the title, the date-line patterns near the title and the structured dates, the
densest block of paragraphs for the body, the "Xem thêm" / "Tin mới" headings for the link lists.
The values go raw into :class:`~vusta_crawler.loaders.ArticleLoader`, whose processors normalize.
Navigation (what to crawl next) is the spider's business, not this module's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

import lxml.html
from lxml import etree
from scrapy.http import TextResponse

from vusta_crawler import patterns
from vusta_crawler.extract import dates
from vusta_crawler.extract.body import Body, BodyReader, is_name_like
from vusta_crawler.extract.layout import (
    LATEST,
    RELATED,
    Layout,
    analyse,
    is_bold,
    is_inside,
    is_teaser,
    label_kind,
    trail_items,
)
from vusta_crawler.extract.linklists import item_box, link_entries
from vusta_crawler.extract.loader import ArticleLoader
from vusta_crawler.extract.normalize import strip_author_label
from vusta_crawler.extract.text import (
    BLOCK_TAGS,
    HEADING_TAGS,
    block_lines,
    block_text,
    clean_text,
    fold,
    hint_of,
    is_site_name,
    tag_of,
)
from vusta_crawler.extract.urls import (
    canonical_url,
    is_article_url,
    is_followable_href,
    url_language,
)
from vusta_crawler.items import ArticleItem

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:»]+\s+")

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


def parse_html(response: TextResponse) -> etree._Element:
    """The page's root element, from the response's decoded text (header, BOM, meta charset)."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    data = response.text.encode("utf-8", "surrogatepass")
    root = lxml.html.document_fromstring(data or b"<html></html>", parser=parser)
    return root


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

        loader = ArticleLoader()
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
            if block_text(h).strip() and not is_site_name(block_text(h)) and not self.in_zone(h)
        ]
        named = {fold(t) for t in self._meta_titles()}
        for heading in headings:
            if fold(block_text(heading)) in named:
                return heading
        for heading in self.root.iter("h2", "h3", "h4"):
            if fold(block_text(heading)) in named and not self.in_zone(heading):
                return heading
        for block in self.layout.leaf_blocks:  # a title printed in a plain <div> or <td>
            if (
                self.layout.text_len[block] < 300
                and fold(block_text(block)) in named
                and not self.in_zone(block)
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
                and not self.in_zone(heading)
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
            if element is None or self.in_zone(element) or self._links_elsewhere(element):
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
                or (self.summary_element is not None and is_inside(self.summary_element, parent))
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
                if t.get("datetime") and not self.in_zone(t)
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
            if not text or len(text) > 80 or self.in_zone(el) or not re.search(r"\d", text):
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
            trails.append(trail_items(el))
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
            if patterns.CAPTION_HINT_RE.search(hint) or self.in_zone(el):
                continue
            if self.layout.is_hinted_noise(el) or self.layout.order[el] > end:
                continue
            if self.main_block is not None and is_inside(self.main_block, el):
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
        return is_bold(block)

    def structured_authors(self) -> list[str]:
        """Authors from a marked author element or JSON-LD, when no closing line names one."""
        names: list[str] = []
        for el in self.root.iter("div", "p", "span", "address"):
            if (
                patterns.AUTHOR_HINT_RE.search(hint_of(el))
                or el.get("rel") == "author"
                or el.get("itemprop") == "author"
            ) and not self.in_zone(el):
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
            for article in self._jsonld_articles():
                authors = article.get("author") or []
                for author in authors if isinstance(authors, list) else [authors]:
                    name = author.get("name") if isinstance(author, dict) else author
                    if isinstance(name, str) and name.strip() and not is_site_name(name):
                        names.append(name)
        return names

    # --- the main text block, and whether the page is a listing ------------------------------

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
            if is_teaser(holder):
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
        return is_site_name(text) or dates.match_date_line(text.split("|", 1)[0]) is not None

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
                if (target := links.get(a)) is not None and not self.in_zone(a)
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
            box_text = fold(block_text(item_box(a, region, targets)))
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

    def date_raw_folded(self) -> str:
        return fold(self.date_line[0].raw) if self.date_line else "\0"

    # --- link lists ---------------------------------------------------------------------------

    def links(self, kind: str) -> list[dict[str, Any]]:
        """The entries of the labelled ``kind`` blocks ("Xem thêm", "Tin mới"), in page order."""
        entries: list[dict[str, Any]] = []
        for block in self.layout.link_blocks:
            if block.kind == kind:
                entries.extend(link_entries(self, block.members))
        return entries

    # --- body -------------------------------------------------------------------------------

    @cached_property
    def body(self) -> Body:
        """Paragraphs, images with captions and the closing author line (see :mod:`body`)."""
        return BodyReader(self).read()

    def body_html(self) -> str:
        """The body as HTML fragments, links and images absolute (sanitized by the loader)."""
        return BodyReader(self).html(self.body)

    # --- helpers ------------------------------------------------------------------------------

    def urljoin(self, href: str) -> str:
        """``response.urljoin`` (which honours ``<base href>``), memoized for the page."""
        joined = self._joined.get(href)
        if joined is None:
            joined = self._joined[href] = self.response.urljoin(href)
        return joined

    def in_zone(self, el: etree._Element) -> bool:
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
