"""``vusta-crawler parse`` and ``fixture update``, run as a user runs them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vusta_crawler.cli import main
from vusta_crawler.devtools.replay import FIXTURES_DIR

SEED = FIXTURES_DIR / "article" / "seed_form_a" / "page.html"
LISTING = FIXTURES_DIR / "listing" / "tu_van_phan_bien_p169" / "page.html"
BROKEN = FIXTURES_DIR / "broken" / "widget_only_p66035" / "page.html"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "vusta_crawler.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, encoding="utf-8", check=False)


def test_parse_seed_page() -> None:
    result = run("parse", str(SEED), "--fetched-at", "2026-11-20T08:00:00Z")
    assert result.returncode == 0, result.stderr
    assert "\\u" not in result.stdout, "UTF-8, not \\u-escaped"
    item = json.loads(result.stdout)
    assert item["title"] == (
        "Đảng đoàn Liên hiệp các Hội Khoa học và Kỹ thuật Việt Nam làm việc với "
        "Ban Thường vụ Tỉnh ủy Sơn La"
    )
    assert item["published"] == "2021-12-08T15:42:00+07:00"
    assert item["published_raw"] == "Thứ tư, 08/12/2021 15:42 (GMT+7)"
    assert item["authors"] == ["TS. Lê Công Lương"]
    paragraphs = item["body_text"].split("\n\n")
    assert paragraphs[0].startswith("Chiều ngày 07/12/2021, tại thành phố Sơn La")
    assert paragraphs[-1].startswith("Phát biểu tại buổi làm việc, TSKH Phan Xuân Dũng")
    assert "Toàn cảnh buổi làm việc" not in item["body_text"], "captions are not body"
    assert "TS. Lê Công Lương" not in paragraphs[-1], "the author line is not body"
    assert [r["title"] for r in item["related"]] == [
        "Đoàn kết, phát triển Liên hiệp Hội Việt Nam vững mạnh",
        "Gặp mặt cán bộ hưu trí Xuân Giáp Thìn 2024",
        "Phát huy vai trò của Liên hiệp Hội Việt Nam trong tình hình mới",
    ]
    assert all(r["summary"] and r["summary"].startswith("Ngày 2") for r in item["related"])
    assert [r["title"][:20] for r in item["latest"]] == [
        "84 giải pháp đoạt gi",
        "Bí thư TW Đảng Nguyễ",
    ]
    assert item["latest"][0]["summary"].startswith("Tối 23/4, tại Nhà hát Lớn Hà Nội")
    assert item["latest"][1]["summary"].startswith("Phát biểu tại buổi làm việc với LHHVN")


def test_parse_keeps_order_and_reports_bad_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.html"
    result = run("parse", str(BROKEN), str(SEED), str(missing), str(LISTING))
    assert result.returncode == 2, "an unreadable file is bad input: exit 2 (no article: 1)"
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("reason") for line in lines] == [
        "give --url: the page names none",  # the broken page has no canonical link
        None,
        "No such file or directory",
        "give --url: the page names none",
    ]
    assert lines[1]["article_id"] == 65432, "one bad file never stops the others"
    errors = [line.get("error") for line in lines]
    assert errors == ["no_url", None, "unreadable", "no_url"]


def test_parse_url_option_overrides_the_page(tmp_path: Path) -> None:
    url = "https://vusta.vn/some-other-name-p1.html?utm_source=x"
    result = run("parse", str(SEED), "--url", url)
    assert json.loads(result.stdout)["url"] == "https://vusta.vn/some-other-name-p1.html"
    # A listing page under an article URL is still no article: its content says so.
    result = run("parse", str(LISTING), "--url", url)
    assert json.loads(result.stdout)["reason"] == "listing_page"
    result = run("parse", str(LISTING), "--url", "https://vusta.vn/tu-van-phan-bien.html?page=169")
    assert json.loads(result.stdout)["reason"] == "not_article_url"


def test_parse_without_any_url(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<html><body><h1>T</h1><p>x</p></body></html>", encoding="utf-8")
    result = run("parse", str(page))
    assert result.returncode == 1 and json.loads(result.stdout)["error"] == "no_url"


def test_fixture_update_rewrites_only_what_changed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR / "article" / "seed_form_a", root / "article" / "seed_form_a")
    expected = root / "article" / "seed_form_a" / "expected.json"
    good = expected.read_text(encoding="utf-8")
    assert main(["fixture", "update", "--root", str(root)]) == 0
    assert "0 expected.json" in capsys.readouterr().out
    expected.write_text(good.replace("Sơn La", "Hà Nội"), encoding="utf-8")
    assert main(["fixture", "update", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "1 expected.json" in out and "-" in out and "Hà Nội" in out, "prints the diff"
    assert expected.read_text(encoding="utf-8") == good
