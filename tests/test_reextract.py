"""Re-extraction from the WARC captures: the same rules give the stored items back exactly; a
changed rule gives exactly the revisions it should (reason ``reextract``), a dry run none; a
capture that cannot be read is a named failure and exit 1, never a changed article."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.extract import fields
from vusta_crawler.store.archive import REEXTRACTED, Archive
from vusta_crawler.store.reextract import UNREADABLE, reextract

CLI = [sys.executable, "-m", "vusta_crawler.cli"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a crawled 40-article site's archive (``data/``) and the site (``site/``)."""
    work = tmp_path_factory.mktemp("reextract")
    build_generated_site(work / "site", 40, newest=datetime.now(UTC) - timedelta(hours=1))
    with MirrorServer(MirrorSite(work / "site")) as server:
        done = subprocess.run(
            [*CLI, "crawl", "--mirror", server.url, "--db", str(work / "data" / "vusta.sqlite3"),
             "--no-progress"], capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return work


@pytest.fixture
def copy(crawled: Path, tmp_path: Path) -> Path:
    """A copy of the archive folder (database and WARC files) to change; returns the database."""
    shutil.copytree(crawled / "data", tmp_path / "data")
    return tmp_path / "data" / "vusta.sqlite3"


def manifest(crawled: Path) -> dict:
    return json.loads((crawled / "site" / "manifest.json").read_text(encoding="utf-8"))


def test_todays_rules_read_every_stored_article_back_from_its_capture(copy: Path) -> None:
    done = subprocess.run([*CLI, "reextract", "--all", "--db", str(copy)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("Re-extracted 40 article(s) from their captures: 40 equal, 0 ")
    with Archive(copy) as archive:
        assert archive.count("revisions") == 0


def test_a_changed_rule_gives_exactly_the_expected_revisions(
    crawled: Path, copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = manifest(crawled)["articles"]  # url → the item the page must give
    chosen = sorted({article["section"] for article in articles.values()})[0]
    expected = {url for url, article in articles.items() if article["section"] == chosen}
    assert 0 < len(expected) < 40
    original = fields.section

    def renamed(anchors: object) -> str | None:  # the "fix": that section gets a new name
        found = original(anchors)  # type: ignore[arg-type]
        return f"{found} (mới)" if found == chosen else found

    monkeypatch.setattr(fields, "section", renamed)
    with Archive(copy) as archive:
        before = {row["url"]: dict(row) for row in archive.db.execute("SELECT * FROM articles")}
        dry = reextract(archive, archive.captured_articles(), dry_run=True)
        assert {d.url for d in dry.differences} == expected and dry.by_field == {
            "section": len(expected)
        }
        assert archive.count("revisions") == 0, "a dry run changes nothing"

        done = reextract(archive, archive.captured_articles())
        assert done.equal == 40 - len(expected) and not done.failures
        assert len(done.differences) == len(expected)
        revised = archive.db.execute(
            "SELECT articles.url, revisions.reason, revisions.item, revisions.capture_id "
            "FROM revisions JOIN articles ON articles.id = revisions.article"
        ).fetchall()
        assert sorted(row["url"] for row in revised) == sorted(expected)
        for row in revised:
            old = before[row["url"]]
            assert row["reason"] == REEXTRACTED and row["capture_id"] == old["capture_id"]
            assert json.loads(row["item"])["section"] == chosen
            now = archive.get(row["url"])
            assert now is not None and now["section"] == f"{chosen} (mới)"
            assert now["content_hash"] == old["content_hash"], "title and text unchanged"
            assert now["fetched_at"] == old["fetched_at"], "no new fetch"
        assert not reextract(archive, archive.captured_articles()).differences, "idempotent"


def test_a_run_selects_the_articles_it_fetched(crawled: Path, copy: Path) -> None:
    with Archive(copy) as archive:
        run_id = archive.runs()[0]["run_id"]
        assert len(archive.captured_articles(run_id=run_id)) == 40
        assert archive.captured_articles(run_id="someone-else") == []
        assert len(archive.captured_articles(since="2000-01-01")) == 40
        assert archive.captured_articles(since="2999-01-01") == []
    unknown = subprocess.run([*CLI, "reextract", "--run", "nosuchrun", "--db", str(copy)],
                             capture_output=True, text=True)  # fmt: skip
    assert unknown.returncode == 2 and "no single run" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    bare = subprocess.run([*CLI, "reextract", "--db", str(copy)], capture_output=True, text=True)
    assert bare.returncode == 2 and "one of the arguments --run --since --all" in bare.stderr


def test_an_unreadable_capture_is_a_named_failure_and_changes_nothing(copy: Path) -> None:
    warcs = sorted((copy.parent / "warc").glob("*.warc.gz"))
    size = warcs[0].stat().st_size
    with warcs[0].open("r+b") as stream:  # the second half of the file is gone
        stream.truncate(size // 2)
    done = subprocess.run([*CLI, "reextract", "--all", "--db", str(copy)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    failed = [line for line in done.stdout.splitlines() if line.startswith("  failed: ")]
    assert failed and all(f": {UNREADABLE} " in line for line in failed)
    with Archive(copy) as archive:
        assert archive.count("revisions") == 0


# --- fixture save ----------------------------------------------------------------------------


def test_fixture_save_turns_a_capture_into_a_case_that_replays_the_archived_item(
    copy: Path, tmp_path: Path
) -> None:
    from vusta_crawler.devtools.replay import Case, replay

    root = tmp_path / "fixtures"
    root.mkdir()
    with Archive(copy) as archive:
        row = archive.db.execute("SELECT url, capture_id FROM articles LIMIT 1").fetchone()
        stored = archive.get(row["url"])
    save = [*CLI, "fixture", "save", "--db", str(copy), "--root", str(root)]
    done = subprocess.run([*save, row["url"]], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (folder,) = (root / "article").iterdir()
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["source"] == "capture" and meta["record_id"] == row["capture_id"]
    assert meta["url"] == row["url"] and meta["kind"] == "article"
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    assert expected == stored, "today's extraction of the capture: the archived item"
    assert replay(Case(folder)) == expected, "the case replays as saved"

    again = subprocess.run([*save, row["capture_id"]], capture_output=True, text=True)
    assert again.returncode == 2 and "exists already" in again.stderr
    by_id = subprocess.run([*save, row["capture_id"], "--name", "by_record"],
                           capture_output=True, text=True)  # fmt: skip
    assert by_id.returncode == 0, by_id.stderr
    assert (root / "article" / "by_record" / "page.html").read_bytes() == (
        folder / "page.html"
    ).read_bytes()
    for ref in ("https://vusta.vn/khong-co-p1.html", "<urn:uuid:00000000-0000-0000-0000-0>"):
        missing = subprocess.run([*save, ref], capture_output=True, text=True)
        assert missing.returncode == 2 and "no capture" in missing.stderr
        assert "Traceback" not in missing.stderr
