"""The misbehaving mirror: fault specs, the seeded choice of faults, each fault kind as a plain
HTTP client sees it on 127.0.0.1, transience, and the bounded request log."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from vusta_crawler.crawl.handlers import mirror_url
from vusta_crawler.devtools.faults import (
    KINDS,
    LOOP_MARK,
    OFFSITE_TARGETS,
    SERVE,
    FaultSpec,
    loop_origin,
    loop_partner,
)
from vusta_crawler.devtools.mirror import OTHER_HOSTS, MirrorServer, MirrorSite, Requested

PAGES = 2000
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Tin mới - VUSTA</title></head>"
    "<body><h1>Tin mới</h1>"
    + "".join(f"<p>Đoạn {k}: nội dung bài viết của Liên hiệp các Hội.</p>" for k in range(60))
    + "</body></html>"
).encode()
LAST_MODIFIED = "Fri, 28 Jun 2024 02:05:00 GMT"
ROBOTS = "https://vusta.vn/robots.txt"
MISSING = "https://vusta.vn/khong-co-p99999.html"
EXAMPLE = (
    "500=0.03,502=0.02,503=0.03,429=0.03,hang=0.02,reset=0.02,truncate=0.02,"
    "truncate_nolength=0.02,trickle=0.01,redirect_loop=0.01,redirect_offsite=0.01"
)


def article(number: int) -> str:
    host = "en.vusta.vn" if number % 5 == 0 else "vusta.vn"
    return f"https://{host}/bai-viet-{number}-p{number}.html"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> MirrorSite:
    root = tmp_path_factory.mktemp("faults")
    (root / "page.html").write_bytes(PAGE)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n")
    pages = {
        article(n): {"file": "page.html", "content_type": "text/html; charset=utf-8",
                     "last_modified": LAST_MODIFIED}
        for n in range(PAGES)
    }  # fmt: skip
    pages[ROBOTS] = {"file": "robots.txt", "content_type": "text/plain"}
    (root / "manifest.json").write_text(json.dumps({"pages": pages}), encoding="utf-8")
    return MirrorSite(root)


def connect(server: MirrorServer, timeout: float = 5.0) -> http.client.HTTPConnection:
    host, port = server.httpd.server_address[:2]
    return http.client.HTTPConnection(str(host), int(port), timeout=timeout)


def ask(
    server: MirrorServer, url: str, timeout: float = 5.0, headers: dict[str, str] | None = None
) -> tuple[int, http.client.HTTPResponse, bytes]:
    """GET ``url`` (a real URL) from the mirror as the crawl's download handler would."""
    connection = connect(server, timeout)
    parts = urlsplit(mirror_url(server.url, url))
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                           headers=headers or {})  # fmt: skip
        response = connection.getresponse()
        return response.status, response, response.read()
    finally:
        connection.close()


def raw_get(server: MirrorServer, url: str, timeout: float = 5.0) -> socket.socket:
    """A socket that has sent a GET for ``url`` and not read the answer."""
    host, port = server.httpd.server_address[:2]
    sock = socket.create_connection((str(host), int(port)), timeout=timeout)
    path = urlsplit(mirror_url(server.url, url)).path
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: mirror\r\n\r\n".encode())
    return sock


def only(kind: str, **options: float | int | bool) -> FaultSpec:
    return FaultSpec.parse(f"{kind}=1", **options)  # type: ignore[arg-type]


