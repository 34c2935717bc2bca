"""Exports: JSON Feed 1.1 (validated against a schema of the spec) and JSON Lines (against the
item schema), paging by next_url, filters, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from vusta_crawler.devtools.replay import iter_cases
from vusta_crawler.export.feeds import write_jsonfeed, write_jsonl
from vusta_crawler.extract.normalize import content_hash
from vusta_crawler.store.archive import Archive

JSONFEED_SCHEMA = json.loads(
    (Path(__file__).parent / "schemas" / "jsonfeed-1.1.schema.json").read_text(encoding="utf-8")
)
ITEM_SCHEMA = json.loads(
    resources.files("vusta_crawler").joinpath("schemas/article.schema.json").read_text("utf-8")
)


def store_fixture_items(archive: Archive) -> None:
    """Every fixture case's expected item, stored."""
    for case in iter_cases():
        expected = case.expected()
        if "error" not in expected:
            archive.store(expected)


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of every fixture article, one of them revised."""
    path = tmp_path_factory.mktemp("export") / "archive.sqlite3"
    with Archive(path) as archive:
        store_fixture_items(archive)
        revised = next(c.expected() for c in iter_cases() if c.path.name == "seed_form_a")
        revised["body_text"] += "\n\nĐoạn bổ sung."
        revised["content_hash"] = content_hash(revised["title"], revised["body_text"])
        revised["fetched_at"] = "2026-11-25T01:00:00Z"
        archive.store(revised)
    return path


def load_feed(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    assert "\\u" not in text, "UTF-8, not \\u-escaped"
    feed: dict[str, Any] = json.loads(text)
    jsonschema.validate(feed, JSONFEED_SCHEMA)
    return feed


def test_jsonfeed_is_valid_and_complete(archive_path: Path, tmp_path: Path) -> None:
    with Archive(archive_path) as archive:
        [path] = write_jsonfeed(archive, tmp_path / "feed.json")
    feed = load_feed(path)
    with Archive(archive_path) as archive:
        assert len(feed["items"]) == archive.count()
    dated = [i["date_published"] for i in feed["items"] if "date_published" in i]
    assert dated == sorted(dated, reverse=True), "newest first"
    assert "date_published" not in feed["items"][-1], "undated items come last"
    # fixtures sharing a URL with other text are revisions too; ours is stamped 2026-11-25
    revised = [i for i in feed["items"] if i.get("date_modified") == "2026-11-25T01:00:00Z"]
    assert len(revised) == 1, "the revised article has date_modified"
    seed = revised[0]
    assert seed["title"].startswith("Đảng đoàn Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam")
    assert seed["authors"] == [{"name": "TS. Lê Công Lương"}]
    assert isinstance(seed["_vusta"]["article_id"], int) and len(seed["_vusta"]["related"]) == 3
    assert seed["content_text"].endswith("Đoạn bổ sung.") and "<script" not in seed["content_html"]
    assert all(i["id"] == i["url"] for i in feed["items"]), "ids are the canonical URLs"


def test_jsonfeed_pages_chain_every_item_once(archive_path: Path, tmp_path: Path) -> None:
    with Archive(archive_path) as archive:
        files = write_jsonfeed(
            archive, tmp_path / "feed.json", feed_url="https://example.org/f/feed.json", page_size=7
        )
    assert len(files) > 3
    seen: list[str] = []
    path: Path | None = files[0]
    expected_url = "https://example.org/f/feed.json"
    while path is not None:
        feed = load_feed(path)
        assert feed["feed_url"] == expected_url
        assert len(feed["items"]) <= 7
        seen += [item["id"] for item in feed["items"]]
        next_url = feed.get("next_url")
        path = tmp_path / next_url.rsplit("/", 1)[1] if next_url else None
        expected_url = next_url or ""
    with Archive(archive_path) as archive:
        assert len(seen) == len(set(seen)) == archive.count()


def test_jsonl_lines_follow_the_item_schema(archive_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "items.jsonl"
    with out.open("w", encoding="utf-8") as handle, Archive(archive_path) as archive:
        count = write_jsonl(archive, handle)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == count > 20
    for line in lines:
        jsonschema.validate(json.loads(line), ITEM_SCHEMA)


def test_filters(archive_path: Path) -> None:
    with Archive(archive_path) as archive:
        en = list(archive.iter_rows(site="en.vusta.vn"))
        assert en and {row["site"] for row in en} == {"en.vusta.vn"}
        window = list(archive.iter_rows(since="2021-01-01", until="2021-12-31"))
        assert window and all(row["published"][:5] == "2021-" for row in window)
        assert len(list(archive.iter_rows(limit=3))) == 3
        tagged = list(archive.iter_rows(section="Cơ quan TW"))
        assert tagged and {row["section"] for row in tagged} == {"Cơ quan TW"}


def test_export_command(archive_path: Path, tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "vusta_crawler.cli", "export", *args]
        return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", timeout=60)

    result = run("jsonl", "--db", str(archive_path), "--site", "en.vusta.vn", "--limit", "2")
    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["site"] for x in result.stdout.splitlines()] == ["en.vusta.vn"] * 2
    feed = tmp_path / "out" / "feed.json"
    result = run("jsonfeed", "--db", str(archive_path), "-o", str(feed), "--page-size", "10")
    assert result.returncode == 2 and "--feed-url" in result.stderr, "next_url needs a URL"
    result = run("jsonfeed", "--db", str(archive_path), "-o", str(feed), "--page-size", "10",
                 "--feed-url", "https://example.org/vusta/feed.json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert load_feed(feed)["next_url"] == "https://example.org/vusta/feed-2.json"
    assert not list(feed.parent.glob(".*.tmp")), "no temporary file left behind"
    result = run("jsonfeed", "--db", str(archive_path), "-o", str(feed))
    assert result.returncode == 0 and "feed_url" not in load_feed(feed), "no file:// URL"
    result = run("jsonl", "--db", str(tmp_path / "none.sqlite3"))
    assert result.returncode == 2 and "no archive" in result.stderr
    result = run("jsonl", "--db", str(archive_path), "--since", "yesterday")
    assert result.returncode == 2 and "--since" in result.stderr


def test_atomic_files_get_the_usual_permissions(tmp_path: Path) -> None:
    import os
    import stat

    from vusta_crawler.export.files import atomic_writer

    mask = os.umask(0o022)
    try:
        with atomic_writer(tmp_path / "feed.json") as out:
            out.write("{}")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "feed.json").stat().st_mode) == 0o644, "a web server reads it"
