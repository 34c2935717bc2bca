"""What a page is anchored on, found once: the main text block, the title, the date line, the
lead and the links to other articles.

:func:`read_anchors` reads a :class:`~vusta_crawler.extract.document.Document` into a read-only
:class:`Anchors`. The field readers (:mod:`.body`, :mod:`.linklists`, :mod:`.fields`) take the
anchors and never look for these things again. Each anchor is found by what is stable across
markups: the densest block of paragraph text, the heading that ``og:title`` / ``<title>``
names, the date line nearest the title (anchored patterns), the block a class marks as lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from vusta_crawler import patterns
from vusta_crawler.extract import dates
from vusta_crawler.extract.document import Document
from vusta_crawler.extract.layout import (
    Layout,
    analyse,
    hint_matches,
    is_inside,
    is_teaser,
    label_kind,
)
from vusta_crawler.extract.text import (
    BLOCK_TAGS,
    block_lines,
    block_text,
    clean_text,
    fold,
    hint_of,
    is_site_name,
    tag_of,
)
from vusta_crawler.extract.urls import canonical_url, is_article_url, is_followable_href

_TITLE_SEPARATORS = re.compile(r"\s+[-|–—:»]+\s+")
_DESCRIPTION_XPATH = etree.XPath("//@itemprop[.='description']/..")


@dataclass(frozen=True)
class DateLine:
    """The printed date line nearest the title: its reading and the block that prints it."""

    result: dates.DateResult
    block: etree._Element


@dataclass(frozen=True)
class Anchors:
    """One page, read once: the document, its layout and what the item's fields hang on."""

    url: str
    fetched_at: datetime  # in Vietnam time, so that comparing it with page dates is cheap
    doc: Document
    layout: Layout
    article_links: dict[etree._Element, str]
    main_block: etree._Element | None
    title_element: etree._Element | None
    title: str | None
    date_line: DateLine | None
    lead: etree._Element | None
    date_box: etree._Element | None

    @property
    def root(self) -> etree._Element:
        return self.doc.root

    def in_zone(self, el: etree._Element) -> bool:
        """True inside a labelled block (related, latest, a sidebar)."""
        return self.layout.zone_of(el) is not None

    def date_raw_folded(self) -> str:
        """The printed date line as compared with body lines ("\\0" when there is none)."""
        return fold(self.date_line.result.raw) if self.date_line else "\0"


def read_anchors(doc: Document, url: str, fetched_at: datetime) -> Anchors:
    """Find the page's anchors, each once, in the order they depend on each other."""
    fetched_at = fetched_at.astimezone(dates.VN_TZ)
    links = read_article_links(doc, url)
    layout = analyse(doc.root, links)
    main = find_main_block(layout)
    title_element = find_title_element(doc, layout, main)
    title = read_title(doc, title_element)
    date_line = find_date_line(doc, layout, links, title_element, main, fetched_at)
    lead = find_lead(doc, layout, main)
    date_box = find_date_box(layout, date_line, lead)
    return Anchors(
        url, fetched_at, doc, layout, links, main, title_element, title, date_line, lead, date_box
    )


# --- links to other articles ---------------------------------------------------------------


def read_article_links(doc: Document, own_url: str) -> dict[etree._Element, str]:
    """Every link of the page to another article, with its canonical URL (read once)."""
    links = {}
    for a in doc.root.iter("a"):
        href = a.get("href")
        if not href or not patterns.ARTICLE_HREF_HINT_RE.search(href):
            continue
        if not is_followable_href(href):
            continue
        target = canonical_url(doc.urljoin(href))
        if target and target != own_url and is_article_url(target):
            links[a] = target
    return links


# --- the main text block ---------------------------------------------------------------------


def find_main_block(layout: Layout) -> etree._Element | None:
    """The element holding the article's paragraphs: where their text is densest."""
    scores: dict[etree._Element, float] = {}
    titled: dict[etree._Element, bool] = {}
    holders = [(leaf, layout.text_len[leaf], layout.link_len[leaf]) for leaf in layout.leaf_blocks]
    holders += [(el, size, links) for el, (size, links) in layout.mixed_blocks.items()]
    for holder, size, links in holders:
        if size < 25 or tag_of(holder) in ("h1", "a") or layout.zone_of(holder):
            continue
        if layout.in_teaser(holder):
            continue  # another article's summary, beside its title link
        if links > 0.5 * size:
            continue
        if size < 160 and _is_metadata_line(block_text(holder)):
            continue  # the site-name line, a date line: never the article's text
        weight = size * (0.1 if layout.is_hinted_noise(holder) else 1.0)
        if is_teaser(holder, titled):
            weight *= 0.25
        weight *= 1.0 + min("".join(holder.itertext()).count(",") + 1, 10) / 10
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


def _is_metadata_line(text: str) -> bool:
    text = clean_text(text)
    return is_site_name(text) or dates.match_date_line(text.split("|", 1)[0]) is not None


# --- title -------------------------------------------------------------------------------------


def meta_titles(doc: Document) -> list[str]:
    """The titles the page's metadata names: ``og:title``, JSON-LD headline, ``<title>``."""
    titles = [doc.meta.get("og:title", ""), doc.meta.get("twitter:title", "")]
    titles += [str(a.get("headline") or "") for a in doc.jsonld_articles()]
    titles.append(strip_site_name(doc.head_title))
    return [clean_text(t) for t in titles if clean_text(t) and not is_site_name(t)]


