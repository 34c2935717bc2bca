"""Page furniture never leaks: every fixture article, wrapped in a full site's chrome (a mega-menu
of 150+ links, two sidebars of teasers with summaries, a 10 KB inline script, a footer), gives
exactly the item of its bare fixture page. The corpus is the one ``make bench`` times."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from vusta_crawler.devtools.fullsize import MAX_BYTES, MIN_BYTES, FullSizePage, build_corpus
from vusta_crawler.devtools.replay import FIXTURES_DIR, file_response
from vusta_crawler.extract.article import extract_article
from vusta_crawler.extract.dates import parse_rfc3339
from vusta_crawler.items import ARTICLE_FIELDS

CORPUS = build_corpus(FIXTURES_DIR)


def item_of(page: FullSizePage) -> dict[str, object]:
    response = file_response(page.body, page.url, page.content_type)
    return asdict(extract_article(response, parse_rfc3339(page.fetched_at)).item)


def test_the_corpus_is_full_size() -> None:
    assert len(CORPUS) >= 40
    assert all(MIN_BYTES <= len(page.body) <= MAX_BYTES for page in CORPUS)


@pytest.mark.parametrize("page", CORPUS, ids=lambda page: page.name)
def test_chrome_changes_nothing(page: FullSizePage) -> None:
    item = item_of(page)
    wrong = [name for name in ARTICLE_FIELDS if item[name] != page.expected[name]]
    assert not wrong, f"{page.name}: {wrong} differ from the bare page's item"
