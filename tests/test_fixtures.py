"""Replay every saved page through the spider's article callback; compare with expected.json.

One test per (case, field) so a failure names the field; plus "no unexpected fields" and the
item schema. Regenerate expectations with ``vusta-crawler fixture update`` and review the diff.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from vusta_crawler.devtools.replay import Case, iter_cases, replay
from vusta_crawler.items import ARTICLE_FIELDS

CASES = list(iter_cases())
ARTICLE_CASES = [c for c in CASES if "error" not in c.expected()]
OTHER_CASES = [c for c in CASES if "error" in c.expected()]
SCHEMA = json.loads(
    resources.files("vusta_crawler").joinpath("schemas/article.schema.json").read_text("utf-8")
)


@functools.cache
def output(case: Case) -> dict[str, Any]:
    return json.loads(json.dumps(replay(case)))  # as JSON would carry it


def test_enough_cases() -> None:
    assert len(ARTICLE_CASES) >= 30, "issue 2 asks for at least 30 article cases"
    assert {c.meta["kind"] for c in OTHER_CASES} >= {"listing", "broken"}


@pytest.mark.parametrize("field", ARTICLE_FIELDS)
@pytest.mark.parametrize("case", ARTICLE_CASES, ids=lambda c: c.name)
def test_field(case: Case, field: str) -> None:
    expected = case.expected()
    assert field in expected, f"{case.name}: expected.json lacks {field!r}"
    assert output(case).get(field) == expected[field], f"{case.name}: field {field!r} differs"


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=lambda c: c.name)
def test_no_unexpected_fields(case: Case) -> None:
    assert set(output(case)) == set(ARTICLE_FIELDS), f"{case.name}: unexpected or missing fields"
    assert set(case.expected()) == set(ARTICLE_FIELDS), f"{case.name}: expected.json's fields"


@pytest.mark.parametrize("case", ARTICLE_CASES, ids=lambda c: c.name)
def test_schema(case: Case) -> None:
    jsonschema.validate(output(case), SCHEMA)


@pytest.mark.parametrize("case", OTHER_CASES, ids=lambda c: c.name)
def test_non_article_yields_no_item(case: Case) -> None:
    assert output(case) == case.expected(), f"{case.name}: must yield no item, with this reason"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_meta_is_complete(case: Case) -> None:
    meta = case.meta
    assert {"url", "fetched_at", "kind", "description", "source"} <= set(meta), case.name
    assert meta["kind"] == case.path.parent.name, f"{case.name}: kind disagrees with its folder"
