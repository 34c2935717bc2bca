"""Every command fails clearly: a user's mistake gets a message naming it and exit 2, never a
traceback, never silent acceptance, never the name of one of our functions."""

from __future__ import annotations

import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from vusta_crawler.devtools.replay import FIXTURES_DIR
from vusta_crawler.store.archive import Archive

SEED = FIXTURES_DIR / "article" / "seed_form_a" / "page.html"
CLI = [sys.executable, "-m", "vusta_crawler.cli"]
INTERNAL_NAMES = ("_date", "_time", "_count", "_site", "_log_level", "OptionError", "invalid ")
"""Our functions' names, and argparse's "invalid <type function> value" that would show them."""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, encoding="utf-8",
                          timeout=120, cwd=cwd)  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """An archive of one article, a text file, a foreign SQLite database, a binary file and a
    port that is taken."""
    work = tmp_path_factory.mktemp("cli")
    item = json.loads(run("parse", str(SEED)).stdout)
    with Archive(work / "a.sqlite3") as archive:
        archive.store(item)
    (work / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    with sqlite3.connect(work / "other.sqlite3") as other:
        other.execute("CREATE TABLE contacts (name TEXT)")
    (work / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    yield {"db": str(work / "a.sqlite3"), "notes": str(work / "notes.txt"),
           "other": str(work / "other.sqlite3"), "photo": str(work / "photo.jpg"),
           "port": str(taken.getsockname()[1]), "dir": str(work)}  # fmt: skip
    taken.close()


CASES = [
    (["parse", "--fetched-at", "yesterday", str(SEED)], "an RFC 3339 time"),
    (["parse", "{photo}"], "not_html"),
    (["crawl", "--log-level", "LOUD"], "one of CRITICAL, ERROR, WARNING, INFO, DEBUG"),
    (["crawl", "--site", "fr", "--mirror", "http://127.0.0.1:9"], "site must be one of"),
    (["crawl", "-s", "DOWNLOAD_TIMOUT=5"], "no such setting (did you mean DOWNLOAD_TIMEOUT?)"),
    (["crawl", "-s", "DOWNLOAD_TIMEOUT=soon"], "DOWNLOAD_TIMEOUT takes a number"),
    (["crawl", "-s", "ROBOTSTXT_OBEY=maybe"], "takes a flag"),
    (["crawl", "-s", "DOWNLOAD_TIMEOUT"], "is not NAME=VALUE"),
    (["crawl", "-s", "VUSTA_DB=/tmp/other.sqlite3"], "VUSTA_DB: set by --db, not -s"),
    (["mirror", "--port", "99999"], "a whole number from 0 to 65535 (got '99999')"),
    (["mirror", "--port", "{port}"], "port {port}:"),
    (["mirror", "/nonexistent"], "no manifest.json"),
    (["mirror", "--generate", "-5"], "a whole number 1 or more (got '-5')"),
    (["mirror", "--faults", "500=2"], "--faults: fault '500=2': the rate must be in [0, 1]"),
    (["mirror", "--faults", "teapot=0.1"], "unknown kind 'teapot'"),
    (["mirror", "--faults", "500=0.7,503=0.7"], "more than 1"),
    (["mirror", "--hang-seconds", "0"], "a number of seconds above 0 (got '0')"),
    (["export", "jsonl", "--db", "{db}", "-o", "{dir}"], "is a folder"),
    (["export", "jsonfeed", "--db", "{db}", "--page-size", "0"], "1 or more (got '0')"),
    (["export", "jsonfeed", "--db", "{db}", "--page-size", "-1"], "1 or more (got '-1')"),
    (["export", "jsonl", "--db", "{db}", "--limit", "-1"], "1 or more (got '-1')"),
    (["export", "jsonl", "--db", "{db}", "--since", "last week"], "a date YYYY-MM-DD"),
    (["export", "jsonl", "--db", "{db}", "--site", "fr"], "one of vi, en, all"),
    (["export", "jsonl", "--db", "{notes}"], "not an archive"),
    (["export", "jsonl", "--db", "{other}"], "not a vusta-crawler archive"),
    (["export", "jsonl", "--db", "{dir}/missing.sqlite3"], "no archive at"),
    (["export", "jsonfeed", "--db", "{db}", "-o", "-", "--page-size", "5"], "standard output"),
    (["runs", "--db", "{other}"], "not a vusta-crawler archive"),
    (["crawl", "--db", "{other}", "--mirror", "http://127.0.0.1:9"], "of another program"),
    (
        ["crawl", "--section", "Tin mới", "--mirror", "http://127.0.0.1:9"],
        "section 'Tin mới' is not a section path (like 'tin-tuc', 'tin-tuc/co-quan-tw' or "
        "'en.vusta.vn/news') nor a known section: tin-tuc (Tin tức), tin-tuc/co-quan-tw (Cơ",
    ),
    (
        ["crawl", "--site", "en", "--section", "Tin tức", "--mirror", "http://127.0.0.1:9"],
        "section 'Tin tức' is on vusta.vn, which this crawl does not visit",
    ),
    (["export", "jsonl", "--db", "{db}", "--section", "tin tuc"], "'tin tuc' is not a section"),
    (["export", "jsonl", "--db", "{db}", "--section", "abc-def"], "makes the path 'abc-def'"),
    (["stats", "--db", "{notes}"], "not an archive"),
    (["reextract", "--all", "--db", "{other}"], "not a vusta-crawler archive"),
    (["fixture", "update", "nosuchcase"], "no fixture case nosuchcase"),
    (["fixture", "update", "--root", "/nonexistent"], "no fixtures folder at /nonexistent"),
    (["fixture", "save", "https://vusta.vn/x-p1.html", "--db", "{notes}"], "not an archive"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=[" ".join(c[0][:3]) for c in CASES])
def test_a_mistake_is_named_with_exit_2(files: dict[str, str], args: list[str], message: str):
    argv = [arg.format(**files) for arg in args]
    done = run(*argv)
    assert done.returncode == 2, (argv, done.returncode, done.stdout[-500:], done.stderr[-800:])
    assert message.format(**files) in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not any(name in done.stderr for name in INTERNAL_NAMES), done.stderr


def test_reading_commands_never_turn_a_file_into_an_archive(files: dict[str, str]) -> None:
    before = Path(files["other"]).read_bytes()
    run("export", "jsonl", "--db", files["other"])
    assert Path(files["other"]).read_bytes() == before
    assert not Path(files["dir"], "missing.sqlite3").exists()


def test_scrapy_crawl_with_a_bad_site_argument_is_a_usage_error() -> None:
    command = [sys.executable, "-m", "scrapy", "crawl", "vusta", "-a", "site=fr"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).parents[1])
    assert done.returncode == 2
    assert "site must be one of" in done.stderr and "Traceback" not in done.stderr


def test_exports_create_the_folder_and_a_feed_goes_to_standard_output(
    files: dict[str, str],
) -> None:
    target = Path(files["dir"]) / "new" / "folder" / "items.jsonl"
    done = run("export", "jsonl", "--db", files["db"], "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert len(target.read_text(encoding="utf-8").splitlines()) == 1
    feed = run("export", "jsonfeed", "--db", files["db"], "-o", "-")
    assert feed.returncode == 0, feed.stderr
    items = json.loads(feed.stdout)["items"]
    assert len(items) == 1 and items[0]["title"]
    assert run("export", "jsonl", "--db", files["db"], "--site", "vi").stdout.count("\n") == 1
    assert run("export", "jsonl", "--db", files["db"], "--site", "en").stdout == ""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_generated_mirror_removes_its_folder_when_stopped(stop: signal.Signals) -> None:
    mirror = subprocess.Popen([*CLI, "mirror", "--generate", "5", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert mirror.stdout is not None
    generated = mirror.stdout.readline()
    assert generated.startswith("Generated a site of 5 articles in "), generated
    folder = Path(generated.rsplit(" in ", 1)[1].strip())
    assert mirror.stdout.readline().startswith("Serving ")
    assert folder.is_dir()
    mirror.send_signal(stop)
    _, errors = mirror.communicate(timeout=30)
    assert mirror.returncode == 0 and "Traceback" not in errors
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists(), "the generated site is removed"


def test_mirror_faults_from_the_command_line_hit_a_page_once() -> None:
    mirror = subprocess.Popen(
        [*CLI, "mirror", "--generate", "5", "--port", "0", "--faults", "503=1", "--seed", "3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert mirror.stdout is not None
    try:
        mirror.stdout.readline()  # Generated …
        serving = mirror.stdout.readline()
        base = serving.split(" at ", 1)[1].split()[0]
        assert mirror.stdout.readline().startswith("Injecting faults 503=1.0 (seed 3")
        statuses = []
        for _ in range(2):
            try:
                with urllib.request.urlopen(f"{base}/vusta.vn/", timeout=10) as answer:
                    statuses.append(answer.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
        assert statuses == [503, 200], "the first request gets the fault, the retry the page"
    finally:
        mirror.send_signal(signal.SIGINT)
        mirror.communicate(timeout=30)
