"""Saved pages as Scrapy responses: the fixtures that tests replay and ``parse`` reads.

A fixture case is a folder ``fixtures/<kind>/<case>/`` with ``page.html`` (the bytes as served),
``meta.json`` (url, fetched_at, content_type, kind, description, source) and ``expected.json``
(the item the spider yields, keys sorted, or ``{"error": ..., "reason": ...}``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse

FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures"
"""The repository's fixture folder (used from a source checkout)."""

CASE_KINDS = ("article", "listing", "broken")


def file_response(
    body: bytes, url: str, content_type: str | None = None, meta: dict[str, Any] | None = None
) -> HtmlResponse:
    """A saved page as an ``HtmlResponse`` with its ``Request`` attached.

    With the request attached, ``response.follow`` and ``urljoin`` work as in a crawl.
    """
    headers = {"Content-Type": content_type} if content_type else {}
    request = Request(url=url, meta=meta or {})
    return HtmlResponse(url=url, body=body, headers=headers, request=request)


@dataclass(frozen=True)
class Case:
    """One saved page and what it must yield."""

    path: Path

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.path / "meta.json").read_text(encoding="utf-8"))

    @property
    def expected_path(self) -> Path:
        return self.path / "expected.json"

    def expected(self) -> dict[str, Any]:
        return json.loads(self.expected_path.read_text(encoding="utf-8"))

    def response(self) -> HtmlResponse:
        """The page as the spider would receive it, fetch time in ``request.meta``."""
        meta = self.meta
        return file_response(
            (self.path / "page.html").read_bytes(),
            url=meta["url"],
            content_type=meta.get("content_type"),
            meta={"fetched_at": meta["fetched_at"]},
        )


def replay(case: Case) -> dict[str, Any]:
    """What the ``vusta`` spider makes of a case (its article extraction, as in a crawl).

    The item as a JSON-ready dict, or ``{"error": "not_article", "reason": <reason>}`` when the
    page holds no article.
    """
    return replay_response(case.response())


def replay_response(response: HtmlResponse) -> dict[str, Any]:
    """What the spider makes of one page: :func:`replay` of a response not saved as a case."""
    from itemadapter import ItemAdapter

    from vusta_crawler.crawl.spiders.vusta import VustaSpider
    from vusta_crawler.extract.article import NotAnArticle

    try:
        extraction = VustaSpider.read_article(response)
    except NotAnArticle as error:
        return {"error": "not_article", "reason": error.reason}
    return ItemAdapter(extraction.item).asdict()


def iter_cases(root: Path = FIXTURES_DIR) -> Iterator[Case]:
    """Every fixture case under ``root``, sorted by kind and name."""
    for kind in CASE_KINDS:
        for path in sorted((root / kind).glob("*/page.html")):
            yield Case(path.parent)


def dump_json(data: Any) -> str:
    """JSON as fixtures and exports write it: UTF-8 text, keys sorted, 2-space indent."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
