"""An offline mirror of vusta.vn and en.vusta.vn on 127.0.0.1, which can also misbehave.

A mirror site is a folder with ``manifest.json`` (URL → file, and optionally its ``status``,
``content_type``, ``last_modified``, ``content_encoding``) and the files (or references to
saved fixture pages, ``fixture:article/<case>/page.html``, so the demo site holds no copies).
The server answers ``GET /<host>/<path>?<query>`` with the page saved for
``https://<host>/<path>?<query>`` and 404 otherwise, with an ETag (of the body) and the page's
Last-Modified when the manifest gives one; a conditional request that matches gets 304. The
crawl reaches it through :class:`vusta_crawler.crawl.handlers.MirrorDownloadHandler`, and still
sees the real URLs (a redirect's ``Location: https://vusta.vn/…`` too: the handler maps it back
to the mirror; any other URL reaches the mirror as ``/<its host>/…`` if the crawl lets it out).

With a :class:`~vusta_crawler.devtools.faults.FaultSpec` it injects faults (server errors,
hangs, resets, cut-off and slow bodies, redirect loops, off-site redirects) into a seeded,
reproducible share of the pages' first requests, and its :class:`RequestLog` says what was asked
and what each request got.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vusta_crawler.devtools import faults
from vusta_crawler.devtools.faults import FaultSpec, Injection, Reply, Stage
from vusta_crawler.devtools.replay import FIXTURES_DIR
from vusta_crawler.extract.urls import canonical_url, is_vusta_host

MANIFEST = "manifest.json"
NOT_FOUND_PAGE = (
    b"<!DOCTYPE html><html><head><title>404</title></head><body>Not found</body></html>"
)
POLL_SECONDS = 0.05
"""How often the serving loop looks for a stop: stopping takes this long at most (0.5 s was
socketserver's default, a wait each test paid)."""
LOG_CAP = 200_000
"""Requests a :class:`RequestLog` keeps in full (about 200 bytes each); later ones are counted."""


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
            self.key(url): page for url, page in self.manifest["pages"].items()
        }

    @staticmethod
    def key(url: str) -> str:
        """The page a URL asks for: its canonical form (URL variants are one page)."""
        return canonical_url(url) or url

    def path_of(self, file: str) -> Path:
        """A page's file: in the site's folder, or ``fixture:<kind>/<case>/page.html``."""
        if file.startswith("fixture:"):
            return FIXTURES_DIR / file.removeprefix("fixture:")
        return self.root / file

    def lookup(self, url: str) -> tuple[int, bytes, str]:
        """Status, body and content type served for ``url``."""
        page = self.pages.get(self.key(url))
        if page is None:
            return 404, NOT_FOUND_PAGE, "text/html; charset=utf-8"
        body = self.path_of(page["file"]).read_bytes()
        return int(page.get("status", 200)), body, page.get("content_type", "text/html")

    def last_modified(self, url: str) -> str | None:
        page = self.pages.get(self.key(url))
        return page.get("last_modified") if page is not None else None

    def content_encoding(self, url: str) -> str | None:
        """The page's ``Content-Encoding`` (its file is then stored encoded, e.g. gzip)."""
        page = self.pages.get(self.key(url))
        return page.get("content_encoding") if page is not None else None


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


# --- the request log ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Requested:
    """One request the mirror received.

    ``url``: the URL it stands for (``https://<host>/<path>?<query>``, whatever the host; the
    trap's are ``http://127.0.0.1:<port>/…``); ``fault``: the kind injected, None when answered
    as the site would; ``status``: the status line sent, None when none was (hang, reset);
    ``attempt``: its number among its page's requests (1 for the first), 0 for URLs faults
    never apply to (404s, robots.txt, a loop's partner URL).
    """

    url: str
    fault: str | None = None
    status: int | None = None
    attempt: int = 0


OTHER_HOSTS = "(other hosts)"
"""The key ``RequestLog.hosts`` counts hosts under once it holds ``cap`` distinct ones."""


