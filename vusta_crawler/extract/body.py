"""The article body: paragraphs in reading order, images with captions, the author line.

:class:`BodyReader` walks the page's main text block (an anchor of the page) as a stream
of lines, split at ``<br>`` and block boundaries, images and captions, and sorts them: captions
go to their image, junk lines (``tm-img-alt``, leaked file names), date, update and site-name
lines, footers and labels are dropped, and a closing author line goes to the authors.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass

from lxml import etree

from vusta_crawler import patterns
from vusta_crawler.extract import dates
from vusta_crawler.extract.anchors import Anchors
from vusta_crawler.extract.layout import (
    common_ancestor,
    is_bold,
    is_centered,
    is_data_row,
    is_inside,
    is_italic,
    label_kind,
)
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
from vusta_crawler.extract.urls import is_followable_href, safe_url, vusta_https

_IMAGE_SRC_ATTRS = ("data-src", "data-original", "data-lazy-src", "src")
_IMAGE_SKIP_RE = re.compile(
    r"logo|icon|spacer|blank\.gif|pixel|avatar|banner|/ads?/|print|email|mail\.|/back|share|"
    r"facebook|twitter|zalo|rss|button|btn",
    re.I,
)


@dataclass
class Image:
    """An image of the body, its alt text and (once found) its caption."""

    url: str
    alt: str
    element: etree._Element
    caption: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of the body: its text, the block printing it, and whether it is the block's
    only line (then its inline markup can go to ``body_html``)."""

    text: str
    block: etree._Element
    whole: bool


@dataclass(frozen=True)
class Event:
    """One step of the body walk: a line of text, an image, a caption or an author box."""

    kind: str  # one of TEXT, IMAGE, CAPTION, AUTHOR
    block: etree._Element
    text: str = ""
    image: Image | None = None


TEXT, IMAGE, CAPTION, AUTHOR = "text", "img", "caption", "author"


@dataclass
class Body:
    """What the body walk found, in reading order."""

    paragraphs: list[str]
    pieces: list[Paragraph | Image]
    images: list[Image]
    authors: list[str]

    def paragraph_pieces(self) -> list[Paragraph]:
        return [p for p in self.pieces if isinstance(p, Paragraph)]


def read_body(anchors: Anchors) -> Body:
    """Paragraphs, images with captions and the closing author line of the page's main block."""
    return BodyReader(anchors).read()


def body_html(anchors: Anchors, body: Body) -> str:
    """The body as HTML fragments, links and images absolute (sanitized by the loader)."""
    return BodyReader(anchors).html(body)


