"""Reading a capture back: the WARC record at an offset, as the page the crawler was served.

Re-extraction, the end-of-run QA pass and ``fixture save`` read pages from here, offline.
The payload comes back decoded (chunked transfer and gzip/deflate/br content encodings undone,
as Scrapy's middlewares decode them in a crawl), bounded to :data:`MAX_PAYLOAD` bytes.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader

MAX_PAYLOAD = 16 * 1024 * 1024
"""A decoded payload larger than this is refused (the crawl's ``DOWNLOAD_MAXSIZE``)."""


class CaptureReadError(Exception):
    """The record cannot be read: a missing or damaged file, no record at the offset, a
    payload over :data:`MAX_PAYLOAD`."""


@dataclass(frozen=True)
class CapturedPage:
    """One ``response`` record's HTTP exchange: what the site sent, and when."""

    url: str
    record_id: str
    date: str  # WARC-Date, RFC 3339 UTC
    status: int
    headers: list[tuple[str, str]]
    body: bytes  # decoded payload

    @property
    def content_type(self) -> str | None:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return None

    def response(self) -> HtmlResponse:
        """The page as the spider received it, its capture time as ``meta["fetched_at"]``."""
        headers = {"Content-Type": self.content_type} if self.content_type else {}
        request = Request(self.url, meta={"fetched_at": self.date})
        return HtmlResponse(self.url, body=self.body, headers=headers, request=request)


def read_page(path: Path, offset: int) -> CapturedPage:
    """The ``response`` record at ``offset`` in the WARC file ``path``."""
    try:
        with path.open("rb") as stream:
            stream.seek(offset)
            record = next(iter(ArchiveIterator(stream)), None)
            if record is None:
                raise CaptureReadError(f"{path.name}: no record at offset {offset}")
            if record.rec_type != "response" or record.http_headers is None:
                raise CaptureReadError(
                    f"{path.name}: the record at offset {offset} is a {record.rec_type}, "
                    "not a response"
                )
            raw = record.raw_stream.read(MAX_PAYLOAD + 1)
            _check_digest(record, raw, f"{path.name} at offset {offset}")
            page = _page(record, _decoded(record, raw))
    except OSError as error:
        raise CaptureReadError(f"{path}: {error.strerror or error}") from error
    except (ValueError, EOFError) as error:  # warcio's parse errors, a truncated gzip member
        raise CaptureReadError(f"{path.name} at offset {offset}: {error}") from error
    if len(page.body) > MAX_PAYLOAD:
        raise CaptureReadError(f"{path.name} at offset {offset}: payload over {MAX_PAYLOAD} B")
    return page


def _check_digest(record: Any, raw: bytes, where: str) -> None:
    """The payload read must be the one written: a record cut short (a damaged file) or
    altered is refused, never read as a shorter page."""
    declared = record.rec_headers.get_header("WARC-Payload-Digest") or ""
    algorithm, _, value = declared.partition(":")
    if algorithm.lower() != "sha1" or not value:
        raise CaptureReadError(f"{where}: no sha1 payload digest to check the record by")
    actual = base64.b32encode(hashlib.sha1(raw).digest()).decode()
    if actual != value.upper():
        raise CaptureReadError(f"{where}: the payload does not match its digest (cut short?)")


def _decoded(record: Any, raw: bytes) -> bytes:
    """The payload with its content encoding (gzip, deflate, br) undone, bounded."""
    encoding = (record.http_headers.get_header("Content-Encoding") or "").lower() or None
    if encoding not in BufferedReader.get_supported_decompressors():
        encoding = None
    if record.http_headers.get_header("Transfer-Encoding") == "chunked":
        reader: Any = ChunkedDataReader(BytesIO(raw), decomp_type=encoding)
    elif encoding:
        reader = BufferedReader(BytesIO(raw), decomp_type=encoding)
    else:
        return raw
    return bytes(reader.read(MAX_PAYLOAD + 1))


def _page(record: Any, body: bytes) -> CapturedPage:
    headers = record.rec_headers
    return CapturedPage(
        url=headers.get_header("WARC-Target-URI"),
        record_id=headers.get_header("WARC-Record-ID"),
        date=headers.get_header("WARC-Date"),
        status=int(record.http_headers.get_statuscode() or 0),
        headers=list(record.http_headers.headers),
        body=body,
    )
