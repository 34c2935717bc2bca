"""The archive: articles in SQLite (WAL), deduplicated, with aliases and revisions.

One row per article. The same article met again under its URL, an alias URL, its (site, id)
or its content is recognised by :data:`DEDUP_KEYS`; the same content changes nothing, changed
content updates the row and keeps the earlier version in ``revisions``. Writes are batched in
transactions; SQL is parameterized only. The schema is versioned (:mod:`migrations`).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vusta_crawler.capture.warc import Capture, Original
from vusta_crawler.items import ARTICLE_FIELDS
from vusta_crawler.store.migrations import MIGRATIONS, SCHEMA_VERSION

DEDUP_KEYS: tuple[tuple[str, ...], ...] = (
    ("url",),
    ("site", "article_id"),
    ("content_hash",),
)
"""How an incoming item is matched to an archived article, tried in this order.

``url`` also matches the URLs recorded as aliases. A match by a later key records the item's
URL as an alias of the article it matched (the same article under another URL).
"""

JSON_FIELDS = frozenset({"authors", "images", "related", "latest"})

PENDING_MAX_ATTEMPTS = 5
"""A lost article URL is asked for again by this many runs, then left (still listed)."""

# The outcomes of storing one item (stats ``vusta/archive/<outcome>``).
NEW, UPDATED, UNCHANGED, ALIAS = "new", "updated", "unchanged", "alias"

# Why a revision was made (``revisions.reason``): a crawl met changed content, or re-extraction
# of the stored capture read it differently.
CRAWLED, REEXTRACTED = "crawl", "reextract"


BUSY_TIMEOUT_S = 30.0
"""How long a write waits for another connection (an export, a reader) to let go of the file."""


class ArchiveError(Exception):
    """The archive file cannot be used (not SQLite, or from a newer vusta-crawler)."""


class ArchiveWriteError(Exception):
    """A write that failed (the database busy beyond the timeout, the disk full…); ``lost`` is
    how many items it took with it. The archive stays usable: the failed transaction was
    rolled back, and those items count as not archived (the next run fetches them again)."""

    def __init__(self, message: str, lost: int = 1) -> None:
        super().__init__(message)
        self.lost = lost


@dataclass(frozen=True)
class Validators:
    """An article page's HTTP validators, for conditional re-checks (If-None-Match /
    If-Modified-Since)."""

    etag: str | None = None
    last_modified: str | None = None


@dataclass
class CrawlState:
    """What the archive tells a run before it starts: every URL it holds (articles and aliases)
    with its last fetch time, and the validators of the recent articles to re-check."""

    fetched: dict[str, str] = field(default_factory=dict)
    recent: dict[str, Validators] = field(default_factory=dict)
    # (host, section path) of the listings some run paged through to their end: only those may
    # stop early (after a killed first run, the rest of a listing is still to be read)
    complete_listings: set[tuple[str, str]] = field(default_factory=set)
    # article URLs earlier runs lost (errors, drops): asked for again
    pending: list[str] = field(default_factory=list)

    def __contains__(self, url: object) -> bool:
        return url in self.fetched


@dataclass(frozen=True)
class RunRecord:
    """One crawl run as the ``runs`` table keeps it."""

    run_id: str
    started_at: str
    finished_at: str
    counts: dict[str, int]
    status: str | None = None
    finish_reason: str | None = None
    duration: float | None = None
    exit_code: int | None = None
    report: dict[str, Any] | None = None


_BY_URL = (
    "WHERE id = COALESCE((SELECT id FROM articles WHERE url = ?), "
    "(SELECT article FROM aliases WHERE url = ?))"
)
"""The article stored under a URL, its own or an alias (two parameters: the URL twice)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Archive:
    """An SQLite archive file. Use as a context manager, or call :meth:`close`."""

    def __init__(self, path: str | Path, batch_size: int = 100) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # timeout: SQLite's busy handler (a write waits for a reader or exporter to let go)
            self.db = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_S)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as error:  # no such folder, no permission
            raise ArchiveError(f"{path}: cannot open the archive ({error})") from error
        except sqlite3.DatabaseError as error:
            raise ArchiveError(f"{path}: not an archive ({error})") from error
        self.batch_size = batch_size
        self._pending = 0
        self.migrate()

    # --- schema ------------------------------------------------------------------------------

    def schema_version(self) -> int:
        """The version of the schema the file holds (0 for a new file)."""
        exists = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if not exists:
            return 0
        row = self.db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply the migrations the file lacks, each in its own transaction. A database of
        another program (tables, but no ``schema_migrations``) is refused, not taken over."""
        current = self.schema_version()
        if current == 0:
            other = self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "LIMIT 1"
            ).fetchone()
            if other is not None:
                raise ArchiveError(
                    f"{self.path}: an SQLite database of another program (table {other[0]!r}), "
                    "not a vusta-crawler archive"
                )
        if current > SCHEMA_VERSION:
            raise ArchiveError(
                f"{self.path}: schema version {current} is newer than this vusta-crawler's "
                f"({SCHEMA_VERSION}); upgrade vusta-crawler"
            )
        for migration in MIGRATIONS:
            if current < migration.version <= target:
                # BEGIN IMMEDIATE, then read the version again: another process opening the
                # same new file at the same moment applies each migration once, not twice
                self.db.execute("BEGIN IMMEDIATE")
                if self.schema_version() >= migration.version:
                    self.db.execute("COMMIT")
                    continue
                self.db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                    "applied_at TEXT NOT NULL)"
                )
                for statement in migration.sql.split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO schema_migrations (version, description, applied_at) "
                    "VALUES (?, ?, ?)",
                    (migration.version, migration.description, _now()),
                )
                self.db.execute("COMMIT")

    # --- writing -----------------------------------------------------------------------------

    def store(
        self, item: Any, validators: Validators | None = None, capture_id: str | None = None
    ) -> str:
        """Store one item; return ``new``, ``updated``, ``unchanged`` or ``alias``.

        Each item is its own savepoint inside the open batch: a failed write undoes that item
        alone and raises :class:`ArchiveWriteError`; the batch and the connection go on."""
        data = asdict(item) if is_dataclass(item) and not isinstance(item, type) else dict(item)
        try:
            self._begin()
            self.db.execute("SAVEPOINT item")
        except sqlite3.Error as error:
            lost = self._pending + 1
            self._rollback()
            raise ArchiveWriteError(f"{self.path}: {error}", lost) from error
        try:
            outcome = self._store(data, validators, capture_id)
        except sqlite3.Error as error:
            try:
                self.db.execute("ROLLBACK TO item")
                self.db.execute("RELEASE item")
            except sqlite3.Error:  # SQLite rolled the whole batch back (disk full, I/O error)
                lost = self._pending + 1
                self._rollback()
                raise ArchiveWriteError(f"{self.path}: {error}", lost) from error
            raise ArchiveWriteError(f"{self.path}: {error}") from error
        self.db.execute("RELEASE item")
        self._tick()
        return outcome

    def _store(
        self, data: dict[str, Any], validators: Validators | None, capture_id: str | None
    ) -> str:
        match, key = self._match(data)
        renamed = False  # the article's URL became this item's
        if match is None:
            self._insert(data)
            outcome = NEW
        elif match["content_hash"] == data["content_hash"]:
            outcome = UNCHANGED if key == ("url",) else ALIAS
            if key != ("url",):
                renamed = self._prefer_article_url(match, data)
        else:
            self._revise(match, data)
            outcome = UPDATED
        if match is not None and key not in (None, ("url",)):
            self._add_alias(data["url"], match, "+".join(key))
        # the record of this content, fetched at the article's URL
        if capture_id is not None and (outcome in (NEW, UPDATED) or renamed):
            self.db.execute(
                "UPDATE articles SET capture_id = ? " + _BY_URL,
                (capture_id, data["url"], data["url"]),
            )
        if validators is not None:
            self.db.execute(
                "UPDATE articles SET etag = ?, last_modified = ?, fetched_at = ? " + _BY_URL,
                (validators.etag, validators.last_modified, data.get("fetched_at"),
                 data["url"], data["url"]),
            )  # fmt: skip
        return outcome

    def _match(self, data: dict[str, Any]) -> tuple[sqlite3.Row | None, tuple[str, ...] | None]:
        for key in DEDUP_KEYS:
            values = [data.get(name) for name in key]
            if any(value is None for value in values):
                continue
            where = " AND ".join(f"{name} = ?" for name in key)
            row = self.db.execute(f"SELECT * FROM articles WHERE {where}", values).fetchone()
            if row is None and key == ("url",):
                row = self.db.execute(
                    "SELECT articles.* FROM aliases JOIN articles ON articles.id = aliases.article "
                    "WHERE aliases.url = ?",
                    values,
                ).fetchone()
            if row is not None:
                return row, key
        return None, None

    def _columns(self, data: dict[str, Any]) -> dict[str, Any]:
        return {
            name: json.dumps(data.get(name) or [], ensure_ascii=False)
            if name in JSON_FIELDS
            else data.get(name)
            for name in ARTICLE_FIELDS
        }

    def _insert(self, data: dict[str, Any]) -> None:
        columns = self._columns(data)
        columns["first_seen"] = data.get("fetched_at") or _now()
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        self.db.execute(f"INSERT INTO articles ({names}) VALUES ({marks})", list(columns.values()))

    def _revise(
        self, row: sqlite3.Row, data: dict[str, Any], reason: str = CRAWLED, when: str | None = None
    ) -> None:
        """Keep the archived version in ``revisions``, then take the new content."""
        when = when or data.get("fetched_at") or _now()
        self.db.execute(
            "INSERT INTO revisions (article, content_hash, item, replaced_at, capture_id, reason) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                row["id"],
                row["content_hash"],
                json.dumps(row_to_item(row), ensure_ascii=False),
                when,
                row["capture_id"],
                reason,
            ),
        )
        columns = self._columns(data)
        del columns["url"]  # the archived URL stays; an alias records the other
        columns["modified"] = when
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*columns.values(), row["id"]]
        )

    def _prefer_article_url(self, row: sqlite3.Row, data: dict[str, Any]) -> bool:
        """The same text under two URLs: the one with an article id (``-p<id>.html``) is kept
        as the article's URL, whichever was met first, so that runs agree. True if the
        article's URL became this item's."""
        if row["article_id"] is None and data.get("article_id") is not None:
            self._add_alias(row["url"], row, "content_hash")
            self.db.execute("DELETE FROM aliases WHERE url = ?", (data["url"],))
            self.db.execute(
                "UPDATE articles SET url = ?, article_id = ? WHERE id = ?",
                (data["url"], data["article_id"], row["id"]),
            )
            data["url"] = row["url"]  # the caller records this one as the alias
            return True
        return False

    def _add_alias(self, url: str, row: sqlite3.Row, reason: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO aliases (url, article, reason, first_seen) VALUES (?, ?, ?, ?)",
            (url, row["id"], reason, _now()),
        )

    def _begin(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    def _tick(self) -> None:
        self._pending += 1
        if self._pending >= self.batch_size:
            self.commit()

    def _rollback(self) -> None:
        self._pending = 0
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                self.db.execute("ROLLBACK")

    def commit(self) -> None:
        """Commit the open batch; on failure roll it back and raise :class:`ArchiveWriteError`
        (``lost``: the items of the batch)."""
        if not self.db.in_transaction:
            self._pending = 0
            return
        try:
            self.db.execute("COMMIT")
        except sqlite3.Error as error:
            lost = self._pending
            self._rollback()
            raise ArchiveWriteError(f"{self.path}: commit failed: {error}", lost) from error
        self._pending = 0

    def record_run(self, run: RunRecord) -> None:
        """Remember one crawl run: its outcome counts, and (when given) status and report.
        Recording the same ``run_id`` again completes the row."""
        self.commit()
        counts = run.counts
        report = json.dumps(run.report, ensure_ascii=False) if run.report is not None else None
        self.db.execute(
            "INSERT INTO runs (run_id, started_at, finished_at, new, updated, unchanged, aliases,"
            " status, finish_reason, duration, exit_code, report)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at,"
            " status = excluded.status, finish_reason = excluded.finish_reason,"
            " duration = excluded.duration, exit_code = excluded.exit_code,"
            " report = excluded.report",
            (run.run_id, run.started_at, run.finished_at, counts.get(NEW, 0),
             counts.get(UPDATED, 0), counts.get(UNCHANGED, 0), counts.get(ALIAS, 0),
             run.status, run.finish_reason, run.duration, run.exit_code, report),
        )  # fmt: skip

    def record_pending(self, lost: list[tuple[str, str]]) -> None:
        """Remember article URLs a run lost, with the reason (one more attempt each)."""
        self.commit()
        self.db.executemany(
            "INSERT INTO pending (url, reason, lost_at) VALUES (?, ?, ?) ON CONFLICT (url) DO "
            "UPDATE SET reason = excluded.reason, lost_at = excluded.lost_at, "
            "attempts = attempts + 1",
            [(url, reason, _now()) for url, reason in lost],
        )

    def record_captures(self, captures: list[Capture], run_id: str | None) -> None:
        """Note where the run's WARC records lie (in the open batch: a capture counts once
        the items fetched with it are committed). A WARC file inside the archive's folder is
        named relative to it, so the folder can move as a whole; raises
        :class:`ArchiveWriteError` (``lost``: the open batch's items) if SQLite fails."""
        rows = [(c.record_id, c.url, run_id, self._warc_name(c.warc_file), c.offset, c.length,
                 c.record_type, c.payload_digest, c.date) for c in captures]  # fmt: skip
        try:
            self._begin()
            self.db.executemany(
                "INSERT OR IGNORE INTO captures (record_id, url, run_id, warc_file, offset, "
                "length, record_type, payload_digest, captured_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        except sqlite3.Error as error:
            lost = self._pending
            self._rollback()
            raise ArchiveWriteError(f"{self.path}: noting the captures: {error}", lost) from error

    def _warc_name(self, warc_file: str) -> str:
        path = Path(warc_file).resolve()
        folder = self.path.resolve().parent
        return str(path.relative_to(folder)) if path.is_relative_to(folder) else str(path)

    def warc_path(self, warc_file: str) -> Path:
        """The file a ``captures.warc_file`` names: relative names are in the archive's folder."""
        path = Path(warc_file)
        return path if path.is_absolute() else self.path.resolve().parent / path

    def reextracted(self, article: int, item: Any) -> None:
        """Give article ``article`` (its row id) the content ``item`` read again from its
        capture: the archived version goes to ``revisions`` (reason ``reextract``); the URL,
        fetch time and capture stay. In the open batch; raises :class:`ArchiveWriteError`."""
        data = asdict(item) if is_dataclass(item) and not isinstance(item, type) else dict(item)
        try:
            self._begin()
            row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article,)).fetchone()
            self._revise(row, {**data, "fetched_at": row["fetched_at"]}, REEXTRACTED, _now())
        except sqlite3.Error as error:
            lost = self._pending + 1
            self._rollback()
            raise ArchiveWriteError(f"{self.path}: {error}", lost) from error
        self._tick()

    def captured_articles(
        self, *, run_id: str | None = None, since: str | None = None
    ) -> list[int]:
        """Row ids of the articles whose content has a capture: all of them, or those whose
        page run ``run_id`` fetched, or fetched on or after ``since`` (a date or time)."""
        if run_id is None and since is None:
            query, params = "SELECT id FROM articles WHERE capture_id IS NOT NULL", []
        else:
            clause, value = ("c.run_id = ?", run_id) if run_id else ("c.captured_at >= ?", since)
            query = (
                "SELECT id FROM articles WHERE capture_id IS NOT NULL AND id IN ("
                "SELECT COALESCE(a.id, al.article) FROM captures c "
                "LEFT JOIN articles a ON a.url = c.url LEFT JOIN aliases al ON al.url = c.url "
                f"WHERE {clause})"
            )
            params = [value]
        return [row[0] for row in self.db.execute(query + " ORDER BY id", params)]

    def stored_by_run(self, run_id: str, limit: int) -> list[int]:
        """Row ids of up to ``limit`` articles whose content run ``run_id`` stored (a sample:
        ordered by their records' random ids)."""
        rows = self.db.execute(
            "SELECT articles.id FROM articles "
            "JOIN captures ON captures.record_id = articles.capture_id "
            "WHERE captures.run_id = ? ORDER BY captures.record_id LIMIT ?",
            (run_id, limit),
        )
        return [row[0] for row in rows]

    def article_row(self, article: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM articles WHERE id = ?", (article,)).fetchone()

    def content_capture(self, record_id: str) -> Capture | None:
        """The ``response`` record holding the payload of record ``record_id``: itself, or
        for an identical-payload ``revisit`` the earlier response it refers to."""
        row = self.db.execute("SELECT * FROM captures WHERE record_id = ?", (record_id,)).fetchone()
        if row is not None and row["record_type"] != "response":
            row = self.db.execute(
                "SELECT * FROM captures WHERE record_type = 'response' AND payload_digest = ? "
                "AND captured_at <= ? ORDER BY url = ? DESC, captured_at DESC LIMIT 1",
                (row["payload_digest"], row["captured_at"], row["url"]),
            ).fetchone()
        return capture_of(row) if row is not None else None

    def page_capture(self, url: str) -> Capture | None:
        """The record of the page at ``url``: an archived article's content (its own URL or an
        alias), else the URL's latest response."""
        row, _ = self._match({"url": url})
        if row is not None and row["capture_id"] is not None:
            return self.content_capture(row["capture_id"])
        found = self.db.execute(
            "SELECT * FROM captures WHERE url = ? AND record_type = 'response' "
            "ORDER BY captured_at DESC LIMIT 1",
            (url,),
        ).fetchone()
        return capture_of(found) if found is not None else None

    def originals(self) -> dict[str, Original]:
        """What a revisit refers to of each URL's latest full capture (``response`` record)."""
        rows = self.db.execute(
            "SELECT url, payload_digest, captured_at FROM captures "
            "WHERE record_type = 'response' ORDER BY captured_at"
        )
        return {url: Original(digest, date) for url, digest, date in rows}

    def confirm_unchanged(self, checked: dict[str, str]) -> None:
        """Record that the site answered 304 for these stored articles' URLs (URL → when): the
        stored copy counts as fetched then (a sitemap ``lastmod`` before it is no change)."""
        self.commit()
        self.db.executemany(
            "UPDATE articles SET fetched_at = ? " + _BY_URL,
            [(when, url, url) for url, when in sorted(checked.items())],
        )

    def mark_listings_complete(self, listings: set[tuple[str, str]]) -> None:
        """Record that these listings were paged through to their end."""
        self.commit()
        self.db.executemany(
            "INSERT INTO listings (host, section, completed_at) VALUES (?, ?, ?) "
            "ON CONFLICT (host, section) DO UPDATE SET completed_at = excluded.completed_at",
            [(host, section, _now()) for host, section in sorted(listings)],
        )

    def runs(self, limit: int = 20) -> list[sqlite3.Row]:
        """The latest runs, newest first."""
        return list(
            self.db.execute(
                "SELECT * FROM runs ORDER BY started_at DESC, id DESC LIMIT ?", (limit,)
            )
        )

    def run_ids(self) -> list[str]:
        """The ids of the runs that recorded themselves."""
        rows = self.db.execute("SELECT run_id FROM runs WHERE run_id IS NOT NULL")
        return [row[0] for row in rows]

    def run(self, run_id: str) -> sqlite3.Row | None:
        """One run by its id (or a unique prefix of it)."""
        rows = list(
            self.db.execute(
                "SELECT * FROM runs WHERE substr(run_id, 1, ?) = ? LIMIT 2", (len(run_id), run_id)
            )
        )
        return rows[0] if len(rows) == 1 else None

    def crawl_state(self, refresh_since: str | None) -> CrawlState:
        """Every archived URL with its fetch time, and the validators of the articles
        published on or after ``refresh_since`` (RFC 3339), which a run re-checks."""
        state = CrawlState()
        for url, fetched_at in self.db.execute("SELECT url, fetched_at FROM articles"):
            state.fetched[url] = fetched_at
        for url, fetched_at in self.db.execute(
            "SELECT aliases.url, articles.fetched_at FROM aliases "
            "JOIN articles ON articles.id = aliases.article"
        ):
            state.fetched[url] = fetched_at
        self.db.execute(  # stored since: no longer pending
            "DELETE FROM pending WHERE url IN (SELECT url FROM articles) "
            "OR url IN (SELECT url FROM aliases)"
        )
        state.pending = [
            url
            for (url,) in self.db.execute(
                "SELECT url FROM pending WHERE attempts < ? ORDER BY url", (PENDING_MAX_ATTEMPTS,)
            )
        ]
        state.complete_listings = {
            (host, section)
            for host, section in self.db.execute("SELECT host, section FROM listings")
        }
        if refresh_since is not None:
            rows = self.db.execute(
                "SELECT url, etag, last_modified FROM articles WHERE published >= ?",
                (refresh_since,),
            )
            state.recent = {url: Validators(etag, modified) for url, etag, modified in rows}
        return state

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading -----------------------------------------------------------------------------

    def iter_rows(
        self,
        *,
        since: str | None = None,
        until: str | None = None,
        site: str | None = None,
        section: str | Sequence[str] | None = None,
        limit: int | None = None,
    ) -> Iterator[sqlite3.Row]:
        """Articles newest first (undated last), streamed from the database; each row also
        has ``captured_at``, the time of its content's WARC record (``capture_id``), or None.

        ``since``/``until`` are dates (``YYYY-MM-DD``, Vietnam time, both inclusive) or
        RFC 3339 times, compared with ``published``; ``section`` one stored name or several.
        """
        clauses: list[str] = []
        params: list[str | int] = []
        if since:
            clauses.append("published >= ?")
            params.append(since)
        if until:
            clauses.append("published < ?" if len(until) > 10 else "substr(published, 1, 10) <= ?")
            params.append(until)
        if site:
            clauses.append("site = ?")
            params.append(site)
        if isinstance(section, str):
            if section:
                clauses.append("section = ?")
                params.append(section)
        elif section is not None:  # any of these names (none: no article)
            clauses.append(f"section IN ({', '.join('?' for _ in section)})" if section else "0")
            params.extend(section)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        order = "ORDER BY published IS NULL, published DESC, id DESC"
        sql = f"SELECT id FROM articles {where} {order}"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        # Ids in order from the index, then the rows of each batch by id: reading whole rows in
        # index order makes SQLite's memory grow with the archive; this stays flat.
        ids = self.db.execute(sql, params)
        while batch := [row[0] for row in ids.fetchmany(100)]:
            marks = ", ".join("?" for _ in batch)
            rows = self.db.execute(
                "SELECT articles.*, captures.captured_at AS captured_at FROM articles "
                "LEFT JOIN captures ON captures.record_id = articles.capture_id "
                f"WHERE articles.id IN ({marks})",
                batch,
            )
            by_id = {row["id"]: row for row in rows}
            yield from (by_id[key] for key in batch)

    def get(self, url: str) -> dict[str, Any] | None:
        """The archived item at ``url`` (or at the article it is an alias of)."""
        row, _ = self._match({"url": url})
        return row_to_item(row) if row is not None else None

    def count(self, table: str = "articles") -> int:
        if table not in ("articles", "aliases", "revisions", "runs"):
            raise ValueError(f"no table {table!r}")
        return int(self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def aliases(self) -> dict[str, str]:
        """Alias URL → the article's URL."""
        rows = self.db.execute(
            "SELECT aliases.url, articles.url FROM aliases "
            "JOIN articles ON articles.id = aliases.article ORDER BY aliases.url"
        )
        return {alias: url for alias, url in rows}

    def by_site_and_section(self) -> list[tuple[str, str | None, int]]:
        """Article counts by site and section."""
        rows = self.db.execute(
            "SELECT site, section, COUNT(*) FROM articles GROUP BY site, section "
            "ORDER BY site, COUNT(*) DESC, section"
        )
        return [(site, section, count) for site, section, count in rows]


def archive_problem(path: Path) -> str | None:
    """Why ``path`` is not an existing archive to read (missing, empty, not SQLite, not ours),
    or None. Looked at read-only: a reading command never turns a file into an archive."""
    if not path.is_file():
        return f"no archive at {path} (run a crawl first)"
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        return f"{path}: not an archive ({error})"
    return None if found else f"{path}: not a vusta-crawler archive (no schema_migrations table)"


def capture_of(row: sqlite3.Row) -> Capture:
    return Capture(row["url"], row["warc_file"], row["offset"], row["length"], row["record_id"],
                   row["record_type"], row["payload_digest"], row["captured_at"],
                   row["run_id"])  # fmt: skip


def row_to_item(row: sqlite3.Row) -> dict[str, Any]:
    """An archived row as the item of the schema (``schemas/article.schema.json``)."""
    return {
        name: json.loads(row[name]) if name in JSON_FIELDS else row[name] for name in ARTICLE_FIELDS
    }


def capture_ref(row: sqlite3.Row) -> dict[str, str] | None:
    """The item schema's ``capture`` (record id, capture time) of a row of :meth:`iter_rows`."""
    if row["capture_id"] is None or row["captured_at"] is None:
        return None
    return {"record_id": row["capture_id"], "captured_at": row["captured_at"]}