def find_title_element(
    doc: Document, layout: Layout, main: etree._Element | None
) -> etree._Element | None:
    """The heading (or block) that prints the title, when one does."""
    root = doc.root
    headings = [
        h
        for h in root.iter("h1")
        if block_text(h).strip() and not is_site_name(block_text(h)) and not layout.zone_of(h)
    ]
    named = {fold(t) for t in meta_titles(doc)}
    for heading in headings:
        if fold(block_text(heading)) in named:
            return heading
    for heading in root.iter("h2", "h3", "h4"):
        if fold(block_text(heading)) in named and not layout.zone_of(heading):
            return heading
    # the layout's text length of a block printing a title is within a few spaces of its own
    low = min((len(t) for t in named), default=0) // 2
    high = 2 * max((len(t) for t in named), default=0) + 20
    for block in layout.leaf_blocks:  # a title printed in a plain <div> or <td>
        if (
            low <= layout.text_len[block] < min(300, high)
            and fold(block_text(block)) in named
            and not layout.zone_of(block)
            and tag_of(block) != "li"
        ):
            return block
    if headings:
        start = layout.order.get(main, 0) if main is not None else 0
        before = [h for h in headings if layout.order[h] <= start]
        return before[-1] if before else headings[0]
    for heading in root.iter("h2", "h3"):
        text = block_text(heading)
        if (
            len(text) > 15
            and patterns.NOISE_HINT_RE.search(hint_of(heading)) is None
            and not layout.zone_of(heading)
            and not is_site_name(text)
            and label_kind(text) is None
            and "title" in hint_of(heading).lower()
        ):
            return heading
    return None


def read_title(doc: Document, title_element: etree._Element | None) -> str | None:
    """The title: the heading that prints it, else ``og:title``, JSON-LD headline, ``<title>``."""
    if title_element is not None:
        return clean_text(block_text(title_element))
    for title in meta_titles(doc):
        stripped = strip_site_name(title)
        if stripped and not is_site_name(stripped):
            return stripped
    return None


def strip_site_name(title: str) -> str:
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


# --- the date line -----------------------------------------------------------------------------


def find_date_line(
    doc: Document,
    layout: Layout,
    links: dict[etree._Element, str],
    title_element: etree._Element | None,
    main: etree._Element | None,
    fetched_at: datetime,
) -> DateLine | None:
    """The printed date line nearest the title (or the main block), and the block printing it."""
    anchor = title_element if title_element is not None else main
    anchor_order = layout.order.get(anchor, 0) if anchor is not None else 0
    found: list[tuple[int, DateLine]] = []
    for piece in layout.date_texts:
        text = piece.text
        element = piece.owner
        if element is None or layout.zone_of(element) or _in_link(element, links):
            continue
        if layout.in_teaser(element):
            continue  # the date of another article's teaser
        owner = element
        while tag_of(owner) not in BLOCK_TAGS and owner.getparent() is not None:
            owner = owner.getparent()
        result = dates.match_date_line(text, fetched_at)
        if result is None or result.problem == dates.NO_TIME:
            # the line may be split over inline elements ("08/12/2021 | <span>15:42")
            for line in block_lines(owner):
                if len(line) < 160:
                    whole = dates.match_date_line(line, fetched_at)
                    if whole is not None and (result is None or whole.problem != dates.NO_TIME):
                        result = whole
                        break
        if result is not None:
            distance = abs(layout.order.get(element, 0) - anchor_order)
            found.append((distance, DateLine(result, owner)))
    if not found:
        return None
    return min(found, key=lambda entry: entry[0])[1]


def _in_link(el: etree._Element, links: dict[etree._Element, str]) -> bool:
    """True inside a link to another article (a list entry's date is not this page's)."""
    return any(node in links for node in (el, *el.iterancestors("a")))


def find_date_box(
    layout: Layout, date_line: DateLine | None, lead: etree._Element | None
) -> etree._Element | None:
    """The box around the date line that holds only short metadata (view count, "Chi tiết",
    the site line): left out of the body as a whole."""
    if date_line is None:
        return None
    box = date_line.block
    limit = len(date_line.result.raw) + 100
    if layout.text_len.get(box, 0) > limit:
        return None
    while True:
        parent = box.getparent()
        if (
            parent is None
            or tag_of(parent) in ("body", "html")
            or layout.text_len.get(parent, 0) > limit
            or next(parent.iter("img", "amp-img"), None) is not None
            or (lead is not None and is_inside(lead, parent))
        ):
            return box
        box = parent


# --- the lead ---------------------------------------------------------------------------------


def find_lead(doc: Document, layout: Layout, main: etree._Element | None) -> etree._Element | None:
    """The element the page marks as the lead (sapo), if any."""
    end = layout.order.get(main, 0) + 10**6 if main is not None else 0
    marked = layout.marked(patterns.SUMMARY_HINT_RE, BLOCK_TAGS)
    marked += [el for el in _DESCRIPTION_XPATH(doc.root) if el.tag in BLOCK_TAGS]
    for el in sorted(set(marked), key=layout.order.__getitem__):
        hint = layout.hints.get(el, "")
        if (
            hint_matches(patterns.CAPTION_HINT_RE, hint)
            or layout.zone_of(el)
            or layout.in_teaser(el)
        ):
            continue
        if layout.is_hinted_noise(el) or layout.order[el] > end:
            continue
        if main is not None and is_inside(main, el):
            continue  # a wrapper of the whole body ("text-with-summary"), not a lead
        if len(clean_text(block_text(el))) >= 20 and len(list(el.iter("a"))) < 3:
            return el
    return None