# --- the spec ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rates"),
    [
        ("500=0.03,hang=0.02", {"500": 0.03, "hang": 0.02}),
        (" 429 = 0.25 , 503=0.5 ", {"503": 0.5, "429": 0.25}),
        ("", {}),
        ("500=0,trickle=1", {"trickle": 1.0}),
        ("redirect_loop=0.01,redirect_offsite=0.01",
         {"redirect_loop": 0.01, "redirect_offsite": 0.01}),
        ("transient=0.2,redirect_loop=0.01,redirect_offsite=0.01",
         {kind: rate for kind, rate in FaultSpec.parse(EXAMPLE).rates}),
        ("transient=0.5", {"500": 0.075, "502": 0.05, "503": 0.075, "429": 0.075, "hang": 0.05,
                           "reset": 0.05, "truncate": 0.05, "truncate_nolength": 0.05,
                           "trickle": 0.025}),
    ],
)  # fmt: skip
def test_a_spec_parses_to_rates_in_the_declared_order(text: str, rates: dict[str, float]) -> None:
    spec = FaultSpec.parse(text)
    order = [kind.name for kind in KINDS]
    assert dict(spec.rates) == pytest.approx(rates)
    assert [kind for kind, _ in spec.rates] == sorted(rates, key=order.index)
    assert FaultSpec.parse(str(spec)) == spec, "the text form reads back"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("500", r"'500': not NAME=RATE"),
        ("=0.1", r"'=0.1': not NAME=RATE"),
        ("404=0.1", r"'404=0.1': unknown kind '404' \(known: 500, .*transient\)"),
        ("Hang=0.1", r"unknown kind 'Hang'"),
        ("hang=x", r"'hang=x': the rate 'x' is not a number"),
        ("hang=1.5", r"'hang=1.5': the rate must be in \[0, 1\]"),
        ("hang=-0.1", r"'hang=-0.1': the rate must be in \[0, 1\]"),
        ("hang=nan", r"'hang=nan': the rate must be in \[0, 1\]"),
        ("500=0.6,502=0.5", r"the rates sum to 1.1, more than 1"),
        ("transient=0.9,redirect_loop=0.2", r"the rates sum to 1.1, more than 1"),
        ("500=0.1,500=0.2", r"'500=0.2': 500 is given twice"),
        ("transient=0.2,503=0.1", r"'503=0.1': 503 is given twice"),
    ],
)
def test_a_bad_spec_is_refused_in_one_line_naming_the_part(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        FaultSpec.parse(text)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "options",
    [{"attempts": 0}, {"hang_seconds": 0.0}, {"trickle_seconds": -1.0}, {"rates": (("x", 0.1),)}],
)
def test_a_spec_checks_its_fields(options: dict) -> None:
    with pytest.raises(ValueError):
        FaultSpec(**options)


def test_the_choice_is_a_pure_function_of_seed_url_and_attempt() -> None:
    spec = FaultSpec.parse("transient=0.5", attempts=2)
    urls = [article(n) for n in range(300)]
    first = [spec.choose(3, url, 1) for url in urls]
    assert first == [spec.choose(3, url, 1) for url in urls]
    assert first != [spec.choose(4, url, 1) for url in urls], "the seed matters"
    assert first != [spec.choose(3, url, 2) for url in urls], "each attempt has its own draw"
    assert all(spec.choose(3, url, 3) is None for url in urls), "past `attempts`, none"


# --- reproducible, at the rates asked for ----------------------------------------------------


def test_the_same_pages_get_the_same_faults_at_the_rates_of_the_spec(site: MirrorSite) -> None:
    text = "500=0.05,502=0.05,503=0.05,429=0.05,redirect_loop=0.05,redirect_offsite=0.05"
    spec = FaultSpec.parse(text)
    urls = [article(n) for n in range(PAGES)]

    def faults_of(server: MirrorServer) -> dict[str, str | None]:
        return {entry.url: entry.fault for entry in server.log.entries}

    with MirrorServer(site, faults=spec, seed=7) as one, ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda url: ask(one, url)[0], urls))  # two at a time
    with MirrorServer(site, faults=spec, seed=7) as two:
        for url in reversed(urls[:200]):
            ask(two, url)
    with MirrorServer(site, faults=spec, seed=8) as other:
        for url in urls[:200]:
            ask(other, url)
    seen = faults_of(one)
    assert len(seen) == PAGES and faults_of(two) == {url: seen[url] for url in urls[:200]}
    assert faults_of(other) != faults_of(two), "another seed, other faults"
    counts = Counter(fault for fault in seen.values())
    for kind, rate in spec.rates:
        assert abs(counts[kind] / PAGES - rate) < 0.02, (kind, counts[kind])
    assert abs(sum(one.faults_injected.values()) / PAGES - spec.total) < 0.04
    assert one.faults_injected == Counter({k: c for k, c in counts.items() if k is not None})
    status_of = {None: 200, **{kind.name: kind.status for kind in KINDS}}
    assert statuses == [status_of[seen[url]] for url in urls]


