"""Reading a page's layout without knowing its markup: blocks, zones, labelled link lists.

Nobody here has seen vusta.vn's HTML, so nothing in this module relies on a class name alone.
It works on what a reader sees: block elements and their text, headings such as "Xem thêm" or
"Tin mới" (whatever element carries them) and the list that follows each, and where the article's
text is densest. Class and id words (:data:`patterns.NOISE_HINT_RE`) only lower a block's weight.

The page is walked twice per page (pre-order and post-order); everything else looks things up.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lxml import etree

from vusta_crawler import patterns
from vusta_crawler.extract.text import BLOCK_TAGS, HEADING_TAGS, block_text, fold, tag_of

RELATED, LATEST, SIDEBAR = "related", "latest", "sidebar"

_BREAKS_XPATH = etree.XPath("br | */br")
_MULTI = ""  # target_of: the element holds links to several articles
_DATE_FRAGMENT_RE = re.compile(r"\d{1,2}/\d{1,2}/\d{4}|\d{4}-\d{2}-\d{2}")
_LABEL_MAX_TEXT = 80
"""More text than this (as the layout counts it) cannot be a label of 60 characters or less."""


@functools.lru_cache(maxsize=16384)
def hint_matches(pattern: re.Pattern[str], hint: str) -> bool:
    """``pattern`` found in a class/id string; memoized, as pages and sites repeat their classes."""
    return pattern.search(hint) is not None


_LABEL_KINDS = {
    **{label: SIDEBAR for label in patterns.SIDEBAR_LABELS},
    **{label: LATEST for label in patterns.LATEST_LABELS},
    **{label: RELATED for label in patterns.RELATED_LABELS},
}
_LABEL_STRIP = " :：»›>…-–—|•·*#[]()"


@functools.lru_cache(maxsize=8192)
def label_kind(text: str) -> str | None:
    """``related``, ``latest`` or ``sidebar`` when ``text`` is such a block's heading.

    Memoized: a site prints the same menu and box headings on every page."""
    if len(text) > 60:
        return None
    return _LABEL_KINDS.get(fold(text).strip(_LABEL_STRIP))


class _AnyTag:
    """Every tag: ``Layout.marked(pattern, ANY_TAG)``."""

    def __contains__(self, tag: object) -> bool:
        return True


ANY_TAG = _AnyTag()


@dataclass
class LinkBlock:
    """A labelled block of links ("Xem thêm", "Tin mới", "Tin đọc nhiều"): heading and list."""

    kind: str
    heading: etree._Element
    members: list[etree._Element]


@dataclass
class Layout:
    """What one pass over the page learned: order, text sizes, zones and the main text block."""

    root: etree._Element
    order: dict[etree._Element, int] = field(default_factory=dict)
    text_len: dict[etree._Element, int] = field(default_factory=dict)
    link_len: dict[etree._Element, int] = field(default_factory=dict)
    leaf_blocks: list[etree._Element] = field(default_factory=list)
    # blocks that hold block children *and* runs of inline text (old table layouts where the
    # article is text and <br>s straight in a <td>): element -> (inline text, inline link text)
    mixed_blocks: dict[etree._Element, tuple[int, int]] = field(default_factory=dict)
    link_blocks: list[LinkBlock] = field(default_factory=list)
    zone: dict[etree._Element, str] = field(default_factory=dict)
    hinted: set[etree._Element] = field(default_factory=set)
    hints: dict[etree._Element, str] = field(default_factory=dict)  # class and id words
    # the same, by hint: a page repeats its classes (every menu item, every teaser), so a
    # pattern is tried once per distinct hint, not once per element
    by_hint: dict[str, list[etree._Element]] = field(default_factory=dict)
    # the one article an element links to ("" when it links to several)
    target_of: dict[etree._Element, str] = field(default_factory=dict)
    label_texts: list[TextPiece] = field(default_factory=list)  # texts that read as labels
    date_texts: list[TextPiece] = field(default_factory=list)  # in page order
    # teasers of other articles (a title link first, then a short summary), outside labelled
    # blocks: never the article's text, whether they sit beside it, below it or in a grid
    teasers: set[etree._Element] = field(default_factory=set)

    def marked(
        self, pattern: re.Pattern[str], tags: frozenset[str] | _AnyTag
    ) -> list[etree._Element]:
        """The elements of ``tags`` whose class or id words match ``pattern``, in page order."""
        return [
            el
            for hint, elements in self.by_hint.items()
            if hint_matches(pattern, hint)
            for el in elements
            if el.tag in tags
        ]

    def in_teaser(self, el: etree._Element) -> bool:
        """True when ``el`` lies in a teaser of another article."""
        return _up_to(el, self.teasers) is not None

    def zone_of(self, el: etree._Element) -> str | None:
        """The kind of labelled block (related, latest, sidebar) ``el`` lies in, or None."""
        found = _up_to(el, self.zone)
        return self.zone[found] if found is not None else None

    def is_hinted_noise(self, el: etree._Element) -> bool:
        """True when ``el`` or an ancestor carries chrome-like class words (or is a nav…)."""
        return _up_to(el, self.hinted) is not None


def _up_to(
    el: etree._Element, marks: set[etree._Element] | dict[etree._Element, str]
) -> etree._Element | None:
    """``el`` or its nearest ancestor that is one of ``marks``; None if none is."""
    node: etree._Element | None = el
    while node is not None:
        if node in marks:
            return node
        node = node.getparent()
    return None


@dataclass(slots=True)
class TextPiece:
    """A run of text as lxml holds it: an element's ``text`` or, when ``is_tail``, the text that
    follows ``element`` inside its parent."""

    text: str
    element: etree._Element
    is_tail: bool

    @property
    def owner(self) -> etree._Element | None:
        """The element the text is printed in."""
        return self.element.getparent() if self.is_tail else self.element


def analyse(root: etree._Element, article_links: dict[etree._Element, str]) -> Layout:
    """Walk the page once (children before parents) and find its labelled link blocks and the
    teasers of other articles (``article_links``: each link to another article, its URL).

    The one walk measures every element's text and link text, finds the leaf blocks, reads each
    class/id once, and keeps the short texts (label candidates) and the date-like ones."""
    layout = Layout(root)
    elements = list(root.iter(etree.Element))
    layout.order = {el: index for index, el in enumerate(elements)}
    text_len = layout.text_len
    link_len = layout.link_len
    hints = layout.hints
    has_block: set[etree._Element] = set()
    leaves = layout.leaf_blocks
    mixed = layout.mixed_blocks
    # (the order of the element printing it, the text, the element holding it, is it a tail)
    labels: list[tuple[int, str, etree._Element, bool]] = []
    dated: list[tuple[int, str, etree._Element, bool]] = []
    target_of = layout.target_of
    for index in range(len(elements) - 1, -1, -1):
        el = elements[index]
        text = el.text
        own = inline = 0
        if text:
            own = inline = size = len(text.strip())
            if size < 45 and size and label_kind(text):
                labels.append((index, text, el, False))
            if size > 7 and _is_date_like(text):
                dated.append((index, text, el, False))
        links = inline_links = 0
        block = False
        target = article_links.get(el)
        for child in el:
            child_tag = child.tag
            if type(child_tag) is not str:
                continue  # a comment or processing instruction the parser kept
            tail = child.tail
            tail_len = 0
            if tail:
                tail_len = len(tail.strip())
                if tail_len < 45 and tail_len and label_kind(tail):
                    labels.append((index, tail, child, True))
                if tail_len > 7 and _is_date_like(tail):
                    dated.append((index, tail, child, True))
            child_len = text_len[child]
            child_links = link_len[child]
            own += child_len + tail_len
            links += child_links
            if child_tag in BLOCK_TAGS:
                block = True
                inline += tail_len
            else:
                inline += child_len + tail_len
                inline_links += child_links
                block = block or child in has_block
            child_target = target_of.get(child)
            if child_target is not None and child_target != target:
                target = child_target if target is None else _MULTI
        tag = el.tag
        text_len[el] = own
        link_len[el] = own if tag == "a" else links
        if target is not None:
            target_of[el] = target
        klass, ident = el.get("class"), el.get("id")
        if klass or ident:
            hints[el] = f"{klass or ''} {ident or ''}".strip()
        if block:
            has_block.add(el)
            # text and <br>s straight in the block, beside block children
            if inline >= 25 and tag in BLOCK_TAGS and len(_BREAKS_XPATH(el)) >= 2:
                mixed[el] = (inline, inline_links)
        elif own and tag in BLOCK_TAGS:
            leaves.append(el)
    # in page order of the element printing them (stable: an element's own in their order)
    labels.reverse()
    dated.reverse()
    layout.label_texts = [TextPiece(*entry[1:]) for entry in sorted(labels, key=_first)]
    layout.date_texts = [TextPiece(*entry[1:]) for entry in sorted(dated, key=_first)]
    leaves.reverse()
    # Chrome never holds the article: a wrapper around most of the page's text is no noise,
    # and neither is a <form> that holds paragraphs (ASP.NET wraps every page in a form; real
    # forms hold labels and fields).
    page_text = max(text_len.get(root, 0), 1)
    paragraphs = {leaf for leaf in leaves if text_len[leaf] - link_len[leaf] >= 150}

    def is_chrome(el: etree._Element) -> bool:
        if text_len[el] >= 0.6 * page_text:
            return False
        return el.tag != "form" or not any(p in paragraphs for p in el.iter(*BLOCK_TAGS))

    by_hint = layout.by_hint
    for el, hint in hints.items():
        by_hint.setdefault(hint, []).append(el)
    hinted = layout.hinted
    hinted.update(el for el in layout.marked(patterns.NOISE_HINT_RE, ANY_TAG) if is_chrome(el))
    hinted.update(el for el in root.iter(*patterns.NOISE_TAGS) if is_chrome(el))
    _find_link_blocks(layout)
    _find_teasers(layout, article_links)
    return layout


def _is_date_like(text: str) -> bool:
    """A text that may be a date line: a date fragment, and a line's length."""
    if "/" not in text and "-" not in text:
        return False
    return _DATE_FRAGMENT_RE.search(text) is not None and 7 < len(" ".join(text.split())) < 160


