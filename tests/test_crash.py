"""Crash safety: a crawl killed with SIGKILL at any moment, then run again, ends in the same
archive as a crawl never interrupted — every article once, the latest revision, an intact file.

Seeded and bounded: a generated mirror of 36 articles served slowly (15 ms a page), killed at
three points (early by time, in the middle of the article pages, late by requests).
"""

from __future__ import annotations

import gzip
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.store.archive import Archive

ARTICLES = 36


def command(mirror: str, db: Path) -> list[str]:
    return [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror", mirror, "--db",
            str(db), "--no-progress"]  # fmt: skip


class SlowSite(MirrorSite):
    def lookup(self, url: str) -> tuple[int, bytes, str]:
        time.sleep(0.015)
        return super().lookup(url)


def contents(db: Path) -> tuple[str, list[tuple[str, str]], int]:
    """The archive's integrity check, its (url, content hash) pairs, and its alias count."""
    with Archive(db) as archive:
        check = archive.db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = archive.db.execute("SELECT url, content_hash FROM articles ORDER BY url")
        return check, [(url, digest) for url, digest in rows], archive.count("aliases")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "site"
    build_generated_site(root, ARTICLES)
    return root


@pytest.fixture(scope="module")
def reference(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    db = tmp_path_factory.mktemp("reference") / "a.sqlite3"
    with MirrorServer(MirrorSite(site)) as server:
        assert (
            subprocess.run(command(server.url, db), capture_output=True, timeout=300).returncode
            == 0
        )
    found = contents(db)
    assert found[0] == "ok" and len(found[1]) == ARTICLES
    return found


def cut_off_record(path: Path) -> int:
    """Append the first half of a copy of the file's last record: what a SIGKILL in the middle
    of a record's write leaves (writes are flushed record by record). Returns its length."""
    with path.open("rb") as stream:
        data = stream.read()
    start = data.rfind(b"\x1f\x8b\x08")  # the last gzip member (a request record)
    half = data[start : start + (len(data) - start) // 2]
    with path.open("ab") as stream:
        stream.write(half)
    with pytest.raises(EOFError):  # (warcio check passes a cut-off record without a digest)
        gzip.decompress(path.read_bytes())
    return len(half)


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys, warcio.cli; sys.exit(warcio.cli.main())", "check",
         str(path)], capture_output=True, text=True,
    )  # fmt: skip


def read_page_at(archive: Archive, row: Any) -> Any:
    from vusta_crawler.capture.read import read_page

    return read_page(archive.warc_path(row["warc_file"]), row["offset"])


KILL_POINTS: dict[str, Callable[[MirrorServer, Path, float], bool]] = {
    "after 0.8 s": lambda server, db, started: time.monotonic() - started > 0.8,
    # articles extracted, none committed yet (the batch holds 100): all are fetched again
    "after 30 article pages": lambda server, db, started: (
        sum("-p1000" in url for url in server.requests) >= 30
    ),
    "after 50 requests": lambda server, db, started: len(server.requests) >= 50,
}


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_killed_then_run_again_equals_an_uninterrupted_run(
    site: Path, reference: tuple, tmp_path: Path, point: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "a.sqlite3"
    with MirrorServer(SlowSite(site)) as server:
        started = time.monotonic()
        run = subprocess.Popen(command(server.url, db), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
        while run.poll() is None and not KILL_POINTS[point](server, db, started):
            time.sleep(0.01)
        assert run.poll() is None, "the crawl finished before the kill point: make it slower"
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    check, partial, _ = contents(db)
    assert check == "ok" and len(partial) < ARTICLES, point
    written = sorted((db.parent / "warc").glob("*.warc.gz"))  # none if killed before a fetch
    cut = cut_off_record(written[-1]) if written else 0
    with MirrorServer(MirrorSite(site)) as server:
        again = subprocess.run(command(server.url, db), capture_output=True, text=True,
                               timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert contents(db) == reference, f"killed {point}, then run again"
    if written:
        repaired = re.search(rf"Repaired {written[-1].name} \(a killed run's\): cut off its "
                             r"last (\d+) bytes", again.stderr)  # fmt: skip
        assert repaired and int(repaired.group(1)) >= cut, again.stderr  # the kill may cut too
    for path in sorted((db.parent / "warc").glob("*.warc.gz")):
        assert warcio_check(path).returncode == 0, (path.name, warcio_check(path).stdout)
        assert gzip.decompress(path.read_bytes()).startswith(b"WARC/1.1"), "whole gzip members"
    with Archive(db) as archive:
        statuses = [row["status"] for row in archive.runs()]
        assert statuses == (["ok", "killed"] if written else ["ok"]), "the killed run noted"
        for row in archive.db.execute("SELECT warc_file, offset, record_id FROM captures"):
            assert read_page_at(archive, row).record_id == row["record_id"]


def test_a_killed_update_run_then_run_again_gives_the_latest_revisions(
    site: Path, tmp_path: Path
) -> None:
    """The archive already holds the site; the site changes (new articles, edited ones); the
    update run is killed halfway; the next run ends where an uninterrupted update ends."""
    from datetime import datetime, timedelta

    from vusta_crawler.extract import dates

    changed = tmp_path / "changed"
    build_generated_site(changed, ARTICLES, added=8, changed=4,
                         changed_at=datetime.now(dates.VN_TZ) + timedelta(minutes=1))  # fmt: skip
    base = tmp_path / "base.sqlite3"
    with MirrorServer(MirrorSite(site)) as server:
        assert subprocess.run(command(server.url, base), capture_output=True).returncode == 0
    expected_db, killed_db = tmp_path / "expected.sqlite3", tmp_path / "killed.sqlite3"
    for copy in (expected_db, killed_db):
        copy.write_bytes(base.read_bytes())
    with MirrorServer(MirrorSite(changed)) as server:
        assert subprocess.run(command(server.url, expected_db), capture_output=True).returncode == 0
    with MirrorServer(SlowSite(changed)) as server:
        run = subprocess.Popen(command(server.url, killed_db), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
        while run.poll() is None and sum("-p1000" in u for u in server.requests) < 6:
            time.sleep(0.01)
        assert run.poll() is None
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
    with MirrorServer(MirrorSite(changed)) as server:
        assert subprocess.run(command(server.url, killed_db), capture_output=True).returncode == 0
    expected = contents(expected_db)
    assert expected[0] == "ok" and len(expected[1]) == ARTICLES + 8
    assert contents(killed_db) == expected
    with Archive(killed_db) as archive:
        assert archive.count("revisions") == 4, "each edited article revised once"
