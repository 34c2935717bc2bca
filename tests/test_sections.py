"""One section vocabulary: ``crawl --section`` and ``export --section`` take the same paths and
printed names (``patterns.SECTION_NAMES``), with the same meaning, and refuse the same unknowns."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.test_exports import store_fixture_items
from tests.test_runs import crawl
from vusta_crawler import patterns
from vusta_crawler.cli import main
from vusta_crawler.crawl.options import (
    CrawlOptions,
    OptionError,
    export_sections,
    section_key,
    section_slug,
)
from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.replay import iter_cases
from vusta_crawler.devtools.sitegen import DEMO_DIR
from vusta_crawler.extract.urls import is_article_url
from vusta_crawler.store.archive import Archive

MANIFEST = json.loads((DEMO_DIR / "manifest.json").read_text(encoding="utf-8"))
FIXTURE_SECTIONS = {
    section for case in iter_cases() if (section := case.expected().get("section")) is not None
}


# --- the table --------------------------------------------------------------------------------


def test_every_listing_of_the_demo_mirror_is_declared() -> None:
    listings = {
        (parts.netloc, parts.path.strip("/").removesuffix(".html"))
        for parts in map(urlsplit, MANIFEST["pages"])
        if parts.path.endswith(".html") and not is_article_url(parts.geturl())
        and parts.path not in ("/gioi-thieu.html",)
    }  # fmt: skip
    assert listings == {
        ("vusta.vn", "tin-tuc"), ("vusta.vn", "tin-tuc/co-quan-tw"),
        ("vusta.vn", "tu-van-phan-bien"), ("vusta.vn", "en/news"), ("en.vusta.vn", "news"),
    }  # fmt: skip
    for host, path in listings:
        assert path in patterns.SECTION_NAMES[host], (host, path)
    for host, paths in patterns.DEFAULT_SECTIONS.items():
        assert set(paths) <= set(patterns.SECTION_NAMES[host]), "defaults have their names"


def test_each_declared_name_is_what_extraction_stores_and_slugs_to_its_path() -> None:
    stored = FIXTURE_SECTIONS | {
        item["section"] for item in MANIFEST["articles"].values() if isinstance(item, dict)
    }
    for host, paths in patterns.SECTION_NAMES.items():
        for path, names in paths.items():
            assert names[0] in stored, (host, path, names[0])
            assert section_slug(names[0]) == path.rsplit("/", 1)[-1], (path, names[0])
            assert len({section_key(n) for n in names}) == len(names), "no redundant spelling"


# --- crawl: a path or a printed name, the same listings --------------------------------------


@pytest.mark.parametrize(
    ("value", "site", "expected"),
    [
        ("tin-tuc", "all", [("vusta.vn", "tin-tuc")]),
        ("Tin tức", "all", [("vusta.vn", "tin-tuc")]),
        ("  TIN   TỨC ", "vi", [("vusta.vn", "tin-tuc")]),
        (unicodedata.normalize("NFD", "Tin tức"), "all", [("vusta.vn", "tin-tuc")]),
        ("Tin tức - Sự kiện", "all", [("vusta.vn", "tin-tuc")]),
        ("Tin-Tuc.html", "all", [("vusta.vn", "tin-tuc")]),
        ("tư vấn - phản biện", "all", [("vusta.vn", "tu-van-phan-bien")]),
        ("cơ quan tw", "all", [("vusta.vn", "tin-tuc/co-quan-tw")]),
        ("Provincial Unions", "en", [("en.vusta.vn", "activities/provincial-unions")]),
        # a path that is also a name ("News"): both, on the crawl's hosts
        ("news", "all", [("vusta.vn", "en/news"), ("en.vusta.vn", "news")]),
        ("News", "en", [("en.vusta.vn", "news")]),
        ("en.vusta.vn/news", "all", [("en.vusta.vn", "news")]),
        # not declared but well-formed: a section new on the site, asked of every host
        ("abc-def", "all", [("vusta.vn", "abc-def"), ("en.vusta.vn", "abc-def")]),
        ("tin-tuc/abc-def", "vi", [("vusta.vn", "tin-tuc/abc-def")]),
    ],
)
def test_crawl_takes_a_path_or_a_printed_name(
    value: str, site: str, expected: list[tuple[str, str]]
) -> None:
    options = CrawlOptions.parse(site, value)
    assert options.sections == tuple(expected)


def test_crawl_takes_several_comma_separated_or_repeated_once_each() -> None:
    many = CrawlOptions.parse("vi", "Tin tức,tin-tuc/co-quan-tw, tin-tuc").sections
    assert many == (("vusta.vn", "tin-tuc"), ("vusta.vn", "tin-tuc/co-quan-tw"))
    assert CrawlOptions.parse("vi", ["Tin tức", "Cơ quan TW"]).sections == many


@pytest.mark.parametrize(
    ("value", "site", "message"),
    [
        ("tin tuc", "all", "section 'tin tuc' is not a section path"),  # diacritics count
        ("Tin mới", "all", "nor a known section: tin-tuc (Tin tức), tin-tuc/co-quan-tw (Cơ"),
        ("../etc", "all", "en.vusta.vn/news (News)"),
        ("Tin tức", "en", "section 'Tin tức' is on vusta.vn, which this crawl does not visit"),
        ("tin-tuc", "en", "section 'tin-tuc' is on vusta.vn, which this crawl does not visit"),
        ("Activities", "vi", "is on en.vusta.vn, which this crawl does not visit"),
    ],
)
def test_crawl_refuses_what_is_neither_a_path_nor_a_known_name(
    value: str, site: str, message: str
) -> None:
    with pytest.raises(OptionError) as raised:
        CrawlOptions.parse(site, value)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    """The demo mirror crawled for one section, asked for by its printed name and its path."""
    work = tmp_path_factory.mktemp("sections")
    found: dict[str, dict] = {}
    for name, value in (("name", ["--section", "tin tức"]), ("path", ["--sections", "tin-tuc"])):
        db = work / f"{name}.sqlite3"
        with MirrorServer(MirrorSite(DEMO_DIR)) as server:
            result = crawl(server.url, db, "--no-warc", "--site", "vi", "--max-pages", "1", *value)
            requested = sorted(set(server.requests))
        assert result.returncode == 0, result.stderr
        with Archive(db) as archive:
            items = {row["url"]: row["section"] for row in archive.iter_rows()}
        found[name] = {"requested": requested, "items": items}
    yield found


def test_crawl_by_name_requests_the_same_listing_as_by_path(crawls: dict[str, dict]) -> None:
    by_name, by_path = crawls["name"], crawls["path"]
    assert by_name["requested"] == by_path["requested"]
    listings = [u for u in by_name["requested"] if u.endswith(".html") and not is_article_url(u)]
    assert listings and all(urlsplit(u).path == "/tin-tuc.html" for u in listings), listings
    assert by_name["items"] == by_path["items"]
    assert by_name["items"] and set(by_name["items"].values()) == {"Tin tức"}


# --- export: the same values, the same items --------------------------------------------------


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of every fixture article (sections of both hosts, some undeclared)."""
    path = tmp_path_factory.mktemp("export") / "archive.sqlite3"
    with Archive(path) as archive:
        store_fixture_items(archive)
    return path


