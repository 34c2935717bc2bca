"""Faults the mirror can inject: what each kind is, which request gets one, how it is served.

A :class:`FaultSpec` gives a rate per kind (``"500=0.03,hang=0.02"``, or ``transient=0.2`` for
the transient kinds in their declared shares). Which request gets a fault is a pure function of
the seed, the page and the attempt number (:meth:`FaultSpec.choose`), never of thread timing, and
only the first ``attempts`` requests of a page can get one: a later request succeeds, so a crawl
with retries and a follow-up run can get every page. :func:`misbehave` serves a chosen fault on
the handler's socket; :class:`vusta_crawler.devtools.mirror.MirrorServer` decides when.
"""

from __future__ import annotations

import hashlib
import math
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler


@dataclass(frozen=True)
class FaultKind:
    """A way to misbehave: its name in a spec, what it does, the status line it sends (None: no
    response at all), its share of the ``transient=`` shorthand (0: not in it), and whether the
    client is left without the page (a trickle delivers it whole, only slowly)."""

    name: str
    meaning: str
    status: int | None
    transient_share: int
    spoils: bool = True


KINDS: tuple[FaultKind, ...] = (
    FaultKind("500", "500 Internal Server Error with a small HTML body", 500, 3),
    FaultKind("502", "502 Bad Gateway with a small HTML body", 502, 2),
    FaultKind("503", "503 Service Unavailable with a small HTML body", 503, 3),
    FaultKind("429", "429 Too Many Requests with Retry-After: 1", 429, 3),
    FaultKind(
        "hang", "no answer: the connection is held open for hang_seconds, then closed", None, 2
    ),
    FaultKind("reset", "no answer: the connection is reset (RST)", None, 2),
    FaultKind("truncate", "the full Content-Length, 40–70 % of the body, then close", 200, 2),
    FaultKind("truncate_nolength", "no Content-Length, 40–70 % of the body, then close", 200, 2),
    FaultKind("trickle", "the whole page, in small pieces over trickle_seconds", 200, 1, False),
    FaultKind("redirect_loop", "302 to a partner URL on the same host that redirects back", 302, 0),
    FaultKind("redirect_offsite", "302 to one of OFFSITE_TARGETS", 302, 0),
)
"""Every fault kind, in the order a spec lists them (and :meth:`FaultSpec.choose` tries them)."""

BY_NAME = {kind.name: kind for kind in KINDS}
TRANSIENT = "transient"
"""The shorthand spreading its rate over the kinds with a ``transient_share``."""

OFFSITE_TARGETS = (
    "http://127.0.0.1:{loopback_port}/",
    "http://169.254.169.254/latest/meta-data/",
    "file:///etc/passwd",
    "https://evil.example/",
)
"""Where ``redirect_offsite`` sends a crawler: another loopback port (the mirror's trap, which
records whatever reaches it), the cloud metadata address, a local file, a foreign host."""

LOOP_MARK = "mirror-loop=back"
"""The query parameter that makes a URL a redirect loop's partner (it redirects back)."""

TRUNCATE_FROM, TRUNCATE_TO = 0.4, 0.7
"""A truncated body keeps this share of the page (drawn per request)."""
TRICKLE_PIECES = 16
DEFAULT_HANG_SECONDS = 5.0
DEFAULT_TRICKLE_SECONDS = 1.5


def draw(seed: int, url: str, attempt: int) -> tuple[float, float]:
    """Two uniform numbers in [0, 1) for a request: the first chooses the fault, the second its
    details (how much of a body is sent, which off-site target). The same for the same input."""
    digest = hashlib.blake2b(f"{seed}\n{attempt}\n{url}".encode(), digest_size=16).digest()
    return (
        int.from_bytes(digest[:8], "big") / 2**64,
        int.from_bytes(digest[8:], "big") / 2**64,
    )


@dataclass(frozen=True)
class Injection:
    """The fault one request gets: its kind and its detail draw in [0, 1)."""

    kind: str
    detail: float


