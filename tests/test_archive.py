"""The SQLite archive: dedup keys, revisions, aliases, migrations, batching."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from vusta_crawler.devtools.replay import FIXTURES_DIR, Case
from vusta_crawler.extract.normalize import content_hash
from vusta_crawler.store.archive import (
    ALIAS,
    NEW,
    UNCHANGED,
    UPDATED,
    Archive,
    ArchiveError,
    ArchiveWriteError,
    RunRecord,
    Validators,
)
from vusta_crawler.store.migrations import SCHEMA_VERSION


def seed_item() -> dict[str, Any]:
    item = Case(FIXTURES_DIR / "article" / "seed_form_a").expected()
    assert item["article_id"] == 65432
    return item


def changed(item: dict[str, Any], text: str) -> dict[str, Any]:
    new = dict(item, body_text=item["body_text"] + " " + text)
    new["content_hash"] = content_hash(new["title"], new["body_text"])
    return new


def test_same_content_again_changes_nothing(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite3") as archive:
        assert archive.store(seed_item()) == NEW
        before = archive.get(seed_item()["url"])
        assert archive.store(dict(seed_item(), fetched_at="2026-11-21T00:00:00Z")) == UNCHANGED
        assert archive.get(seed_item()["url"]) == before
        assert archive.count("revisions") == 0


def test_changed_content_updates_and_keeps_the_old_version(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite3") as archive:
        archive.store(seed_item())
        assert archive.store(changed(seed_item(), "Một.")) == UPDATED
        assert archive.store(changed(seed_item(), "Hai.")) == UPDATED
        assert archive.count() == 1 and archive.count("revisions") == 2
        versions = [row[0] for row in archive.db.execute("SELECT item FROM revisions ORDER BY id")]
        assert '"body_text"' in versions[0] and "Một." not in versions[0] and "Một." in versions[1]


def test_same_article_id_under_a_new_slug_is_an_alias(tmp_path: Path) -> None:
    item = seed_item()
    renamed = dict(item, url="https://vusta.vn/ten-moi-p65432.html")
    with Archive(tmp_path / "a.sqlite3") as archive:
        archive.store(item)
        assert archive.store(renamed) == ALIAS
        assert archive.aliases() == {renamed["url"]: item["url"]}
        assert archive.store(renamed) == UNCHANGED, "an alias URL is known as the article"


def test_same_text_under_a_legacy_url_keeps_the_article_url(tmp_path: Path) -> None:
    item = seed_item()
    legacy = dict(item, url="https://vusta.vn/chitiet/tin-tuc/dang-doan", article_id=None)
    for order in ([legacy, item], [item, legacy]):
        with Archive(tmp_path / f"{len(order)}{order[0]['url'][-3:]}.sqlite3") as archive:
            assert [archive.store(x) for x in order] == [NEW, ALIAS]
            assert archive.count() == 1
            assert archive.aliases() == {legacy["url"]: item["url"]}, "whichever came first"


def test_migrations_upgrade_an_old_archive(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = Archive.__new__(Archive)
    old.path, old.batch_size, old._pending = path, 100, 0
    old.db = sqlite3.connect(path, isolation_level=None)
    old.db.row_factory = sqlite3.Row
    old.migrate(target=1)
    assert old.schema_version() == 1
    old.store(seed_item())
    old.close()
    with Archive(path) as archive:
        assert archive.schema_version() == SCHEMA_VERSION == 8
        assert archive.count() == 1 and archive.count("runs") == 0
        versions = [row[0] for row in archive.db.execute("SELECT version FROM schema_migrations")]
        assert versions == [1, 2, 3, 4, 5, 6, 7, 8]


def test_an_archive_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    Archive(path).close()
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO schema_migrations VALUES (99, 'future', 'x')")
    with pytest.raises(ArchiveError, match="newer"):
        Archive(path)


def test_a_file_that_is_no_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database, " * 100)
    with pytest.raises(ArchiveError, match="not an archive"):
        Archive(path)


def test_writes_are_batched_and_wal(tmp_path: Path) -> None:
    path = tmp_path / "a.sqlite3"
    archive = Archive(path, batch_size=2)
    assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    archive.store(seed_item())
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 0, "not yet"
    archive.store(changed(seed_item(), "x"))
    with sqlite3.connect(path) as reader:
        assert reader.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 1, "committed"
    archive.close()


def test_hostile_text_is_stored_as_text(tmp_path: Path) -> None:
    title = "x'); DROP TABLE articles; --"
    item = dict(seed_item(), title=title, url="https://vusta.vn/x-p1.html", article_id=1)
    item["content_hash"] = content_hash(title, item["body_text"] + "!")
    with Archive(tmp_path / "a.sqlite3") as archive:
        archive.store(item)
        assert archive.get(item["url"])["title"] == title  # type: ignore[index]
        assert archive.count() == 1


def test_a_busy_database_fails_one_write_not_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("vusta_crawler.store.archive.BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "busy.sqlite3"
    with Archive(path, batch_size=1) as archive:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the file
        with pytest.raises(ArchiveWriteError, match="locked") as failed:
            archive.store(seed_item())
        assert failed.value.lost == 1
        blocker.execute("ROLLBACK")
        blocker.close()
        # the connection recovered: the same item is stored, and the next one too
        assert archive.store(seed_item()) == NEW
        assert archive.store(changed(seed_item(), "Sửa.")) == UPDATED
    with Archive(path) as archive:
        assert archive.count() == 1 and archive.count("revisions") == 1


def test_a_failed_item_inside_a_batch_keeps_the_batch(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite3", batch_size=100) as archive:
        archive.store(seed_item())
        broken = dict(seed_item(), url="https://vusta.vn/khac-p1.html", article_id=1, title=None)
        broken["content_hash"] = "x"
        with pytest.raises(ArchiveWriteError, match="NOT NULL"):
            archive.store(broken)
        archive.commit()
        assert archive.count() == 1, "the item stored before the failure is kept"


def test_validators_and_crawl_state(tmp_path: Path) -> None:
    item = seed_item()
    with Archive(tmp_path / "a.sqlite3") as archive:
        archive.store(item, Validators('"abc"', "Wed, 08 Dec 2021 09:00:00 GMT"))
        state = archive.crawl_state(refresh_since=item["published"])
        assert item["url"] in state and state.fetched[item["url"]] == item["fetched_at"]
        assert state.recent == {item["url"]: Validators('"abc"', "Wed, 08 Dec 2021 09:00:00 GMT")}
        assert archive.crawl_state(refresh_since="2099-01-01T00:00:00+07:00").recent == {}
        later = dict(item, fetched_at="2026-12-01T00:00:00Z")
        assert archive.store(later, Validators('"abd"', None)) == UNCHANGED
        state = archive.crawl_state(refresh_since=None)
        assert state.fetched[item["url"]] == "2026-12-01T00:00:00Z", "re-checked: fetch time"
        assert state.recent == {}


def test_a_run_row_is_written_then_completed(tmp_path: Path) -> None:
    with Archive(tmp_path / "a.sqlite3") as archive:
        archive.record_run(RunRecord("run1abc", "2026-12-01T00:00:00Z", "2026-12-01T00:01:00Z",
                                     {NEW: 3}))  # fmt: skip
        archive.record_run(
            RunRecord("run1abc", "2026-12-01T00:00:00Z", "2026-12-01T00:02:00Z", {NEW: 3},
                      status="ok", exit_code=0, report={"status": "ok"})
        )  # fmt: skip
        assert archive.count("runs") == 1
        row = archive.run("run1")
        assert row is not None and row["new"] == 3 and row["status"] == "ok"
        assert row["finished_at"] == "2026-12-01T00:02:00Z" and row["exit_code"] == 0
        assert archive.run("nope") is None


def test_a_busy_database_noting_captures_is_a_write_error_with_the_batch_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vusta_crawler.capture.warc import Capture

    monkeypatch.setattr("vusta_crawler.store.archive.BUSY_TIMEOUT_S", 0.05)
    path = tmp_path / "busy.sqlite3"
    warc = str(tmp_path / "warc" / "r-00001.warc.gz")
    capture = Capture("https://vusta.vn/a-p1.html", warc, 0, 10, "<urn:uuid:1>", "response",
                      "sha1:X", "2026-12-03T00:00:00Z")  # fmt: skip
    with Archive(path, batch_size=100) as archive:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(ArchiveWriteError, match="noting the captures") as failed:
            archive.record_captures([capture], "r")
        assert failed.value.lost == 0
        blocker.execute("ROLLBACK")
        blocker.close()
        archive.record_captures([capture], "r")
        archive.commit()
        name = archive.db.execute("SELECT warc_file FROM captures").fetchone()[0]
        assert name == "warc/r-00001.warc.gz", "named relative to the archive's folder"
        assert archive.warc_path(name) == (tmp_path / "warc" / "r-00001.warc.gz").resolve()
