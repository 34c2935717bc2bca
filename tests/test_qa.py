"""The end-of-run QA pass: a sample of the run's stored articles is read again from its WARC
records and compared with the archive; the report says equal / differs by field, and a
difference fails the "Captures" monitor (exit 1)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site

# The crawl, in a process whose section rule gives a new answer each time it is asked: what
# the run stored can then not be read back from its records (as if a capture held other bytes
# than those extracted, or the extraction depended on more than the page).
UNSTABLE_RULE = textwrap.dedent("""
    import itertools, sys
    from vusta_crawler import cli
    from vusta_crawler.extract import fields
    calls, original = itertools.count(), fields.section
    fields.section = lambda anchors: f"{original(anchors)} #{next(calls)}"
    sys.exit(cli.main(sys.argv[1:]))
""")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qa") / "site"
    build_generated_site(root, 30, newest=datetime.now(UTC) - timedelta(hours=1))
    return root


def crawl(site: Path, db: Path, *python: str, extra: tuple[str, ...] = ()) -> tuple[int, dict, str]:
    with MirrorServer(MirrorSite(site)) as server:
        done = subprocess.run(
            [sys.executable, *python, "crawl", "--mirror", server.url, "--db", str(db),
             "--no-progress", *extra], capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    run_id = re.search(r"^Run (\S+):", done.stderr, re.M)
    assert run_id, done.stderr
    report = json.loads((db.parent / "runs" / f"{run_id.group(1)}.json").read_text("utf-8"))
    return done.returncode, report, done.stderr


def test_a_run_reads_a_sample_of_its_articles_back_equal(site: Path, tmp_path: Path) -> None:
    code, report, stderr = crawl(site, tmp_path / "vusta.sqlite3", "-m", "vusta_crawler.cli")
    assert code == 0, stderr
    qa = report["qa"]
    assert (qa["examined"], qa["equal"], qa["differ"], qa["failed"]) == (20, 20, 0, []), qa
    assert "QA: 20 stored article(s) read again from their WARC records: 20 equal" in stderr
    assert {"name": "Captures/QA pass: stored articles equal their WARC records",
            "passed": True, "message": ""} in report["monitors"]  # fmt: skip
    assert report["captures"]["errors"] == 0 and report["captures"]["records"]["response"] > 30


def test_a_stored_article_its_record_does_not_give_back_fails_the_run(
    site: Path, tmp_path: Path
) -> None:
    script = tmp_path / "unstable.py"
    script.write_text(UNSTABLE_RULE, encoding="utf-8")
    code, report, stderr = crawl(site, tmp_path / "vusta.sqlite3", str(script))
    assert code == 1, stderr
    qa = report["qa"]
    assert qa["examined"] == 20 and qa["equal"] == 0 and qa["by_field"] == {"section": 20}
    assert {tuple(d["fields"]) for d in qa["differences"]} == {("section",)}
    assert (
        "Captures/QA pass: stored articles equal their WARC records" in (report["monitors_failed"])
    )
    assert "20 differ (section: 20)" in stderr
    assert "Monitor failed: Captures/QA pass: stored articles equal their WARC records" in stderr


def test_no_capture_no_qa_pass(site: Path, tmp_path: Path) -> None:
    code, report, stderr = crawl(
        site, tmp_path / "vusta.sqlite3", "-m", "vusta_crawler.cli", extra=("--no-warc",)
    )
    assert code == 0, stderr
    assert report["qa"] is None and report["captures"]["records"] == {}
    assert "QA:" not in stderr
