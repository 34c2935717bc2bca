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
        (a, target) for member in members for a in member.iter("a") if (target := links.get(a))
    ]
    member_of = {a: member for member in members for a in member.iter("a") if a in links}
    targets = dict(found)
    by_target: dict[str, list[etree._Element]] = {}
    for a, target in found:
        by_target.setdefault(target, []).append(a)
    following: dict[etree._Element, str] | None = None
    entries = []
    for target, anchors in by_target.items():
        a = anchors[0]
        box = item_box(a, member_of[a], targets)
        titled = [x for x in anchors if block_text(x) and is_inside(x, box)]
        in_heading = [x for x in titled if tag_of(x.getparent()) in HEADING_TAGS]
        title_el = (in_heading or titled or [None])[0]
        title = block_text(title_el) if title_el is not None else (a.get("title") or "")
        more = [
            x
            for x in anchors
            if x is not title_el and patterns.MORE_LINK_RE.match(clean_text(block_text(x)))
        ]
        summary = _text_without(page, box, title_el, *more)
        if title_el is not None and len(block_lines(title_el)) > 1:
            # a whole card as one link: its heading (or first line) is the title
            heading = next(title_el.iter(*HEADING_TAGS), None)
            lines = block_lines(title_el)
            title = block_text(heading) if heading is not None else lines[0]
            rest = [ln for ln in lines if clean_text(ln) != clean_text(title)]
            summary = " ".join([*rest, summary])
        if not clean_text(summary) and (box is a or fold(block_text(box)) == fold(block_text(a))):
            # entries as runs of inline siblings: "<a>title</a><br>summary<br><a>…"
            if following is None:
                following = _texts_following(page, members, targets)
            summary = following.get(a, "")
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


def _text_without(page: Anchors, box: etree._Element, *skip: etree._Element | None) -> str:
    """The text of a list entry without its title link (and "read more" links) and dates."""
    parts: list[str] = []

    def walk(node: etree._Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child not in skip and not _is_date_element(page, child):
                walk(child)
            if tag_of(child) in BLOCK_TAGS or tag_of(child) == "br":
                parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    if box not in skip:
        walk(box)
    return "".join(parts)


def _is_date_element(page: Anchors, el: etree._Element) -> bool:
    """A ``<time>``, or a short element printing only a date or a rank (beside a list entry)."""
    if tag_of(el) == "time":
        return True
    if page.layout.text_len.get(el, 0) > 70:
        return False  # too long for a date or a rank: not worth reading its text
    text = block_text(el).strip("()[] ")
    if text.isdigit() and len(text) <= 3:
        return True
    return len(text) < 60 and bool(
        dates.match_date_line(text) or patterns.RELATIVE_DATE_RE.match(clean_text(text))
    )


def _texts_following(
    page: Anchors, members: list[etree._Element], targets: dict[etree._Element, str]
) -> dict[etree._Element, str]:
    """For each entry's first link, the text after it across the block's members, up to the
    next link to another article; other links ("Xem thêm »") and dates are left out.

    One walk over the members for all entries (walking again for each would be quadratic)."""
    texts: dict[etree._Element, list[str]] = {}
    first_seen: set[str] = set()
    active: list[str] | None = None  # the parts of the entry being read
    active_target: str | None = None
    skipping: etree._Element | None = None
    for member in members:
        for event, node in etree.iterwalk(member, events=("start", "end")):
            target = targets.get(node)
            if event == "start":
                if target is not None and target != active_target:
                    active, active_target, skipping = None, None, None  # the next entry
                if active is None or skipping is not None:
                    continue
                if tag_of(node) == "a" or _is_date_element(page, node):
                    skipping = node
                else:
                    active.append(" " + (node.text or ""))
                continue
            if target is not None and target not in first_seen:
                first_seen.add(target)
                active = texts[node] = [node.tail or ""]
                active_target, skipping = target, None
            elif active is None:
                continue
            elif skipping is not None:
                if node is skipping:
                    skipping = None
                    active.append(" " + (node.tail or ""))
            else:
                active.append(" " + (node.tail or ""))
    return {a: "".join(parts) for a, parts in texts.items()}