@dataclass
class RequestLog:
    """Every request the mirror received, in bounded memory.

    Kept in full: the first ``cap`` requests (``entries``, in the order received), and the
    first ``cap`` distinct URLs off vusta.vn and en.vusta.vn (``offsite``). Counted for all of
    them: ``total``, ``faults`` (requests by injected kind), ``hosts`` (requests by host asked
    for; past ``cap`` distinct hosts, new ones under :data:`OTHER_HOSTS`), ``offsite_total``
    (requests off the two hosts). So ``total == len(entries)`` until the cap, and a zero
    ``offsite_total`` proves nothing off the sites was asked for, however long the run.
    """

    cap: int = LOG_CAP
    entries: list[Requested] = field(default_factory=list)
    total: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    hosts: Counter[str] = field(default_factory=Counter)
    offsite: set[str] = field(default_factory=set)
    offsite_total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, entry: Requested) -> None:
        host = urlsplit(entry.url).hostname or ""
        with self.lock:
            self.total += 1
            if len(self.entries) < self.cap:
                self.entries.append(entry)
            if entry.fault is not None:
                self.faults[entry.fault] += 1
            self.hosts[
                host if host in self.hosts or len(self.hosts) < self.cap else OTHER_HOSTS
            ] += 1
            if not is_vusta_host(host):
                self.offsite_total += 1
                if len(self.offsite) < self.cap:
                    self.offsite.add(entry.url)

    @property
    def dropped(self) -> int:
        """Requests only counted, past the cap."""
        return self.total - len(self.entries)


# --- the server -----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    # socketserver's backlog is 5: a crawl opening 16 connections at once would see SYNs
    # dropped and retried a second later, stalls no real web server makes it wait for.
    request_queue_size = 128
    daemon_threads = True  # (ThreadingHTTPServer's default) stopping never waits for a hang

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that gave up on a slow or broken answer: what faults are for
        super().handle_error(request, client_address)


