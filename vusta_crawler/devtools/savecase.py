"""``vusta-crawler fixture save URL|RECORD-ID``: a WARC capture becomes a fixture case.

The first real captures replace the reconstructions: the page is written as served
(``page.html``, decoded), ``meta.json`` names the record it came from (``source: capture``), and
``expected.json`` is today's extraction, for review before it is committed.
"""

from __future__ import annotations

import re
from pathlib import Path

from vusta_crawler.capture.read import read_page
from vusta_crawler.capture.warc import Capture
from vusta_crawler.devtools.replay import CASE_KINDS, Case, dump_json, replay_response
from vusta_crawler.extract.article import LISTING_PAGE
from vusta_crawler.store.archive import Archive


class SaveError(Exception):
    """No such capture, or the case exists already: a one-line message for the user."""


def find_capture(archive: Archive, ref: str) -> Capture:
    """The response record named by ``ref``: a WARC-Record-ID, else the URL of an archived
    article (its content's record) or of any captured page (its latest record)."""
    if ref.startswith(("<urn:", "urn:")):
        record_id = ref if ref.startswith("<") else f"<{ref}>"
        found = archive.content_capture(record_id)
        if found is None:
            raise SaveError(f"no capture with record id {record_id}")
        return found
    found = archive.page_capture(ref)
    if found is None:
        raise SaveError(f"no capture of {ref} in {archive.path}")
    return found


def case_name(url: str) -> str:
    """``capture_<slug>`` from the URL: ``…/tin-moi-p123.html`` → ``capture_tin_moi_p123``."""
    slug = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".html") or "home"
    slug = re.sub(r"[^a-z0-9]+", "_", slug.lower()).strip("_")[:60].rstrip("_")
    return f"capture_{slug or 'page'}"


def save_case(
    archive: Archive, ref: str, root: Path, name: str | None = None, force: bool = False
) -> Case:
    """Write the capture named by ``ref`` as the case ``<root>/<kind>/<name>/``."""
    capture = find_capture(archive, ref)
    page = read_page(archive.warc_path(capture.warc_file), capture.offset)
    name = name or case_name(page.url)
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise SaveError(f"case name {name!r}: use lower-case letters, digits and _")
    if not force and any((root / kind / name).exists() for kind in CASE_KINDS):
        raise SaveError(f"case {name} exists already (give --name, or --force to replace it)")
    outcome = replay_response(page.response())
    kind = "article"
    if "error" in outcome:
        kind = "listing" if outcome["reason"] == LISTING_PAGE else "broken"
    folder = root / kind / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "page.html").write_bytes(page.body)
    meta = {
        "url": page.url,
        "fetched_at": page.date,
        "content_type": page.content_type,
        "kind": kind,
        "description": f"The page as captured on {page.date} (run {capture.run_id}); "
        "expected.json is the extraction of the day it was saved: review it before committing.",
        "source": "capture",
        "record_id": capture.record_id,
        "warc_file": Path(capture.warc_file).name,
        "run_id": capture.run_id,
    }
    (folder / "meta.json").write_text(dump_json(meta), encoding="utf-8")
    case = Case(folder)
    case.expected_path.write_text(dump_json(outcome), encoding="utf-8")
    return case
