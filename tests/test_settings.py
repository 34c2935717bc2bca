"""The crawl's settings close what it does not use: no listening console or control server,
no download handler but http(s), and what is off is not even loaded."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.core.downloader.handlers import DownloadHandlers
from scrapy.exceptions import NotSupported
from scrapy.utils.test import get_crawler

from vusta_crawler.crawl.run import crawl_settings
from vusta_crawler.crawl.spiders.vusta import VustaSpider

OFF = [
    "scrapy.extensions.telnet.TelnetConsole",
    "scrapy.extensions.remote_control.RemoteControl",
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware",
]


def test_no_console_control_server_or_cookies(tmp_path: Path) -> None:
    settings = crawl_settings(tmp_path / "a.sqlite3", None)
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert not settings.getbool("COOKIES_ENABLED")
    enabled = {
        name: value
        for setting in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES")
        for name, value in settings.get_component_priority_dict_with_base(setting).items()
    }
    assert not any(enabled.get(name) is not None for name in OFF)


def test_what_is_off_is_not_loaded() -> None:
    # A fresh interpreter: the suite itself may have loaded these modules already.
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from vusta_crawler.crawl.run import crawl_settings\n"
        "s = crawl_settings(Path('x.sqlite3'), None)\n"
        "for name in ('EXTENSIONS', 'DOWNLOADER_MIDDLEWARES', 'SPIDER_MIDDLEWARES'):\n"
        "    s.get_component_priority_dict_with_base(name)\n"
        "print(json.dumps([m for m in ('aiohttp', 'tldextract') if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "data:text/html,<p>x</p>", "ftp://vusta.vn/a", "s3://vusta/a"],
)
def test_only_http_and_https_can_be_downloaded(url: str, tmp_path: Path) -> None:
    settings = crawl_settings(tmp_path / "a.sqlite3", None)
    handlers = settings.getwithbase("DOWNLOAD_HANDLERS")
    assert {scheme for scheme, path in handlers.items() if path is not None} == {"http", "https"}
    downloader = DownloadHandlers(get_crawler(VustaSpider, {"DOWNLOAD_HANDLERS": handlers}))
    with pytest.raises(NotSupported, match="Unsupported URL scheme"):
        asyncio.run(downloader.download_request_async(Request(url)))