def export(
    capsys: pytest.CaptureFixture[str], db: Path, *sections: str
) -> tuple[int, list[str], str]:
    capsys.readouterr()
    argv = ["export", "jsonl", "--db", str(db)]
    code = main([*argv, *(arg for value in sections for arg in ("--section", value))])
    out, err = capsys.readouterr()
    return code, [json.loads(line)["url"] for line in out.splitlines()], err


def test_export_by_path_or_by_name_gives_the_same_items(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Archive(archive_path) as archive:
        stored = [row["url"] for row in archive.iter_rows(section="Tin tức")]
    assert len(stored) >= 2
    for value in ("Tin tức", "tin-tuc", "TIN TỨC", "tin-tuc.html", "vusta.vn/tin-tuc"):
        code, urls, err = export(capsys, archive_path, value)
        assert code == 0, err
        assert urls == stored, value
    code, sub, _ = export(capsys, archive_path, "tin-tuc/co-quan-tw")
    assert code == 0 and sub and not set(sub) & set(stored), "a section is itself only"
    assert export(capsys, archive_path, "Cơ quan TW")[1] == sub


def test_export_takes_several_sections_and_stored_names_not_declared(
    archive_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    one, two = (
        export(capsys, archive_path, "Tin tức")[1],
        export(capsys, archive_path, "Cơ quan TW")[1],
    )
    code, both, _ = export(capsys, archive_path, "tin-tuc,Cơ quan TW")
    assert code == 0 and sorted(both) == sorted(one + two)
    assert sorted(export(capsys, archive_path, "tin-tuc", "cơ quan tw")[1]) == sorted(both)
    # legacy English: no listing of the declared shape, but archived under this name
    code, partners, _ = export(capsys, archive_path, "Our Partners")
    assert code == 0 and len(partners) >= 2
    assert export(capsys, archive_path, "our-partners")[1] == partners, "its slug, as a path"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tin tuc", "section 'tin tuc' is not a section path"),
        ("Tin mới", "nor a known section: tin-tuc (Tin tức), "),
        ("abc-def", "no archived section's name makes the path 'abc-def'"),
    ],
)
def test_export_refuses_what_crawl_refuses_and_paths_that_select_nothing(
    archive_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    code, urls, err = export(capsys, archive_path, value)
    assert code == 2 and urls == []
    assert message in err and err.count("\n") == 1, err


def test_export_sections_resolve_names_against_the_archive() -> None:
    stored = ["Tin tức", "TIN  TỨC", "Cơ quan TW", "Abc Def", "News", None]
    assert export_sections("tin-tuc", stored) == export_sections("Tin tức", stored)
    assert set(export_sections("tin-tuc", stored)) >= {"Tin tức", "TIN  TỨC"}
    assert "Cơ quan TW" not in export_sections("tin-tuc", stored)
    assert export_sections("abc-def", stored) == ("Abc Def",), "a new section, by its slug"
    assert export_sections("news", stored) == export_sections("News", stored) == ("News",)
    with pytest.raises(OptionError, match="nor a section this archive holds"):
        export_sections("Không có", stored)
