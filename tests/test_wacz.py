"""WACZ export: the packages of two crawls of a generated mirror (the second mostly revisits)
validate with py-wacz, list every article of their run, replay a page from the bytes of the
package, name the first run's WARC file as the second's dependency, and fail with a WaczError
naming the problem."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import struct
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.export.wacz import (
    PAGES_HEADER,
    WACZ_VERSION,
    WaczError,
    WaczSummary,
    surt_key,
    write_wacz,
)
from vusta_crawler.store.archive import Archive

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

# py-wacz 0.6 (the latest) knows wacz_version 1.1.1 only and stops at any other before checking
# anything; told this package's version, its CLI runs every check it has, unchanged.
VALIDATE = """
import sys
import wacz.main
wacz.main.WACZ_VERSION = sys.argv[1]
sys.exit(max([wacz.main.main(["validate", "-f", path]) for path in sys.argv[2:]]))
"""

# webrecorder's cdxj-indexer (py-wacz's own indexer) over the same WARC files, for comparison
CDXJ_INDEXER = """
import sys, warnings
warnings.simplefilter("ignore")
from cdxj_indexer.main import CDXJIndexer
CDXJIndexer(sys.stdout, sys.argv[1:], sort=True).process_all()
"""


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("wacz")
    site, db = work / "site", work / "data" / "vusta.sqlite3"
    build_generated_site(site, 30, newest=datetime.now(UTC) - timedelta(hours=1))
    with MirrorServer(MirrorSite(site)) as server:
        command = [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror", server.url,
                   "--db", str(db), "--no-progress"]  # fmt: skip
        runs = [subprocess.run(command, capture_output=True, text=True, timeout=300) for _ in "12"]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    with Archive(db) as archive:
        run_ids = [row[0] for row in archive.db.execute("SELECT run_id FROM runs ORDER BY id")]
        summaries = {
            "first": write_wacz(archive, work / "first.wacz", run_id=run_ids[0]),
            "second": write_wacz(archive, work / "second.wacz", run_id=run_ids[1]),
            "all": write_wacz(archive, work / "all.wacz", title="Everything"),
        }
    return {"work": work, "site": site, "db": db, "runs": run_ids, **summaries}


def members(summary: WaczSummary) -> dict[str, bytes]:
    with zipfile.ZipFile(summary.path) as package:
        return {name: package.read(name) for name in package.namelist()}


def datapackage(summary: WaczSummary) -> dict:
    return json.loads(members(summary)["datapackage.json"])


def pages(summary: WaczSummary) -> list[dict]:
    lines = members(summary)["pages/pages.jsonl"].decode().splitlines()
    return [json.loads(line) for line in lines]


def index(summary: WaczSummary) -> list[tuple[str, str, dict]]:
    lines = members(summary)["indexes/index.cdxj"].decode().splitlines()
    return [(key, timestamp, json.loads(data)) for key, timestamp, data in
            (line.split(" ", 2) for line in lines)]  # fmt: skip


def warc_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys, warcio.cli; sys.exit(warcio.cli.main())", "check",
         "-v", str(path)], capture_output=True, text=True,
    )  # fmt: skip


def test_the_packages_validate_with_py_wacz_and_their_warcs_check(
    crawled: dict, tmp_path: Path
) -> None:
    paths = [str(crawled[name].path) for name in ("first", "second", "all")]
    result = subprocess.run(
        [sys.executable, "-c", VALIDATE, WACZ_VERSION, *paths], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("Validation succeeded, the passed WACZ is valid") == 3
    for name, data in members(crawled["all"]).items():
        if name.startswith("archive/"):
            (tmp_path / Path(name).name).write_bytes(data)
            checked = warc_check(tmp_path / Path(name).name)
            assert checked.returncode == 0, checked.stdout + checked.stderr
    assert crawled["all"].warc_files == tuple(sorted(crawled["first"].warc_files
                                                     + crawled["second"].warc_files))  # fmt: skip


@pytest.mark.parametrize("run", [0, 1])
def test_pages_list_every_article_fetched_in_the_run_once_with_its_text(
    crawled: dict, run: int
) -> None:
    summary = crawled["first" if run == 0 else "second"]
    with Archive(crawled["db"]) as archive:
        captured = {
            row["url"]: row
            for row in archive.db.execute(
                "SELECT * FROM captures WHERE run_id = ?", (crawled["runs"][run],)
            )
        }
        aliases = archive.aliases()
        articles = {row["url"]: row for row in archive.db.execute("SELECT * FROM articles")}
    expected = {aliases.get(url, url) for url in captured} & set(articles)
    header, *listed = pages(summary)
    assert header == PAGES_HEADER
    assert len(listed) == summary.pages == len(expected) > 0
    assert {aliases.get(page["url"], page["url"]) for page in listed} == expected
    for page in listed:
        article = articles[aliases.get(page["url"], page["url"])]
        capture = captured[page["url"]]
        assert RFC3339.match(page["ts"]) and datetime.fromisoformat(page["ts"]).tzinfo, page
        assert page["ts"] == capture["captured_at"] and page["id"] == capture["record_id"][1:-1]
        assert page["text"] == article["body_text"] and page["text"]
        assert page["title"] == article["title"]
    if run == 1:
        assert 0 < len(listed) < crawled["first"].pages, "the re-checked articles, not all"


def test_a_page_replays_from_the_bytes_of_the_package(crawled: dict) -> None:
    summary = crawled["first"]
    page = pages(summary)[1]
    entry = next(data for _, _, data in index(summary)
                 if data["url"] == page["url"] and data["mime"] != "warc/revisit")  # fmt: skip
    with zipfile.ZipFile(summary.path) as package:
        info = package.getinfo(f"archive/{entry['filename']}")
    with summary.path.open("rb") as wacz:  # as a range request into the .wacz would
        wacz.seek(info.header_offset)
        local = wacz.read(30)
        name_length, extra_length = struct.unpack("<HH", local[26:30])
        wacz.seek(info.header_offset + 30 + name_length + extra_length + entry["offset"])
        chunk = wacz.read(entry["length"])
    record = next(iter(ArchiveIterator(BytesIO(chunk))))
    assert record.rec_type == "response"
    assert record.rec_headers["WARC-Target-URI"] == page["url"]
    site = MirrorSite(crawled["site"])
    served = site.path_of(site.manifest["pages"][page["url"]]["file"]).read_bytes()
    assert record.content_stream().read() == served


def test_the_second_runs_package_names_the_first_runs_warc_file_as_its_dependency(
    crawled: dict,
) -> None:
    first, second = crawled["first"], crawled["second"]
    assert "relation" not in datapackage(first) and first.dependencies == ()
    (warc,) = second.warc_files
    referring = 0
    with zipfile.ZipFile(second.path) as package, package.open(f"archive/{warc}") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "revisit" and record.rec_headers["WARC-Refers-To-Date"]:
                referring += 1
    (first_warc,) = first.warc_files
    path = crawled["db"].parent / "warc" / first_warc
    assert datapackage(second)["relation"]["requires"] == [{
        "filename": first_warc, "crawlId": crawled["runs"][0],
        "hash": "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest(),
        "size": path.stat().st_size, "records": referring,
    }]  # fmt: skip
    assert referring > 0 and second.dependencies[0].records == referring
    assert "relation" not in datapackage(crawled["all"]), "both runs inside: nothing outside"


def test_the_index_is_byte_sorted_and_what_cdxj_indexer_makes_of_the_same_files(
    crawled: dict, tmp_path: Path
) -> None:
    summary = crawled["all"]
    raw = members(summary)["indexes/index.cdxj"].splitlines()
    assert raw == sorted(raw) and len(raw) == summary.records
    paths = [crawled["db"].parent / "warc" / name for name in summary.warc_files]
    theirs = subprocess.run(
        [sys.executable, "-c", CDXJ_INDEXER, *map(str, paths)], capture_output=True, text=True
    )
    assert theirs.returncode == 0, theirs.stderr
    expected = [line.split(" ", 2) for line in theirs.stdout.splitlines()]
    ours = index(summary)
    assert len(ours) == len(expected)
    filled = 0
    for (key, timestamp, data), (their_key, their_timestamp, their_data) in zip(
        ours, expected, strict=True
    ):
        assert (key, timestamp) == (their_key, their_timestamp)
        their = json.loads(their_data)
        assert [name for name in data if name in their] == list(their), "the same field order"
        if "digest" not in their:  # a 304's revisit record names no digest: the archive does
            assert data["mime"] == "warc/revisit" and data["status"] == 304 and data["digest"]
            their["digest"] = data["digest"]
            filled += 1
        assert {name: str(value) for name, value in data.items()} == their
    assert filled > 0, "the recent articles re-checked in the second run"


def test_the_datapackage_lists_every_file_with_its_hash_and_size_and_warcs_are_stored(
    crawled: dict,
) -> None:
    summary = crawled["all"]
    files = members(summary)
    descriptor = json.loads(files["datapackage.json"])
    assert descriptor["profile"] == "data-package" and descriptor["wacz_version"] == "1.2.0"
    assert descriptor["title"] == "Everything" and descriptor["description"]
    assert RFC3339.match(descriptor["created"]) and descriptor["software"].startswith(
        "vusta-crawler "
    )
    assert descriptor["home"]["url"] in (
        "https://vusta.vn/",
        "https://en.vusta.vn/",
    ) and RFC3339.match(  # the first fetched
        descriptor["home"]["ts"]
    )
    listed = {resource["path"]: resource for resource in descriptor["resources"]}
    assert set(listed) == set(files) - {"datapackage.json", "datapackage-digest.json"}
    assert {"indexes/index.cdxj", "pages/pages.jsonl"} <= set(listed)
    for path, resource in listed.items():
        assert resource["hash"] == "sha256:" + hashlib.sha256(files[path]).hexdigest(), path
        assert resource["bytes"] == len(files[path]), path
        assert resource["name"] == Path(path).name.lower()
    assert json.loads(files["datapackage-digest.json"]) == {
        "path": "datapackage.json",
        "hash": "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest(),
    }
    with zipfile.ZipFile(summary.path) as package:
        infos = package.infolist()
    warcs = [info for info in infos if info.filename.startswith("archive/")]
    assert [Path(info.filename).name for info in warcs] == list(summary.warc_files)
    assert all(info.compress_type == zipfile.ZIP_STORED for info in warcs)
    for info in warcs:
        original = crawled["db"].parent / "warc" / Path(info.filename).name
        assert files[info.filename] == original.read_bytes(), "the whole file, as it is"
    assert summary.size == summary.path.stat().st_size


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://vusta.vn/", "vn,vusta)/"),
        ("https://vusta.vn", "vn,vusta)/"),
        ("https://WWW.Vusta.VN/Tin-Tuc.html", "vn,vusta)/tin-tuc.html"),
        ("https://en.vusta.vn/news.html?page=2&b=1#top", "vn,vusta,en)/news.html?b=1&page=2"),
        ("http://vusta.vn:8080/a", "vn,vusta:8080)/a"),
        ("https://vusta.vn:443/a", "vn,vusta)/a"),
        ("https://vusta.vn/t%C3%A1c-gi%E1%BA%A3", "vn,vusta)/t%c3%a1c-gi%e1%ba%a3"),
        ("dns:vusta.vn", "dns:vusta.vn"),
    ],
)
def test_surt_keys(url: str, key: str) -> None:
    assert surt_key(url) == key


def test_surt_keys_of_every_captured_url_are_the_surt_packages(crawled: dict) -> None:
    surt = pytest.importorskip("surt")  # py-wacz's (and pywb's) SURT, installed with wacz
    with Archive(crawled["db"]) as archive:
        urls = [row[0] for row in archive.db.execute("SELECT DISTINCT url FROM captures")]
    assert len(urls) > 40
    for url in urls:
        assert surt_key(url) == surt.surt(url), url


def test_an_article_captured_under_an_alias_url_is_listed_under_that_url(crawled: dict) -> None:
    copy = crawled["db"].parent / "aliased.sqlite3"  # beside it: the WARC paths still resolve
    with sqlite3.connect(crawled["db"]) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with Archive(copy) as archive:
        captured = archive.db.execute(
            "SELECT url FROM articles WHERE url IN (SELECT url FROM captures WHERE run_id = ?) "
            "ORDER BY url LIMIT 1",
            (crawled["runs"][0],),
        ).fetchone()[0]
        archive.db.execute(
            "UPDATE articles SET url = ? WHERE url = ?", (captured + "?v=2", captured)
        )
        archive.db.execute(
            "INSERT INTO aliases (url, article, reason, first_seen) "
            "SELECT ?, id, 'test', '2026-01-01T00:00:00Z' FROM articles WHERE url = ?",
            (captured, captured + "?v=2"),
        )
        summary = write_wacz(archive, crawled["work"] / "aliased.wacz", run_id=crawled["runs"][0])
    listed = [page for page in pages(summary)[1:] if page["url"] == captured]
    assert len(listed) == 1 and summary.pages == crawled["first"].pages


def test_a_selection_by_date_holds_what_was_captured_since(crawled: dict) -> None:
    today = datetime.now(UTC).date()
    with Archive(crawled["db"]) as archive:
        since = write_wacz(archive, crawled["work"] / "since.wacz", since=today.isoformat())
        with pytest.raises(WaczError, match="nothing captured in captures since"):
            write_wacz(archive, crawled["work"] / "x.wacz", since=str(today + timedelta(days=1)))
        with pytest.raises(WaczError, match="YYYY-MM-DD"):
            write_wacz(archive, crawled["work"] / "x.wacz", since="3/12/2026")
    assert since.warc_files == crawled["all"].warc_files and since.pages == crawled["all"].pages
    assert not (crawled["work"] / "x.wacz").exists()


def test_an_unknown_run_is_a_wacz_error_and_writes_nothing(crawled: dict) -> None:
    output = crawled["work"] / "none.wacz"
    with Archive(crawled["db"]) as archive, pytest.raises(WaczError, match="no run 'nope'"):
        write_wacz(archive, output, run_id="nope")
    assert not output.exists()
    with Archive(crawled["db"]) as archive:  # a unique prefix of a run's id will do
        prefix = crawled["runs"][1][:-2]
        summary = write_wacz(archive, output, run_id=prefix)
    assert summary.warc_files == crawled["second"].warc_files


def test_a_missing_warc_file_is_a_wacz_error_naming_it(
    crawled: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "elsewhere.sqlite3"  # no warc/ beside this copy, nor in the cwd
    with sqlite3.connect(crawled["db"]) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "out.wacz"
    (warc,) = crawled["second"].warc_files
    with Archive(copy) as archive, pytest.raises(WaczError) as raised:
        write_wacz(archive, output, run_id=crawled["runs"][1])
    assert warc in str(raised.value) and "not found" in str(raised.value)
    assert "\n" not in str(raised.value) and not output.exists()
    assert not list(tmp_path.glob(".out.wacz.*")), "no temporary file left"


def test_the_command_line_writes_a_runs_package_and_refuses_what_does_not_apply(
    crawled: dict, tmp_path: Path
) -> None:
    base = [sys.executable, "-m", "vusta_crawler.cli", "export", "wacz", "--db", str(crawled["db"])]
    out = tmp_path / "run.wacz"
    done = subprocess.run([*base, "--run", crawled["runs"][0], "-o", str(out)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Wrote {out}: 1 WARC file(s)" in done.stderr and "30 pages" in done.stderr
    assert pages(write_wacz_summary(out))[1:] and zipfile.is_zipfile(out)
    for extra, message in [
        (["--run", crawled["runs"][0]], "needs -o FILE.wacz"),
        (["--run", crawled["runs"][0], "--since", "2026-01-01", "-o", str(out)], "not both"),
        (["--site", "vusta.vn", "-o", str(out)], "--site do not apply"),
        (["--run", "nosuchrun", "-o", str(tmp_path / "x.wacz")], "nosuchrun"),
    ]:
        refused = subprocess.run([*base, *extra], capture_output=True, text=True)
        assert refused.returncode == 2 and message in refused.stderr, (extra, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / "x.wacz").exists()
    jsonl = subprocess.run([*base[:-3], "jsonl", "--db", str(crawled["db"]), "--run", "x"],
                           capture_output=True, text=True)  # fmt: skip
    assert jsonl.returncode == 2 and "--run is for export wacz" in jsonl.stderr


def write_wacz_summary(path: Path) -> WaczSummary:
    return WaczSummary(path, (), 0, 0, (), path.stat().st_size)