# --- each kind --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503", "429"])
def test_a_status_fault_answers_that_status_then_the_page(site: MirrorSite, kind: str) -> None:
    url = article(1)
    with MirrorServer(site, faults=only(kind)) as server:
        status, response, body = ask(server, url)
        assert status == int(kind) and body.startswith(b"<!DOCTYPE html>") and len(body) < 200
        assert response.getheader("Retry-After") == ("1" if kind == "429" else None)
        again, response, body = ask(server, url)
        assert again == 200 and body == PAGE, "the follow-up request succeeds"
        assert response.getheader("Last-Modified") == LAST_MODIFIED
    assert server.log.entries == [Requested(url, kind, int(kind), 1), Requested(url, None, 200, 2)]


def test_a_reset_closes_the_connection_with_an_rst(site: MirrorSite) -> None:
    with MirrorServer(site, faults=only("reset")) as server:
        sock = raw_get(server, article(1))
        with pytest.raises(ConnectionResetError):  # a reset, not an orderly end (b"")
            sock.recv(1024)
        sock.close()
        with pytest.raises(ConnectionResetError):  # (http.client's RemoteDisconnected is one)
            ask(server, article(2))
        assert ask(server, article(1))[0] == 200
    assert server.faults_injected == Counter(reset=2)
    assert [e.status for e in server.log.entries] == [None, None, 200]


def test_a_truncated_body_with_its_length_is_an_incomplete_read(site: MirrorSite) -> None:
    with MirrorServer(site, faults=only("truncate")) as server:
        connection = connect(server)
        connection.request("GET", urlsplit(mirror_url(server.url, article(1))).path)
        response = connection.getresponse()
        assert response.status == 200 and response.getheader("Content-Length") == str(len(PAGE))
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        connection.close()
        assert 0.4 * len(PAGE) <= len(cut.value.partial) <= 0.7 * len(PAGE)
        assert PAGE.startswith(cut.value.partial)
        assert ask(server, article(1))[2] == PAGE


def test_a_truncated_body_without_a_length_just_ends(site: MirrorSite) -> None:
    with MirrorServer(site, faults=only("truncate_nolength")) as server:
        sizes = []
        for n in range(20):
            status, response, body = ask(server, article(n))  # no exception: it looks whole
            assert status == 200 and response.getheader("Content-Length") is None
            assert response.getheader("Connection") == "close" and PAGE.startswith(body)
            sizes.append(len(body) / len(PAGE))
        assert 0.4 <= min(sizes) < max(sizes) <= 0.7, "cut at a drawn point, 40–70 %"
        assert ask(server, article(0))[2] == PAGE


def test_a_hang_answers_nothing_while_the_mirror_serves_others(site: MirrorSite) -> None:
    with MirrorServer(site, faults=only("hang", hang_seconds=0.6)) as server:
        with pytest.raises(TimeoutError):
            ask(server, article(1), timeout=0.2)
        outcome: list[BaseException] = []

        def wait_for_it() -> None:
            try:
                ask(server, article(2), timeout=5)
            except BaseException as error:  # the outcome is the test's
                outcome.append(error)

        started = time.monotonic()
        held = threading.Thread(target=wait_for_it)
        held.start()
        assert ask(server, ROBOTS)[0] == 200, "answered while two connections hang"
        assert time.monotonic() - started < 0.5
        held.join(timeout=5)
        assert time.monotonic() - started >= 0.6
        assert [type(e) for e in outcome] == [http.client.RemoteDisconnected], "closed, no answer"
        assert ask(server, article(1))[2] == PAGE
    assert server.faults_injected == Counter(hang=2)


