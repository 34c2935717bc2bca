"""An offline mirror of vusta.vn and en.vusta.vn on 127.0.0.1.

A mirror site is a folder with ``manifest.json`` (URL → file) and the files (or references to
saved fixture pages, ``fixture:article/<case>/page.html``, so the demo site holds no copies).
The server answers ``GET /<host>/<path>?<query>`` with the page saved for
``https://<host>/<path>?<query>`` and 404 otherwise, with an ETag (of the body) and the page's
Last-Modified when the manifest gives one; a conditional request that matches gets 304. The
crawl reaches it through :class:`vusta_crawler.crawl.handlers.MirrorDownloadHandler`, and still
sees the real URLs.
"""

from __future__ import annotations

import hashlib
import json
import threading
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from vusta_crawler.devtools.replay import FIXTURES_DIR
from vusta_crawler.extract.urls import canonical_url

MANIFEST = "manifest.json"
NOT_FOUND_PAGE = (
    b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>"
)


def real_url(path: str) -> str:
    """The inverse of :func:`mirror_url` for a request path: ``/vusta.vn/x`` → ``https://vusta.vn/x``."""
    host, _, rest = path.lstrip("/").partition("/")
    return f"https://{host}/{rest}"


class MirrorSite:
    """A mirror folder: its manifest and files."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        manifest_path = self.root / MANIFEST
        if not manifest_path.exists():
            raise FileNotFoundError(f"{self.root}: no {MANIFEST}: not a mirror site")
        self.manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        self.pages: dict[str, dict[str, str]] = {
            self._key(url): page for url, page in self.manifest["pages"].items()
        }

    @staticmethod
    def _key(url: str) -> str:
        return canonical_url(url) or url

    def path_of(self, file: str) -> Path:
        """A page's file: in the site's folder, or ``fixture:<kind>/<case>/page.html``."""
        if file.startswith("fixture:"):
            return FIXTURES_DIR / file.removeprefix("fixture:")
        return self.root / file

    def lookup(self, url: str) -> tuple[int, bytes, str]:
        """Status, body and content type served for ``url``."""
        page = self.pages.get(self._key(url))
        if page is None:
            return 404, NOT_FOUND_PAGE, "text/html; charset=utf-8"
        body = self.path_of(page["file"]).read_bytes()
        return int(page.get("status", 200)), body, page.get("content_type", "text/html")

    def last_modified(self, url: str) -> str | None:
        page = self.pages.get(self._key(url))
        return page.get("last_modified") if page is not None else None


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def not_modified(headers: Any, etag: str, last_modified: str | None) -> bool:
    """True when a conditional request's validators say the client's copy is current
    (RFC 9110: If-None-Match decides when present, else If-Modified-Since)."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        return etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match == "*"
    since = headers.get("If-Modified-Since")
    if since and last_modified:
        try:
            return parsedate_to_datetime(last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Server(ThreadingHTTPServer):
    # socketserver's backlog is 5: a crawl opening 16 connections at once would see SYNs
    # dropped and retried a second later, stalls no real web server makes it wait for.
    request_queue_size = 128


class MirrorServer:
    """The mirror on 127.0.0.1 in a background thread; ``requests`` lists the URLs asked for,
    ``not_modified`` those answered 304."""

    def __init__(self, site: MirrorSite, port: int = 0) -> None:
        self.site = site
        self.requests: list[str] = []
        self.not_modified: list[str] = []  # the URLs answered 304
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = real_url(self.path)
                mirror.requests.append(url)
                status, body, content_type = mirror.site.lookup(url)
                etag, modified = etag_of(body), mirror.site.last_modified(url)
                if status == 200 and not_modified(self.headers, etag, modified):
                    mirror.not_modified.append(url)
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(status)
                if status == 200:
                    self.send_header("ETag", etag)
                    if modified:
                        self.send_header("Last-Modified", modified)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the crawl's own log says what was fetched

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MirrorServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