class BodyReader:
    """Reads the body of one page from its :class:`Anchors`."""

    def __init__(self, anchors: Anchors) -> None:
        self.anchors = anchors
        self.layout = anchors.layout
        self.urljoin = anchors.doc.urljoin

    def skipped(self, el: etree._Element, container: etree._Element) -> bool:
        if el is self.anchors.title_element:
            return True
        if el is self.anchors.date_box and el is not container:
            return True
        if self.layout.zone.get(el) or el in self.layout.teasers:
            return True
        if el in self.layout.hinted and patterns.AUTHOR_HINT_RE.search(hint_of(el)) is None:
            return True
        hint = hint_of(el)
        if patterns.BREADCRUMB_HINT_RE.search(hint):
            return True
        return el is not container and tag_of(el) == "h1"

    def read(self) -> Body:
        """Paragraphs, images with captions and the closing author line, in reading order."""
        container = self.anchors.main_block
        if container is None:
            return Body([], [], [], [])
        events = [e for lead in self._lead_figures(container) for e in self._events(lead, lead)]
        events += self._events(container)
        pieces: list[Paragraph | Image] = []
        images: list[Image] = []
        authors: list[str] = []
        last_image: Image | None = None
        last_caption = ""
        caption_open = False
        date_raw = self.anchors.date_raw_folded()
        # with no title element, the title is printed as a line of the block: not body
        title_line = (
            fold(self.anchors.title or "\0") if self.anchors.title_element is None else "\0"
        )
        for event in events:
            kind, block = event.kind, event.block
            if event.image is not None:
                last_image = event.image
                images.append(last_image)
                pieces.append(last_image)
                caption_open = True
                continue
            if kind == AUTHOR:
                if not dates.match_date_line(event.text):  # Plone's "documentByLine" is a date
                    authors.append(event.text)
                continue
            text = clean_text(event.text)
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
            if len(text) <= 160 and patterns.COLOPHON_RE.search(text):
                continue  # copyright, address, contact lines of a footer inside the block
            if kind == CAPTION or (
                caption_open
                and last_image is not None
                and self._caption_like(text, block, last_image)
            ):
                if last_image is not None and last_image.caption is None:
                    last_image.caption = last_caption = text
                    continue
                if kind == CAPTION or text == last_caption:
                    continue  # a second caption, or the caption printed twice
            if text == last_caption:  # a caption printed twice
                continue
            caption_open = False
            whole = len(block_lines(block)) == 1
            pieces.append(Paragraph(text, block, whole))
        paragraphs = [p.text for p in pieces if isinstance(p, Paragraph)]
        if not authors:
            authors = self._author_after(container)
        if not authors and paragraphs:
            last = next(p for p in reversed(pieces) if isinstance(p, Paragraph))
            if looks_like_author(last.text, last.block):
                authors.append(last.text)
                pieces = [
                    p for p in pieces if not (isinstance(p, Paragraph) and p.text == last.text)
                ]
                paragraphs = paragraphs[:-1]
        summary = self.anchors.lead
        if summary is not None and not is_inside(summary, container):
            text = clean_text(block_text(summary))
            if not paragraphs or paragraphs[0] != text:  # not when the body repeats it
                paragraphs.insert(0, text)
                pieces.insert(0, Paragraph(text, summary, True))
        return Body(paragraphs, pieces, images, authors)

    def _author_after(self, container: etree._Element) -> list[str]:
        """An author line printed just after the body block ("Author: …" in its own box)."""
        node: etree._Element | None = container
        for _ in range(2):  # the block's next sibling, or its parent's
            if node is None:
                break
            sibling = next(node.itersiblings(), None)
            while sibling is not None and not clean_text(block_text(sibling)):
                sibling = next(sibling.itersiblings(), None)
            if sibling is not None and not self.anchors.in_zone(sibling):
                text = clean_text(block_text(sibling))
                if len(text) <= 100 and patterns.AUTHOR_PREFIX_RE.match(text):
                    return [text]  # only a labelled line: beside the body, chrome looks alike
                return []
            node = node.getparent()
        return []

    def _lead_figures(self, container: etree._Element) -> list[etree._Element]:
        """Image boxes just before the main block (a lead photo set above the text)."""
        figures: list[etree._Element] = []
        for sibling in container.itersiblings(preceding=True):
            if not isinstance(sibling.tag, str) or sibling is self.anchors.title_element:
                break
            has_image = next(sibling.iter("img", "amp-img"), None) is not None
            if not has_image or self.layout.text_len.get(sibling, 0) > 300:
                break
            if self.layout.link_len.get(sibling, 0):
                break  # a menu or an advert beside the text, not a photo above it
            if self.skipped(sibling, container) or self.layout.is_hinted_noise(sibling):
                continue
            figures.insert(0, sibling)
        return figures

    def _events(
        self, container: etree._Element, walk_root: etree._Element | None = None
    ) -> list[Event]:
        """The container's content as a stream: text lines, images, captions, author lines."""
        events: list[Event] = []
        line: list[str] = []

        def flush(block: etree._Element) -> None:
            text = "".join(line).strip()
            line.clear()
            if text:
                events.append(Event(TEXT, block, text))

        def walk(node: etree._Element, block: etree._Element) -> None:
            if node.text:
                line.append(node.text)
            for child in node:
                tag = tag_of(child)
                if not tag:
                    pass
                elif self.layout.zone.get(child):
                    flush(block)
                    continue  # a link block's member: its tail text belongs to the block too
                elif self.skipped(child, container):
                    if tag in BLOCK_TAGS:
                        flush(block)
                elif tag == "br":
                    flush(block)
                elif tag in ("img", "amp-img"):
                    image = self._image(child)
                    if image is not None:
                        flush(block)
                        events.append(Event(IMAGE, block, image=image))
                elif tag not in BLOCK_TAGS and self._inline_figure(child, events):
                    pass  # a photo box floated inside the text: the paragraph goes on
                elif tag == "figcaption" or (
                    patterns.CAPTION_HINT_RE.search(hint_of(child))
                    and next(child.iter("img", "amp-img"), None) is None
                ):
                    flush(block)
                    events.append(Event(CAPTION, child, block_text(child)))
                elif patterns.AUTHOR_HINT_RE.search(hint_of(child)):
                    # no flush: an author box floated inside a paragraph leaves it whole
                    events.append(Event(AUTHOR, child, block_text(child)))
                elif tag in BLOCK_TAGS and self._is_link_row(child):
                    flush(block)  # a row of share/navigation links
                elif tag == "tr" and is_data_row(child):
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
            return [Event(IMAGE, root, image=image)] if image is not None else []
        walk(root, root)
        flush(root)
        return events

    def _inline_figure(self, node: etree._Element, events: list[Event]) -> bool:
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
        events.append(Event(IMAGE, node, image=image))
        if caption:
            events.append(Event(CAPTION, node, caption))
        return True

    def _is_link_row(self, block: etree._Element) -> bool:
        """A row of share/navigation links, or a small widget of buttons (rating, print)."""
        size = self.layout.text_len.get(block, 0)
        anchors = list(block.iter("a"))
        controls = list(block.iter("button"))
        if not size or not (anchors or controls):
            return False
        buttons = len(controls) + sum(1 for a in anchors if not is_followable_href(a.get("href")))
        clickable = self.layout.link_len.get(block, 0) + sum(
            self.layout.text_len.get(c, 0) for c in controls
        )
        if clickable >= 0.8 * size:  # links only, or a "#" / <button> control
            return len(anchors) + len(controls) >= 2 or buttons >= 1
        return buttons >= 2 and size <= 100

    def _image(self, img: etree._Element) -> Image | None:
        src = next((img.get(a) for a in _IMAGE_SRC_ATTRS if (img.get(a) or "").strip()), None)
        if not src or src.strip().startswith("data:") or _IMAGE_SKIP_RE.search(src):
            return None
        for size in (img.get("width"), img.get("height")):
            if size and size.isdigit() and int(size) < 50:
                return None
        url = self.urljoin(src.strip())
        return Image(url, clean_text(img.get("alt")), img)

    def _caption_like(self, text: str, block: etree._Element, image: Image) -> bool:
        """A short line right after an image that the markup sets apart as its caption."""
        if len(text) > 300:
            return False
        if image.alt and fold(text) == fold(image.alt):
            return True
        shared = common_ancestor(block, image.element)
        if (
            shared is not None
            and (len(text) <= 200 or tag_of(shared) in ("table", "tbody"))
            and self.layout.text_len.get(shared, 0) - len(text) <= 20
        ):
            return True  # a box (figure, image table, div) of the image and this line alone
        if shared is block and block not in self.layout.mixed_blocks and len(text) <= 200:
            return True  # image and line alone in one paragraph
        if is_italic(block) or is_centered(block):
            return True
        # an unmarked line under a photo: short, one sentence at most, not a sub-heading
        if tag_of(block) in HEADING_TAGS or is_bold(block) or text.endswith((":", "?", "!")):
            return False
        if text.endswith((".", ";", "…", '"', "”")):
            return len(text) <= 120 and ". " not in text[:-1]
        return len(text) <= 160

    def html(self, body: Body) -> str:
        """The body as HTML fragments (sanitized by the loader), links and images absolute."""
        parts = []
        for piece in body.pieces:
            if isinstance(piece, Image):
                caption = (
                    f"<figcaption>{html.escape(piece.caption)}</figcaption>"
                    if piece.caption
                    else ""
                )
                parts.append(
                    f'<figure><img src="{html.escape(safe_url(vusta_https(piece.url)))}" '
                    f'alt="{html.escape(piece.alt)}">'
                    f"{caption}</figure>"
                )
                continue
            tag = tag_of(piece.block) if tag_of(piece.block) in HEADING_TAGS else "p"
            inner = self._inner_html(piece.block) if piece.whole else None
            parts.append(f"<{tag}>{inner or html.escape(piece.text)}</{tag}>")
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
                a.set("href", safe_url(vusta_https(self.urljoin(a.get("href").strip()))))
        clone.tail = None
        inner = html.escape(clone.text or "")
        inner += "".join(
            etree.tostring(child, encoding="unicode", method="html") for child in clone
        )
        return inner