def test_stopping_does_not_wait_for_hung_answers(site: MirrorSite) -> None:
    server = MirrorServer(site, faults=only("hang", hang_seconds=30)).start()
    socks = [raw_get(server, article(n)) for n in range(3)]
    deadline = time.monotonic() + 5
    while len(server.log.entries) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    for sock in socks:
        assert sock.recv(1024) == b"", "closed, never answered"
        sock.close()
    assert time.monotonic() - started < 1.0


def test_a_trickle_is_the_whole_page_slowly(site: MirrorSite) -> None:
    with MirrorServer(site, faults=only("trickle", trickle_seconds=0.5)) as server:
        started = time.monotonic()
        status, _, body = ask(server, article(1))
        assert status == 200 and body == PAGE and time.monotonic() - started >= 0.5
        assert server.faulted_last() == [], "a slow page is not a missing one"
        started = time.monotonic()
        assert ask(server, article(1))[2] == PAGE and time.monotonic() - started < 0.5


def test_a_redirect_loop_goes_back_and_forth_on_the_site(site: MirrorSite) -> None:
    url = article(5)  # (on en.vusta.vn)
    with MirrorServer(site, faults=only("redirect_loop", attempts=3)) as server:
        hops, where = [], url
        for _ in range(10):
            status, response, _ = ask(server, where)
            hops.append((status, where))
            if status != 302:
                break
            where = response.getheader("Location") or ""
    partner = f"{url}?{LOOP_MARK}"
    assert partner.startswith("https://en.vusta.vn/")
    assert hops == [(302, url), (302, partner)] * 3 + [(200, url)], "A→B→A… then A itself"
    assert [e.attempt for e in server.log.entries] == [1, 0, 2, 0, 3, 0, 4]
    assert server.faults_injected == Counter(redirect_loop=6), "both ends of the loop count"
    assert loop_partner(f"{url}?page=2") == f"{url}?page=2&{LOOP_MARK}"
    assert loop_origin(loop_partner(f"{url}?page=2")) == f"{url}?page=2"
    assert loop_origin(url) is None
    with MirrorServer(site, faults=only("redirect_loop")) as server:
        status, response, _ = ask(server, article(1))
        assert response.getheader("Location") == f"{article(1)}?{LOOP_MARK}"
        status, response, _ = ask(server, f"{article(1)}?{LOOP_MARK}")
        assert (status, response.getheader("Location")) == (302, article(1))
        assert ask(server, article(1))[0] == 200, "K=1: the way back reaches the page"


def test_an_offsite_redirect_points_off_the_site_and_the_trap_logs_visits(
    site: MirrorSite,
) -> None:
    with MirrorServer(site, faults=only("redirect_offsite"), seed=1) as server:
        locations = Counter(ask(server, article(n))[1].getheader("Location") for n in range(40))
        loopback = f"http://127.0.0.1:{server.trap_port}/"
        assert set(locations) == {target.format(loopback_port=server.trap_port)
                                  for target in OFFSITE_TARGETS}  # fmt: skip
        assert loopback in locations and server.trap_port not in (0, server.httpd.server_port)
        trap = http.client.HTTPConnection("127.0.0.1", server.trap_port, timeout=5)
        trap.request("GET", "/latest/secret")
        assert trap.getresponse().status == 404
        trap.close()
        assert ask(server, "http://169.254.169.254/latest/meta-data/")[0] == 404
    assert server.log.offsite == {
        f"http://127.0.0.1:{server.trap_port}/latest/secret",
        "https://169.254.169.254/latest/meta-data/",
    }
    assert server.log.offsite_total == 2 and server.faults_injected == Counter(redirect_offsite=40)


# --- what faults apply to ------------------------------------------------------------------------