@dataclass(frozen=True)
class FaultSpec:
    """Fault rates per kind, and how the faults behave.

    ``rates`` holds (kind, rate) pairs in :data:`KINDS` order, zero rates left out; a page can
    get a fault on its first ``attempts`` requests only; ``robots`` lets robots.txt be faulted
    too (by default it never is).
    """

    rates: tuple[tuple[str, float], ...] = ()
    attempts: int = 1
    hang_seconds: float = DEFAULT_HANG_SECONDS
    trickle_seconds: float = DEFAULT_TRICKLE_SECONDS
    robots: bool = False

    def __post_init__(self) -> None:
        for name, rate in self.rates:
            if name not in BY_NAME:
                raise ValueError(f"fault {name!r}: unknown kind (known: {_known()})")
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault {name}={rate}: the rate must be in [0, 1]")
        names = [name for name, _ in self.rates]
        if len(set(names)) != len(names):
            raise ValueError(f"faults {','.join(names)}: a kind is given twice")
        if self.total > 1.0 + 1e-9:
            raise ValueError(f"faults {self}: the rates sum to {self.total:.6g}, more than 1")
        if self.attempts < 1:
            raise ValueError(f"attempts={self.attempts}: must be 1 or more")
        if not (self.hang_seconds > 0 and self.trickle_seconds >= 0):
            raise ValueError(
                f"hang_seconds={self.hang_seconds}, trickle_seconds={self.trickle_seconds}: "
                "the hang must be > 0 s and the trickle >= 0 s"
            )

    @classmethod
    def parse(
        cls,
        text: str,
        *,
        attempts: int = 1,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
        trickle_seconds: float = DEFAULT_TRICKLE_SECONDS,
        robots: bool = False,
    ) -> FaultSpec:
        """``"500=0.03,hang=0.02"`` (or ``"transient=0.2,redirect_loop=0.01"``; ``""``: none).

        Raises ValueError with a one-line message naming the bad part: not ``NAME=RATE``, an
        unknown kind, a rate that is not a number in [0, 1], a kind given twice (directly or by
        ``transient``), rates summing to more than 1.
        """
        given: dict[str, float] = {}
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            name, equals, value = (s.strip() for s in part.partition("="))
            if not equals or not name:
                raise ValueError(f"fault {part!r}: not NAME=RATE")
            if name != TRANSIENT and name not in BY_NAME:
                raise ValueError(f"fault {part!r}: unknown kind {name!r} (known: {_known()})")
            try:
                rate = float(value)
            except ValueError:
                raise ValueError(f"fault {part!r}: the rate {value!r} is not a number") from None
            if not 0.0 <= rate <= 1.0:  # (NaN fails this too)
                raise ValueError(f"fault {part!r}: the rate must be in [0, 1]")
            for kind, share in _spread(name, rate):
                if kind in given:
                    raise ValueError(f"fault {part!r}: {kind} is given twice")
                given[kind] = share
        total = math.fsum(given.values())
        if total > 1.0 + 1e-9:
            raise ValueError(f"faults {text!r}: the rates sum to {total:.6g}, more than 1")
        rates = tuple((k.name, given[k.name]) for k in KINDS if given.get(k.name))
        return cls(rates, attempts, hang_seconds, trickle_seconds, robots)

    @property
    def total(self) -> float:
        """The share of a page's first requests that get a fault."""
        return math.fsum(rate for _, rate in self.rates)

    def rate(self, kind: str) -> float:
        return dict(self.rates).get(kind, 0.0)

    def choose(self, seed: int, url: str, attempt: int) -> Injection | None:
        """The fault for the ``attempt``-th request (from 1) of ``url``, or None: a pure function
        of its arguments, so a run is reproducible whatever the order of its requests."""
        if attempt > self.attempts or not self.rates:
            return None
        chance, detail = draw(seed, url, attempt)
        edge = 0.0
        for kind, rate in self.rates:
            edge += rate
            if chance < edge:
                return Injection(kind, detail)
        return None

    def __str__(self) -> str:
        return ",".join(f"{name}={rate!r}" for name, rate in self.rates)


def _known() -> str:
    return ", ".join([*BY_NAME, TRANSIENT])


def _spread(name: str, rate: float) -> list[tuple[str, float]]:
    if name != TRANSIENT:
        return [(name, rate)]
    shares = sum(kind.transient_share for kind in KINDS)
    return [
        (kind.name, round(rate * kind.transient_share / shares, 12))
        for kind in KINDS
        if kind.transient_share
    ]


# --- loop partners ------------------------------------------------------------------------------


def loop_partner(url: str) -> str:
    """The URL a ``redirect_loop`` sends ``url`` to: itself with :data:`LOOP_MARK` added."""
    return f"{url}{'&' if '?' in url else '?'}{LOOP_MARK}"


def loop_origin(url: str) -> str | None:
    """The URL a loop partner redirects back to, or None when ``url`` is not a partner."""
    for separator in ("?", "&"):
        if url.endswith(separator + LOOP_MARK):
            return url[: -len(separator + LOOP_MARK)]
    return None


