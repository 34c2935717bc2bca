"""WARC capture: records written with warcio and read back, revisits of both profiles, file
rotation, and a crawl of a mirror whose every stored article's page is in the WARC files with
the payload digest of what the mirror served."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from vusta_crawler.capture.warc import (
    PROFILE_IDENTICAL,
    PROFILE_NOT_MODIFIED,
    Fetch,
    WarcFiles,
)
from vusta_crawler.crawl.capture import CAPTURE_META, WarcCaptureMiddleware
from vusta_crawler.crawl.spiders.vusta import VustaSpider
from vusta_crawler.devtools.mirror import MirrorServer, MirrorSite
from vusta_crawler.devtools.sitegen import build_generated_site
from vusta_crawler.store.archive import Archive

URL = "https://vusta.vn/tin-a-p1.html"
PAGE = "<html><body><h1>Tin mới</h1><p>Nội dung bài viết.</p></body></html>".encode()


def fetch(status: int = 200, body: bytes = PAGE, url: str = URL) -> Fetch:
    return Fetch(
        url, "GET", [("Host", "vusta.vn"), ("User-Agent", "vusta-crawler")], status,
        "OK" if status == 200 else "Not Modified",
        [("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked")],
        body, datetime(2026, 12, 3, 1, 2, 3, 456789, tzinfo=UTC),
    )  # fmt: skip


def sha1_digest(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()


def records(path: Path) -> list[dict]:
    found = []
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        for record in iterator:
            body = record.content_stream().read()
            found.append({
                "type": record.rec_type, "url": record.rec_headers["WARC-Target-URI"],
                "headers": dict(record.rec_headers.headers), "body": body,
                "offset": iterator.get_record_offset(),
                "status": record.http_headers.get_statuscode() if record.http_headers else None,
            })  # fmt: skip
    return found


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import sys, warcio.cli; sys.exit(warcio.cli.main())", "check",
         "-v", str(path)], capture_output=True, text=True,
    )  # fmt: skip


def test_a_fetch_is_a_response_and_a_request_record_after_the_files_warcinfo(
    tmp_path: Path,
) -> None:
    files = WarcFiles(tmp_path, "run-1", info={"operator": "archivist@example.org"})
    capture = files.write(fetch())
    files.close()
    path = tmp_path / "run-1-00001.warc.gz"
    assert files.names == [path.name] and capture.warc_file == str(path)
    written = records(path)
    assert [r["type"] for r in written] == ["warcinfo", "response", "request"]
    info = written[0]["body"].decode()
    assert "run-id: run-1" in info and "operator: archivist@example.org" in info
    response, request = written[1], written[2]
    assert response["body"] == PAGE and response["status"] == "200"
    assert response["headers"]["WARC-Payload-Digest"] == sha1_digest(PAGE) == capture.payload_digest
    assert response["headers"]["WARC-Record-ID"] == capture.record_id
    assert response["headers"]["WARC-Date"] == "2026-12-03T01:02:03.456789Z" == capture.date
    assert request["headers"]["WARC-Concurrent-To"] == capture.record_id
    assert response["offset"] == capture.offset
    assert check(path).returncode == 0, check(path).stdout


def test_the_same_payload_again_is_a_revisit_and_a_304_is_a_server_not_modified_one(
    tmp_path: Path,
) -> None:
    files = WarcFiles(tmp_path, "run-1")
    first = files.write(fetch())
    earlier = first.original
    same = files.write(fetch(), earlier)
    changed = files.write(fetch(body=PAGE + "<!-- sửa -->".encode()), earlier)
    not_modified = files.write(fetch(status=304, body=b""), earlier)
    files.close()
    assert [c.record_type for c in (first, same, changed, not_modified)] == [
        "response",
        "revisit",
        "response",
        "revisit",
    ]
    by_id = {r["headers"]["WARC-Record-ID"]: r for r in records(tmp_path / files.names[0])}
    identical = by_id[same.record_id]["headers"]
    assert identical["WARC-Profile"] == PROFILE_IDENTICAL
    assert identical["WARC-Refers-To-Target-URI"] == URL
    assert identical["WARC-Refers-To-Date"] == first.date
    assert identical["WARC-Payload-Digest"] == first.payload_digest
    assert by_id[same.record_id]["body"] == b"", "a revisit keeps the headers, not the body"
    server = by_id[not_modified.record_id]
    assert server["headers"]["WARC-Profile"] == PROFILE_NOT_MODIFIED
    assert server["status"] == "304" and server["headers"]["WARC-Refers-To-Date"] == first.date
    assert not_modified.payload_digest == first.payload_digest, "the content is the earlier one"
    assert check(tmp_path / files.names[0]).returncode == 0


def test_a_run_keeps_for_revisits_only_the_answers_that_can_come_again(tmp_path: Path) -> None:
    """A retried answer (a 503) is remembered, and the same answer again is a revisit; a
    page's 200 is not (the run asks each URL once), so the run's memory does not grow with
    the pages it fetched."""
    crawler = get_crawler(VustaSpider, {"VUSTA_WARC_DIR": str(tmp_path)})
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    failing = "https://vusta.vn/tin-b-p2.html"

    def answer(url: str, status: int, body: bytes) -> str:
        request = Request(url)
        middleware.process_response(request, HtmlResponse(url, status=status, body=body))
        return request.meta[CAPTURE_META].record_type

    pages = [answer(f"https://vusta.vn/tin-{n}-p{n}.html", 200, PAGE) for n in range(1, 50)]
    retried = [answer(failing, 503, b"<p>busy</p>") for _ in range(3)]
    middleware.spider_closed()
    assert pages == ["response"] * 49
    assert retried == ["response", "revisit", "revisit"], "the same 503 again is a revisit"
    assert list(middleware.earlier) == [failing], "no 200 of this run is kept"


def test_files_rotate_by_size_each_with_its_warcinfo(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, "run-2", max_size=1000)
    captures = [files.write(fetch(body=PAGE * 4, url=f"{URL}?{n}")) for n in range(6)]
    files.close()
    assert len(files.names) >= 3 and files.names[1] == "run-2-00002.warc.gz"
    for name in files.names:
        written = records(tmp_path / name)
        assert written[0]["type"] == "warcinfo" and len(written) > 1
    assert {Path(c.warc_file).name for c in captures} == set(files.names)


# --- a crawl -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("capture")
    site, db = work / "site", work / "data" / "vusta.sqlite3"
    build_generated_site(site, 60, newest=datetime.now(UTC) - timedelta(hours=1))
    with MirrorServer(MirrorSite(site)) as server:
        command = [sys.executable, "-m", "vusta_crawler.cli", "crawl", "--mirror", server.url,
                   "--db", str(db), "--no-progress"]  # fmt: skip
        runs = [subprocess.run(command, capture_output=True, text=True, timeout=300) for _ in "12"]
        requested = list(server.requests)
        runs.append(subprocess.run([*command, "--full"], capture_output=True, text=True))
    return {"site": site, "db": db, "runs": runs, "requested": requested}


def test_a_crawl_captures_every_response_beside_the_database(crawled: dict) -> None:
    assert [run.returncode for run in crawled["runs"]] == [0, 0, 0], crawled["runs"][0].stderr
    warcs = sorted((crawled["db"].parent / "warc").glob("*.warc.gz"))[:2]
    assert len(warcs) == 2, "one file per run (far under 100 MB each)"
    written = [record for path in warcs for record in records(path)]
    for path in warcs:
        assert check(path).returncode == 0, check(path).stdout
    targets = [r["url"] for r in written if r["type"] in ("response", "revisit")]
    assert sorted(targets) == sorted(crawled["requested"]), "every response, nothing more"
    assert {r["url"] for r in written if r["type"] == "request"} == set(targets)
    manifest = json.loads((crawled["site"] / "manifest.json").read_text(encoding="utf-8"))
    with Archive(crawled["db"]) as archive:
        stored = [row[0] for row in archive.db.execute("SELECT url FROM articles")]
    responses = {r["url"]: r for r in written if r["type"] == "response"}
    assert len(stored) == 60
    for url in stored:
        served = (crawled["site"] / manifest["pages"][url]["file"]).read_bytes()
        assert responses[url]["headers"]["WARC-Payload-Digest"] == sha1_digest(served), url
        assert responses[url]["body"] == served
    robots = [
        r for r in written if (r["url"] or "").endswith("/robots.txt") and r["type"] != "request"
    ]
    assert len(robots) == 4, "robots.txt of both hosts, in each run"


def test_a_recheck_answered_304_is_captured_as_a_server_not_modified_revisit(
    crawled: dict,
) -> None:
    second = sorted((crawled["db"].parent / "warc").glob("*.warc.gz"))[1]
    revisits = [r for r in records(second) if r["type"] == "revisit"]
    profiles = {r["headers"]["WARC-Profile"]: [] for r in revisits}
    for r in revisits:
        profiles[r["headers"]["WARC-Profile"]].append(r["status"])
    assert set(profiles[PROFILE_NOT_MODIFIED]) == {"304"}, "the recent articles re-checked"
    assert "200" in profiles[PROFILE_IDENTICAL], (
        "robots.txt, sitemaps, listings again (and the 404)"
    )
    assert not [r for r in records(second) if r["type"] == "response" and r["status"] == "200"
                and r["url"] in {u for u in crawled["requested"] if "sitemap" in u}]  # fmt: skip


def test_each_article_names_the_record_its_content_came_from(crawled: dict) -> None:
    manifest = json.loads((crawled["site"] / "manifest.json").read_text(encoding="utf-8"))
    with Archive(crawled["db"]) as archive:
        rows = archive.db.execute(
            "SELECT articles.url, captures.* FROM articles "
            "JOIN captures ON captures.record_id = articles.capture_id"
        ).fetchall()
        assert len(rows) == archive.count() == 60, "every article linked"
        paths = {row["warc_file"]: archive.warc_path(row["warc_file"]) for row in rows}
    assert all(not Path(name).is_absolute() for name in paths), "named inside the archive folder"
    for row in rows:
        with paths[row["warc_file"]].open("rb") as stream:
            stream.seek(row["offset"])
            record = next(iter(ArchiveIterator(stream)))
            body = record.content_stream().read()
        served = (crawled["site"] / manifest["pages"][row["url"]]["file"]).read_bytes()
        assert record.rec_type == "response" and body == served
        assert record.rec_headers["WARC-Record-ID"] == row["record_id"]
        assert record.rec_headers["WARC-Payload-Digest"] == row["payload_digest"]
        assert record.rec_headers["WARC-Target-URI"] == row["url"]


def test_a_full_run_over_unchanged_pages_writes_revisits_to_the_first_capture(
    crawled: dict,
) -> None:
    first, _, full = sorted((crawled["db"].parent / "warc").glob("*.warc.gz"))
    originals = {r["url"]: r for r in records(first) if r["type"] == "response"}
    with Archive(crawled["db"]) as archive:
        articles = [row[0] for row in archive.db.execute("SELECT url FROM articles")]
    again = {r["url"]: r for r in records(full) if r["type"] == "revisit"}
    assert set(articles) <= set(again), "no article's page stored twice"
    for url in articles:
        headers = again[url]["headers"]
        assert headers["WARC-Profile"] == PROFILE_IDENTICAL
        assert headers["WARC-Refers-To-Date"] == originals[url]["headers"]["WARC-Date"]
        assert headers["WARC-Payload-Digest"] == originals[url]["headers"]["WARC-Payload-Digest"]
    assert check(full).returncode == 0


def test_exports_name_each_articles_record_and_capture_time(crawled: dict, tmp_path: Path) -> None:
    from importlib import resources

    import jsonschema

    schema = json.loads(
        resources.files("vusta_crawler").joinpath("schemas/article.schema.json").read_text("utf-8")
    )
    base = [sys.executable, "-m", "vusta_crawler.cli", "export"]
    jsonl, feed = tmp_path / "items.jsonl", tmp_path / "feed.json"
    for fmt, out in (("jsonl", jsonl), ("jsonfeed", feed)):
        done = subprocess.run([*base, fmt, "--db", str(crawled["db"]), "-o", str(out)],
                              capture_output=True, text=True)  # fmt: skip
        assert done.returncode == 0, done.stderr
    with Archive(crawled["db"]) as archive:
        expected = {
            row["url"]: {"record_id": row["record_id"], "captured_at": row["captured_at"]}
            for row in archive.db.execute(
                "SELECT articles.url, captures.record_id, captures.captured_at FROM articles "
                "JOIN captures ON captures.record_id = articles.capture_id"
            )
        }
    items = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert len(items) == len(expected) == 60
    for item in items:
        jsonschema.validate(item, schema)
        assert item["capture"] == expected[item["url"]]
        assert item["capture"]["captured_at"].endswith("Z")
    entries = json.loads(feed.read_text(encoding="utf-8"))["items"]
    assert {e["url"]: e["_vusta"]["capture"] for e in entries} == expected


def test_a_record_reads_back_as_the_decoded_page_and_a_cut_one_is_refused(tmp_path: Path) -> None:
    import gzip

    from vusta_crawler.capture.read import CaptureReadError, read_page

    encoded = Fetch(URL, "GET", [("Host", "vusta.vn")], 200, "OK",
                    [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                    gzip.compress(PAGE * 50), datetime(2026, 12, 3, tzinfo=UTC))  # fmt: skip
    files = WarcFiles(tmp_path, "run-1")
    capture = files.write(encoded)
    files.close()
    page = read_page(Path(capture.warc_file), capture.offset)
    assert page.body == PAGE * 50 and page.record_id == capture.record_id
    assert page.response().meta["fetched_at"] == capture.date
    assert page.response().text.startswith("<html>")
    path = Path(capture.warc_file)
    data = path.read_bytes()
    path.write_bytes(data[: capture.offset + capture.length // 2])
    with pytest.raises(CaptureReadError):
        read_page(path, capture.offset)


def test_repair_cuts_a_file_back_to_its_whole_records(tmp_path: Path) -> None:
    import gzip

    from vusta_crawler.capture.repair import repair, run_of, unfinished_files

    files = WarcFiles(tmp_path, "20261203T010203Z-abc123")
    files.write(fetch())
    files.write(fetch(url="https://vusta.vn/tin-b-p2.html"))
    files.close()
    (path,) = tmp_path.glob("*.warc.gz")
    whole = path.read_bytes()
    assert repair(path) is None and path.read_bytes() == whole, "a whole file is left alone"
    path.write_bytes(whole + whole[-300:-100])  # the middle of a record's gzip member
    found = repair(path)
    assert found is not None and (found.records, found.trimmed_bytes) == (5, 200)
    assert path.read_bytes() == whole and gzip.decompress(whole).startswith(b"WARC/1.1")
    assert run_of(path) == "20261203T010203Z-abc123"
    assert unfinished_files(tmp_path, ["20261203T010203Z-abc123"]) == []
    assert unfinished_files(tmp_path, []) == [path]
    path.write_bytes(whole[:50])  # not even the warcinfo record whole: nothing to keep
    assert repair(path) is not None and not path.exists()
