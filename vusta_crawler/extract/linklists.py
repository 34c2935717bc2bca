"""Link lists ("Xem thêm", "Tin mới"): each linked article's title and summary, in order.

The blocks themselves are found by :mod:`vusta_crawler.layout` from their headings; here each
block's members are read as entries: the link's box (the largest element around it holding no
link to another article), its title (a heading's link first), the rest of the box as summary,
or, for runs of inline siblings, the text up to the next entry. Dates, ranks and "read more"
links are left out of summaries.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from vusta_crawler import patterns
from vusta_crawler.extract import dates
from vusta_crawler.extract.anchors import Anchors
from vusta_crawler.extract.layout import is_inside
from vusta_crawler.extract.text import (
    BLOCK_TAGS,
    HEADING_TAGS,
    block_lines,
    block_text,
    clean_text,
    fold,
    tag_of,
)


def read_links(anchors: Anchors, kind: str) -> list[dict[str, Any]]:
    """The entries of the labelled ``kind`` blocks ("Xem thêm", "Tin mới"), in page order."""
    entries: list[dict[str, Any]] = []
    for block in anchors.layout.link_blocks:
        if block.kind == kind:
            entries.extend(link_entries(anchors, block.members))
    return entries


def link_entries(page: Anchors, members: list[etree._Element]) -> list[dict[str, Any]]:
    """Title and summary of each article linked from a block's members, in order."""
    links = page.article_links
    found = [
        (a, target, member)
        for member in members
        for a in member.iter("a")
        if (target := links.get(a)) is not None
    ]
    targets = {a: target for a, target, _ in found}
    entries = []
    seen: set[str] = set()
    for index, (a, target, member) in enumerate(found):
        if target in seen:
            continue
        seen.add(target)
        box = item_box(a, member, targets)
        titled = [x for x, t, _ in found if t == target and block_text(x) and is_inside(x, box)]
        in_heading = [x for x in titled if tag_of(x.getparent()) in HEADING_TAGS]
        title_el = (in_heading or titled or [None])[0]
        title = block_text(title_el) if title_el is not None else (a.get("title") or "")
        more = [
            x
            for x, t, _ in found
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
        if not clean_text(summary) and (box is a or fold(block_text(box)) == fold(block_text(a))):
            # entries as runs of inline siblings: "<a>title</a><br>summary<br><a>…"
            later = next((x for x, t, _ in found[index + 1 :] if t != target), None)
            summary = _text_following(a, members, later)
        summary = patterns.RELATIVE_DATE_RE.sub("", clean_text(summary)).strip()
        if fold(summary) == fold(title) or not any(c.isalnum() for c in summary):
            summary = ""
        entries.append({"url": target, "title": title, "summary": summary})
    return entries


def item_box(
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