def offsite_target(detail: float, loopback_port: int) -> str:
    """The off-site URL of a ``redirect_offsite`` with this detail draw."""
    target = OFFSITE_TARGETS[min(int(detail * len(OFFSITE_TARGETS)), len(OFFSITE_TARGETS) - 1)]
    return target.format(loopback_port=loopback_port)


# --- serving --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the mirror would answer for a page, which a fault spoils: the real URL asked for,
    the body, its content type and the other headers (ETag, Last-Modified)."""

    url: str
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    headers: tuple[tuple[str, str], ...] | list[tuple[str, str]],
    body: bytes = b"",
) -> None:
    """A whole response: the status line, the headers, the body."""
    handler.send_response(status)
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    if body:
        handler.wfile.write(body)


def error_page(status: int) -> bytes:
    phrase = BaseHTTPRequestHandler.responses.get(status, ("Error",))[0]
    return (
        f"<!DOCTYPE html><html><head><title>{status} {phrase}</title></head>"
        f"<body><h1>{status} {phrase}</h1></body></html>"
    ).encode()


@dataclass(frozen=True)
class Stage:
    """What serving a fault needs besides the request: the spec (hang and trickle times), the
    server's stop signal (waits end early when it is set), the trap's loopback port."""

    spec: FaultSpec
    stopping: threading.Event
    loopback_port: int = 0


Serve = Callable[[BaseHTTPRequestHandler, Injection, Reply, Stage], None]


def misbehave(
    handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, stage: Stage
) -> None:
    """Serve ``injection`` instead of ``reply`` on the handler's connection, then let the
    handler close it (a faulted connection is never kept alive)."""
    handler.close_connection = True
    SERVE[injection.kind](handler, injection, reply, stage)


def _status(handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, _: Stage) -> None:
    status = int(injection.kind)
    page = error_page(status)
    retry = [("Retry-After", "1")] if status == 429 else []
    length = ("Content-Length", str(len(page)))
    send(handler, status, [*retry, ("Content-Type", "text/html; charset=utf-8"), length], page)


def _hang(
    handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, stage: Stage
) -> None:
    stage.stopping.wait(stage.spec.hang_seconds)


def _reset(handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, _: Stage) -> None:
    reset(handler)


def _truncate(
    handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, _: Stage
) -> None:
    body = reply.body
    share = TRUNCATE_FROM + (TRUNCATE_TO - TRUNCATE_FROM) * injection.detail
    cut = max(0, min(len(body) - 1, int(len(body) * share)))
    if injection.kind == "truncate":
        framing = ("Content-Length", str(len(body)))  # the client knows it is short
    else:
        framing = ("Connection", "close")  # the body ends where the connection does
    send(handler, 200, [*reply.headers, ("Content-Type", reply.content_type), framing])
    handler.wfile.write(body[:cut])


def _trickle(
    handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, stage: Stage
) -> None:
    body = reply.body
    length = ("Content-Length", str(len(body)))
    send(handler, 200, [*reply.headers, ("Content-Type", reply.content_type), length])
    size = max(1, -(-len(body) // TRICKLE_PIECES))
    pause = stage.spec.trickle_seconds / TRICKLE_PIECES
    for start in range(0, max(len(body), 1), size):
        if stage.stopping.wait(pause):
            return
        handler.wfile.write(body[start : start + size])


def _redirect_loop(
    handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, _: Stage
) -> None:
    redirect(handler, loop_partner(reply.url))


def _redirect_offsite(
    handler: BaseHTTPRequestHandler, injection: Injection, reply: Reply, stage: Stage
) -> None:
    redirect(handler, offsite_target(injection.detail, stage.loopback_port))


SERVE: dict[str, Serve] = {
    "500": _status,
    "502": _status,
    "503": _status,
    "429": _status,
    "hang": _hang,
    "reset": _reset,
    "truncate": _truncate,
    "truncate_nolength": _truncate,
    "trickle": _trickle,
    "redirect_loop": _redirect_loop,
    "redirect_offsite": _redirect_offsite,
}
"""How each kind of :data:`KINDS` is served."""


def redirect(handler: BaseHTTPRequestHandler, location: str) -> None:
    page = f'<!DOCTYPE html><html><body><a href="{location}">Found</a></body></html>'.encode()
    send(
        handler,
        302,
        [("Location", location), ("Content-Type", "text/html"), ("Content-Length", str(len(page)))],
        page,
    )


def reset(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection with an RST: linger 0, then close the socket for real (the handler's
    reading file holds a reference that would otherwise keep it open, and a later shutdown would
    send a FIN first)."""
    connection: socket.socket = handler.connection
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.rfile.close()
    connection.close()
