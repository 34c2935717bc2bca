"""Writing WARC/1.1 files with warcio: a ``warcinfo`` record first, then a ``request`` and a
``response`` (or ``revisit``) record per fetch, one gzip member each, rotated by size.

https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/
Files are named by run: ``<run id>-00001.warc.gz``. Each record is flushed as it is written:
a killed run loses at most the record being written.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PROFILE_IDENTICAL = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
PROFILE_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"
DEFAULT_MAX_SIZE = 100 * 1024 * 1024
"""A file is closed and the next one begun once it holds this many bytes (100 MB)."""

# hop-by-hop and decoding headers Scrapy has already acted on: the body kept is the one named
# by the rest (still content-encoded, not chunked)
_DROPPED_HEADERS = {"transfer-encoding"}


@dataclass(frozen=True)
class Fetch:
    """One exchange as the crawler saw it: what it asked, and what came back."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    date: datetime


@dataclass(frozen=True)
class Capture:
    """Where a fetch's response (or revisit) record lies, and what it holds."""

    url: str
    warc_file: str
    offset: int
    length: int
    record_id: str
    record_type: str  # response, or revisit
    payload_digest: str
    date: str  # WARC-Date, RFC 3339 UTC
    run_id: str | None = None  # the run that wrote it, once noted in the archive

    @property
    def is_revisit(self) -> bool:
        return self.record_type == "revisit"

    @property
    def original(self) -> Original:
        return Original(self.payload_digest, self.date)


@dataclass(frozen=True, slots=True)
class Original:
    """What a revisit of a URL needs of the URL's latest full (``response``) capture: the
    payload digest it compares and the WARC-Date it refers to. A run holds one for each URL
    earlier runs captured and each answer of its own that may come again, so no more."""

    payload_digest: str
    date: str


@dataclass
class WarcFiles:
    """The WARC files of one run in ``directory``: opened on the first record, rotated past
    ``max_size``; ``info`` goes into each file's ``warcinfo`` record."""

    directory: Path
    run_id: str
    info: dict[str, str] = field(default_factory=dict)
    max_size: int = DEFAULT_MAX_SIZE
    names: list[str] = field(default_factory=list)
    _file: BinaryIO | None = None
    _writer: WARCWriter | None = None

    def write(self, fetch: Fetch, earlier: Original | None = None) -> Capture:
        """Write ``fetch``'s request and response records; a ``revisit`` instead of the
        response when the site answered 304, or when ``earlier`` (the URL's latest full
        capture) holds the same payload."""
        writer = self._current()
        date = warc_date(fetch.date)
        response = self._response_record(writer, fetch, date, earlier)
        request = writer.create_warc_record(
            fetch.url, "request", http_headers=_request_head(fetch),
            warc_headers_dict={"WARC-Date": date,
                               "WARC-Concurrent-To": response.rec_headers["WARC-Record-ID"]},
        )  # fmt: skip
        assert self._file is not None
        offset = self._file.tell()
        writer.write_record(response)
        length = self._file.tell() - offset
        writer.write_record(request)
        self._file.flush()
        digest = response.rec_headers["WARC-Payload-Digest"]
        if not digest and earlier is not None:  # a 304: the content is the earlier capture's
            digest = earlier.payload_digest
        path = str(self.directory / self.names[-1])
        return Capture(
            fetch.url, path, offset, length, response.rec_headers["WARC-Record-ID"],
            response.rec_type, digest or "", date,
        )  # fmt: skip

    def _response_record(
        self, writer: WARCWriter, fetch: Fetch, date: str, earlier: Original | None
    ) -> Any:
        kept = [(name, value) for name, value in fetch.headers
                if name.lower() not in _DROPPED_HEADERS]  # fmt: skip
        headers = StatusAndHeaders(f"{fetch.status} {fetch.reason}".strip(), kept, "HTTP/1.1")
        warc_headers = {"WARC-Date": date}
        if fetch.status == 304:
            warc_headers["WARC-Profile"] = PROFILE_NOT_MODIFIED
            if earlier is not None:
                warc_headers["WARC-Refers-To-Target-URI"] = fetch.url
                warc_headers["WARC-Refers-To-Date"] = earlier.date
            return writer.create_warc_record(
                fetch.url, "revisit", http_headers=headers, warc_headers_dict=warc_headers
            )
        record = writer.create_warc_record(
            fetch.url, "response", payload=BytesIO(fetch.body), length=len(fetch.body),
            http_headers=headers, warc_headers_dict=warc_headers,
        )  # fmt: skip
        digest = record.rec_headers["WARC-Payload-Digest"]
        if earlier is None or earlier.payload_digest != digest:
            return record
        return writer.create_revisit_record(
            fetch.url, digest, fetch.url, earlier.date, http_headers=headers,
            warc_headers_dict=warc_headers,
        )  # fmt: skip

    def _current(self) -> WARCWriter:
        if self._file is not None and self._file.tell() >= self.max_size:
            self.close()
        if self._writer is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            name = f"{self.run_id}-{len(self.names) + 1:05d}.warc.gz"
            self._file = (self.directory / name).open("xb")
            self.names.append(name)
            self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
            self._writer.write_record(self._writer.create_warcinfo_record(name, self._info()))
        return self._writer

    def _info(self) -> dict[str, str]:
        return {"hostname": socket.gethostname(), "run-id": self.run_id, "format":
                "WARC File Format 1.1", "conformsTo":
                "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
                **self.info}  # fmt: skip

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._writer = None, None


def warc_date(moment: datetime) -> str:
    """WARC-Date: UTC, to the microsecond when known (WARC/1.1 allows the fraction)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _request_head(fetch: Fetch) -> StatusAndHeaders:
    parts = urlsplit(fetch.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return StatusAndHeaders(
        f"{fetch.method} {target}", fetch.request_headers, protocol="HTTP/1.1",
        is_http_request=True,
    )  # fmt: skip