def _first(entry: tuple[int, str, etree._Element, bool]) -> int:
    return entry[0]


TEASER_MAX_SUMMARY = 600
"""A teaser's text beyond its title link is at most this long (one or two sentences): a longer
box that starts with a link is an article paragraph, not a teaser."""


def _find_teasers(layout: Layout, links: dict[etree._Element, str]) -> None:
    """Teaser boxes: the largest element around a link to another article that holds no link
    to a third one, and whose text is that link's title first, then a short summary."""
    target_of = layout.target_of
    text_len = layout.text_len
    for a, target in links.items():
        box = a
        parent = a.getparent()
        while parent is not None and target_of.get(parent) == target:
            box = parent
            parent = box.getparent()
        summary = text_len.get(box, 0) - text_len.get(a, 0)
        if box is a or not 20 < summary <= TEASER_MAX_SUMMARY or box in layout.teasers:
            continue
        title = fold("".join(a.itertext()))
        start = fold("".join(box.itertext())).find(title) if title else -1
        if 0 <= start <= 30 and not layout.zone_of(box):
            layout.teasers.add(box)
    # the heading of a run of teasers ("More in this section"), whatever it says
    for box in list(layout.teasers):
        container: etree._Element | None = box
        for _ in range(3):
            if container is None:
                break
            heading = container.getprevious()
            if heading is not None and 0 < text_len.get(heading, 0) <= 60:
                if heading not in target_of:  # no link to an article: a heading, not an entry
                    layout.teasers.add(heading)
                break
            container = container.getparent()