def is_name_like(text: str) -> bool:
    """Words mostly capitalized, as names are ("TS. Lê Công Lương"; not "Lịch sử")."""
    words = [w for w in text.replace("(", " ").split() if w[0].isalpha()]
    return bool(words) and sum(w[0].isupper() for w in words) >= 0.75 * len(words)


def looks_like_author(text: str, block: etree._Element) -> bool:
    """A closing line that names the author: short, name-like, set apart or labelled."""
    if patterns.AUTHOR_PREFIX_RE.match(text):
        return len(text) <= 100
    words = text.replace("(", " ").split()
    if not 2 <= len(words) <= 10 or len(text) > 70 or text.endswith((".", "!", "?", ":", ";")):
        return False
    if patterns.NOT_AUTHOR_RE.match(text) or patterns.PLACE_LINE_RE.match(text):
        return False
    if any(c.isdigit() for c in text):
        return False  # a date, a date range, a number: names carry none (credits are labelled)
    alpha = [w for w in words if w[0].isalpha()]
    capitalized = sum(1 for w in alpha if w[0].isupper())
    if not alpha or capitalized < 0.75 * len(alpha):
        return False
    style = (block.get("style") or "").replace(" ", "").lower()
    right = "text-align:right" in style or (block.get("align") or "").lower() == "right"
    bold = sum(len(block_text(b)) for b in block.iter("b", "strong")) >= 0.8 * len(text)
    return right or bold or is_italic(block) or capitalized == len(alpha)
