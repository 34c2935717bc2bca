"""Extraction must not hang on class names: replay every article with classes, ids, roles,
styles and alignment stripped, and compare with the expected item.

A case may declare in meta.json ``class_dependent: {fields, why}`` for fields that its markup
marks by class alone (a floated author box, a date known only as ``class="time"``).
"""

from __future__ import annotations

import functools
from dataclasses import asdict
from typing import Any

import lxml.html
import pytest
from lxml import etree

from vusta_crawler.devtools.replay import Case, file_response, iter_cases
from vusta_crawler.extract.article import extract_article
from vusta_crawler.extract.dates import parse_rfc3339

ARTICLES = [c for c in iter_cases() if c.meta["kind"] == "article"]
# ``summary`` is left out: a lead is "marked" by its class or a bold run, by definition.
FIELDS = ("title", "published", "body_text", "authors", "images", "related", "latest")
STRIPPED = ("class", "id", "role", "style", "align", "itemprop", "itemtype", "itemscope")


@functools.cache
def plain_output(case: Case) -> dict[str, Any]:
    response = case.response()
    parser = lxml.html.HTMLParser(encoding="utf-8")
    doc = lxml.html.document_fromstring(response.text.encode("utf-8"), parser=parser)
    for el in doc.iter():
        if isinstance(el.tag, str):
            for name in STRIPPED:
                el.attrib.pop(name, None)
    body = etree.tostring(doc, encoding="utf-8", method="html")
    plain = file_response(body, case.meta["url"], "text/html; charset=utf-8")
    return asdict(extract_article(plain, parse_rfc3339(case.meta["fetched_at"])).item)


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("case", ARTICLES, ids=lambda c: c.name)
def test_field_without_class_names(case: Case, field: str) -> None:
    dependent = case.meta.get("class_dependent", {}).get("fields", [])
    if field in dependent:
        pytest.xfail(case.meta["class_dependent"]["why"])
    assert plain_output(case)[field] == case.expected()[field], f"{case.name}: {field!r}"