def test_robots_txt_404s_and_304s_are_never_faulted(site: MirrorSite) -> None:
    with MirrorServer(site, faults=only("500")) as server:
        assert ask(server, ROBOTS)[0] == 200
        assert ask(server, MISSING)[0] == 404
        status = ask(server, article(1), headers={"If-Modified-Since": LAST_MODIFIED})[0]
        assert status == 304 and server.not_modified == [article(1)]
        assert ask(server, article(1))[0] == 200, "the 304 was the page's first attempt"
    attempts = [(e.fault, e.attempt) for e in server.log.entries]
    assert attempts == [(None, 0), (None, 0), (None, 1), (None, 2)]
    with MirrorServer(site, faults=only("500", robots=True)) as server:
        assert ask(server, ROBOTS)[0] == 500, "unless the spec says so"


def test_a_fault_lasts_its_first_k_attempts_only(site: MirrorSite) -> None:
    url = article(3)
    with MirrorServer(site, faults=only("503", attempts=2)) as server:
        assert [ask(server, url)[0] for _ in range(2)] == [503, 503]
        assert server.faulted_last() == [url] and server.attempts(url) == 2
        assert ask(server, url)[0] == 200 and ask(server, url)[0] == 200
        assert server.faulted_last() == [] and server.attempts(url) == 4
    with MirrorServer(site) as plain:  # no spec: nothing counted, nothing injected
        assert ask(plain, url)[0] == 200 and plain.attempts(url) == 0
        assert plain.log.entries == [Requested(url, None, 200, 0)]


# --- the log ------------------------------------------------------------------------------------


def test_the_log_records_every_request_and_keeps_only_counters_past_its_cap(
    site: MirrorSite,
) -> None:
    spec = FaultSpec.parse("500=0.5")
    urls = [article(n) for n in range(8)] + [
        ROBOTS, MISSING, "https://evil.example/x", "http://127.0.0.1:9/", "https://a.example/",
        "https://b.example/", "https://c.example/", "https://d.example/",
    ]  # fmt: skip
    with MirrorServer(site, faults=spec, seed=5, log_cap=5) as server:
        statuses = [ask(server, url)[0] for url in urls]
    log = server.log
    assert log.total == len(urls) and len(log.entries) == 5 and log.dropped == len(urls) - 5
    assert server.requests == urls[:5]
    faulted = [url for url in urls[:8] if spec.choose(5, MirrorSite.key(url), 1)]
    assert 0 < len(faulted) < 8 and statuses.count(500) == len(faulted)
    assert server.faults_injected == Counter({"500": len(faulted)})
    assert log.entries == [
        Requested(url, "500" if url in faulted else None, 500 if url in faulted else 200, 1)
        for url in urls[:5]
    ]
    assert log.offsite_total == 6 and len(log.offsite) == 5, "off-site URLs: the first 5 kept"
    assert sum(log.hosts.values()) == len(urls) and len(log.hosts) == 6
    assert log.hosts["vusta.vn"] + log.hosts["en.vusta.vn"] == 10
    assert log.hosts[OTHER_HOSTS] == 3, "past 5 distinct hosts, the others in one count"
    with MirrorServer(site, faults=spec, seed=5) as server:
        for url in urls:
            ask(server, url)
    assert server.requests == [*urls[:8], ROBOTS, MISSING,
                               "https://evil.example/x", "https://127.0.0.1/",  # (port dropped)
                               *urls[12:]]  # fmt: skip
    assert server.log.dropped == 0 and len(server.log.offsite) == 6


def test_a_long_run_keeps_memory_bounded(site: MirrorSite) -> None:
    with MirrorServer(site, faults=FaultSpec.parse("500=0.1"), log_cap=50) as server:
        for n in range(300):
            ask(server, article(n % 120))
    assert server.log.total == 300 and len(server.log.entries) == 50
    assert len(server._pages) == 120, "one small record per page, not per request"
    assert sum(server.log.hosts.values()) == 300


def test_the_kinds_are_declared_once_with_a_meaning_each() -> None:
    names = [kind.name for kind in KINDS]
    assert len(set(names)) == len(names) == 11 and all(kind.meaning for kind in KINDS)
    assert set(SERVE) == set(names), "each kind is served"
    assert FaultSpec.parse(EXAMPLE).total == pytest.approx(0.22)