def _heading_box(
    piece: TextPiece, kind: str, text_len: dict[etree._Element, int]
) -> tuple[etree._Element | None, bool]:
    """The outermost element whose whole text is the label ``piece`` reads, and whether the
    label is a link (a heading linking to its section, or a "see more" button)."""
    el = piece.owner  # "<span></span>Xem thêm": the parent reads the tail
    if el is None:
        return None, False
    linked = tag_of(el) == "a" or any(tag_of(up) == "a" for up in el.iterancestors())
    if text_len.get(el, 0) > _LABEL_MAX_TEXT or label_kind(block_text(el)) != kind:
        return None, linked
    parent = el.getparent()
    while (
        parent is not None
        and tag_of(parent) != "body"
        and text_len.get(parent, 0) <= _LABEL_MAX_TEXT
        and label_kind(block_text(parent)) == kind
    ):
        el, parent = parent, parent.getparent()
    return el, linked


def _find_link_blocks(layout: Layout) -> None:
    boxes: list[tuple[etree._Element, str, bool]] = []
    soup: list[tuple[etree._Element, str]] = []  # labels printed as a bare line between <br>s
    for piece in layout.label_texts:
        kind = label_kind(piece.text)
        if not kind:
            continue
        box, linked = _heading_box(piece, kind, layout.text_len)
        if box is not None and all(box is not b for b, _, _ in boxes):
            boxes.append((box, kind, linked))
        elif box is None and _is_own_line(piece):
            soup.append((piece.element, kind))
    # A linked label is a heading only when article links follow it; otherwise it is a
    # "Xem thêm" button, and must not cut another block's list short.
    box_set = _BoxSet({b for b, _, linked in boxes if not linked})
    box_set.update(
        b for b, _, linked in boxes if linked and _has_content_links(_members_after(b, box_set))
    )
    for box, kind, _linked in boxes:
        if box not in box_set:
            continue
        heading = box
        members = _members_after(heading, box_set)
        # A heading wrapped with a "more »" link or an icon: the list follows the wrapper.
        for _ in range(3):
            if _has_content_links(members) or tag_of(heading) == "body":
                break
            parent = heading.getparent()
            if parent is None or layout.text_len.get(parent, 0) > 80:
                break
            heading = parent
            members = _members_after(heading, box_set)
        layout.link_blocks.append(LinkBlock(kind, heading, members))
        for el in (heading, *members):
            layout.zone.setdefault(el, kind)
    soup_marks = {mark for mark, _ in soup}
    for mark, kind in soup:
        # the label is the tail of ``mark``: the block is the siblings after it, up to the
        # next label (or a labelled heading); ``mark`` itself (a <br>, a paragraph) is not
        members = []
        for sibling in mark.itersiblings():
            if not isinstance(sibling.tag, str) or box_set.within(sibling):
                break
            members.append(sibling)
            if sibling in soup_marks:
                break
        layout.link_blocks.append(LinkBlock(kind, mark, members))
        for el in members:
            layout.zone.setdefault(el, kind)