class MirrorServer:
    """The mirror on 127.0.0.1 in a background thread.

    ``faults`` (default none) and ``seed`` choose which pages' first requests misbehave: only
    pages the manifest serves with 200 (articles, listings, sitemaps; robots.txt only with
    ``FaultSpec.robots``), never an answer that is a 304. ``log`` records every request
    (:class:`RequestLog`, ``log_cap`` of them in full); ``requests`` lists the URLs of the
    logged ones, ``not_modified`` those answered 304, ``faults_injected`` counts faults by kind.
    With ``redirect_offsite`` faults, a trap server on another loopback port (``trap_port``)
    logs into the same log whatever reaches it.
    """

    def __init__(
        self,
        site: MirrorSite,
        port: int = 0,
        faults: FaultSpec | None = None,
        seed: int = 0,
        log_cap: int = LOG_CAP,
    ) -> None:
        self.site = site
        self.faults = faults
        self.seed = seed
        self.log = RequestLog(cap=log_cap)
        self._stopping = threading.Event()
        self._pages: dict[str, _PageState] = {}  # pages faults apply to: bounded by the manifest
        self._pages_lock = threading.Lock()
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                mirror._answer(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the crawl's own log says what was fetched

        class TrapHandler(Handler):
            def do_GET(self) -> None:
                mirror._answer_trap(self)

        self.httpd = _Server(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, args=(POLL_SECONDS,), daemon=True
        )
        self.trap: _Server | None = None
        if faults is not None and faults.rate("redirect_offsite"):
            self.trap = _Server(("127.0.0.1", 0), TrapHandler)
        self._stage = Stage(faults, self._stopping, self.trap_port) if faults else None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def trap_port(self) -> int:
        """The loopback port ``redirect_offsite`` points at (0 without a trap)."""
        return int(self.trap.server_address[1]) if self.trap is not None else 0

    @property
    def requests(self) -> list[str]:
        """The URLs asked for, in order (the logged ones: the first ``log_cap``)."""
        return [entry.url for entry in self.log.entries]

    @property
    def not_modified(self) -> list[str]:
        """The URLs answered 304 (of the logged requests)."""
        return [entry.url for entry in self.log.entries if entry.status == 304]

    @property
    def faults_injected(self) -> Counter[str]:
        """Requests that got a fault, by kind (a loop partner's redirect back counts too)."""
        return self.log.faults

    def faulted_last(self) -> list[str]:
        """The pages (canonical URLs) whose latest request got a fault that left the client
        without the page (any kind but ``trickle``): what a crawl that stopped there lacks, or
        holds cut off (``truncate_nolength`` looks whole to a client)."""
        with self._pages_lock:
            return sorted(
                key
                for key, page in self._pages.items()
                if page.last_fault is not None and faults.BY_NAME[page.last_fault].spoils
            )

    def attempts(self, url: str) -> int:
        """How many requests the page at ``url`` has had (counted for pages faults apply to)."""
        with self._pages_lock:
            page = self._pages.get(self.site.key(url))
            return page.requests if page is not None else 0

    def start(self) -> MirrorServer:
        self.thread.start()
        if self.trap is not None:
            threading.Thread(
                target=self.trap.serve_forever, args=(POLL_SECONDS,), daemon=True
            ).start()
        return self

    def stop(self) -> None:
        """Stop serving now: hung and trickling answers are cut short, not waited for."""
        self._stopping.set()
        for server in (self.httpd, self.trap):
            if server is not None:
                server.shutdown()
                server.server_close()

    def __enter__(self) -> MirrorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- answering ----------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        """Log the request, then answer it: as the site would, or with its injected fault."""
        url, spec = real_url(handler.path), self.faults
        origin = faults.loop_origin(url) if spec is not None else None
        if origin is not None:  # a loop's partner: back to where the loop started
            self.log.add(Requested(url, "redirect_loop", 302))
            handler.close_connection = True
            faults.redirect(handler, origin)
            return
        status, body, content_type = self.site.lookup(url)
        etag, modified = etag_of(body), self.site.last_modified(url)
        attempt = self._count(url) if spec is not None and self._faultable(url, status) else 0
        if status == 200 and not_modified(handler.headers, etag, modified):
            self._note(url, attempt, None)
            self.log.add(Requested(url, None, 304, attempt))
            faults.send(handler, 304, [("ETag", etag)])
            return
        injection = None
        if spec is not None and attempt:
            injection = spec.choose(self.seed, self.site.key(url), attempt)
            self._note(url, attempt, injection)
        headers = [("ETag", etag)] if status == 200 else []
        if status == 200 and modified:
            headers.append(("Last-Modified", modified))
        if encoding := self.site.content_encoding(url):
            headers.append(("Content-Encoding", encoding))
        if injection is not None and self._stage is not None:
            kind = injection.kind
            self.log.add(Requested(url, kind, faults.BY_NAME[kind].status, attempt))
            reply = Reply(url, body, content_type, tuple(headers))
            faults.misbehave(handler, injection, reply, self._stage)
            return
        self.log.add(Requested(url, None, status, attempt))
        headers += [("Content-Type", content_type), ("Content-Length", str(len(body)))]
        faults.send(handler, status, headers, body)

    def _answer_trap(self, handler: BaseHTTPRequestHandler) -> None:
        self.log.add(Requested(f"http://127.0.0.1:{self.trap_port}{handler.path}", None, 404))
        page = NOT_FOUND_PAGE
        faults.send(
            handler, 404, [("Content-Type", "text/html"), ("Content-Length", str(len(page)))], page
        )

    def _faultable(self, url: str, status: int) -> bool:
        if status != 200:
            return False
        is_robots = urlsplit(url).path == "/robots.txt"
        return not is_robots or bool(self.faults and self.faults.robots)

    def _count(self, url: str) -> int:
        """This request's attempt number for its page (from 1)."""
        with self._pages_lock:
            page = self._pages.setdefault(self.site.key(url), _PageState())
            page.requests += 1
            return page.requests

    def _note(self, url: str, attempt: int, injection: Injection | None) -> None:
        """What the page's ``attempt``-th request got (kept if no later attempt was noted)."""
        if not attempt:
            return
        with self._pages_lock:
            page = self._pages[self.site.key(url)]
            if attempt >= page.last_attempt:
                page.last_attempt = attempt
                page.last_fault = injection.kind if injection is not None else None


@dataclass(slots=True)
class _PageState:
    """A page's requests so far, and what the latest noted one got."""

    requests: int = 0
    last_attempt: int = 0
    last_fault: str | None = None