def _is_own_line(piece: TextPiece) -> bool:
    """A tail text that stands on a line of its own (``<br>Xem thêm<br>``), not inside a
    sentence: the element before it and the one after it break the line."""
    if not piece.is_tail:
        return False
    before = piece.element
    after = before.getnext()
    breaks_before = tag_of(before) == "br" or tag_of(before) in BLOCK_TAGS
    breaks_after = after is None or tag_of(after) == "br" or tag_of(after) in BLOCK_TAGS
    return breaks_before and breaks_after


class _BoxSet(set[etree._Element]):
    """The labelled headings found, and which elements hold one (for "up to the next label")."""

    def within(self, el: etree._Element) -> bool:
        """True when ``el`` is or holds one of the headings."""
        return any(box is el or el in box.iterancestors() for box in self)


def _members_after(heading: etree._Element, boxes: _BoxSet) -> list[etree._Element]:
    """The siblings after ``heading`` up to the next labelled heading."""
    members = []
    for sibling in heading.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        if boxes.within(sibling):
            break
        members.append(sibling)
    return members


def _has_content_links(members: list[etree._Element]) -> bool:
    return any(
        len((a.get("href") or "").strip()) > 1 and block_text(a)
        for el in members
        for a in el.iter("a")
    )


# --- predicates on elements ------------------------------------------------------------


def is_data_row(row: etree._Element) -> bool:
    """A table row of two or more plain-text cells (data, not layout)."""
    cells = [cell for cell in row if tag_of(cell) in ("td", "th")]
    return len(cells) >= 2 and not any(
        tag_of(node) in BLOCK_TAGS or tag_of(node) in ("img", "amp-img")
        for cell in cells
        for node in cell.iterdescendants()
    )


def is_teaser(leaf: etree._Element, titled: dict[etree._Element, bool]) -> bool:
    """A summary beside a title link (a list item of another article), not article text.

    ``titled`` memoizes, per parent, whether a child is a title link (a linked text, or a
    heading holding a link): asked for every leaf, the parent's children are read once."""
    parent = leaf.getparent()
    if parent is None or next(leaf.iter("a"), None) is not None:
        return False
    found = titled.get(parent)
    if found is None:
        found = titled[parent] = any(
            (tag_of(sibling) == "a" and block_text(sibling))
            or (tag_of(sibling) in HEADING_TAGS and next(sibling.iter("a"), None) is not None)
            for sibling in parent
        )
    return found


def trail_items(trail: etree._Element) -> list[str]:
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


def is_inside(el: etree._Element, container: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if node is container:
            return True
        node = node.getparent()
    return False


def common_ancestor(a: etree._Element, b: etree._Element) -> etree._Element | None:
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


def is_italic(block: etree._Element) -> bool:
    total = len(block_text(block))
    italic = sum(len(block_text(el)) for el in block.iter("em", "i") if el is not block)
    style = (block.get("style") or "").replace(" ", "").lower()
    return total > 0 and (italic >= 0.9 * total or "font-style:italic" in style)


def is_centered(block: etree._Element) -> bool:
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


def is_bold(block: etree._Element) -> bool:
    """True when (nearly) all of the block's text is in ``<b>``/``<strong>``."""
    total = len(block_text(block))
    bold = sum(len(block_text(el)) for el in block.iter("b", "strong") if el is not block)
    return total > 0 and bold >= 0.9 * total
