"""The archive's schema, as numbered migrations: an existing archive is upgraded in place.

Append a migration to change the schema; never edit one that has shipped. Each runs once, in
its own transaction, and is recorded in ``schema_migrations``.
"""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "articles, their aliases and earlier revisions",
        """
        CREATE TABLE articles (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL UNIQUE,
            site TEXT NOT NULL,
            article_id INTEGER,
            language TEXT NOT NULL,
            title TEXT NOT NULL,
            published TEXT,
            published_raw TEXT,
            section TEXT,
            summary TEXT,
            body_text TEXT NOT NULL,
            body_html TEXT NOT NULL,
            authors TEXT NOT NULL,
            images TEXT NOT NULL,
            related TEXT NOT NULL,
            latest TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            fetched_at TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            modified TEXT
        );
        CREATE INDEX articles_site_article_id ON articles (site, article_id);
        CREATE INDEX articles_content_hash ON articles (content_hash);
        CREATE INDEX articles_published ON articles (published);
        CREATE TABLE aliases (
            url TEXT PRIMARY KEY,
            article INTEGER NOT NULL REFERENCES articles (id),
            reason TEXT NOT NULL,
            first_seen TEXT NOT NULL
        );
        CREATE TABLE revisions (
            id INTEGER PRIMARY KEY,
            article INTEGER NOT NULL REFERENCES articles (id),
            content_hash TEXT NOT NULL,
            item TEXT NOT NULL,
            replaced_at TEXT NOT NULL
        );
        CREATE INDEX revisions_article ON revisions (article);
        """,
    ),
    Migration(
        2,
        "crawl runs and their figures",
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            aliases INTEGER NOT NULL DEFAULT 0
        );
        """,
    ),
    Migration(
        3,
        "an index in export order, so exports stream without sorting in memory",
        """
        CREATE INDEX articles_newest_first
            ON articles ((published IS NULL), published DESC, id DESC);
        """,
    ),
    Migration(
        4,
        "HTTP validators of each article (conditional re-checks); a run's id, status and report",
        """
        ALTER TABLE articles ADD COLUMN etag TEXT;
        ALTER TABLE articles ADD COLUMN last_modified TEXT;
        ALTER TABLE runs ADD COLUMN run_id TEXT;
        ALTER TABLE runs ADD COLUMN status TEXT;
        ALTER TABLE runs ADD COLUMN finish_reason TEXT;
        ALTER TABLE runs ADD COLUMN duration REAL;
        ALTER TABLE runs ADD COLUMN exit_code INTEGER;
        ALTER TABLE runs ADD COLUMN report TEXT;
        CREATE UNIQUE INDEX runs_run_id ON runs (run_id)
        """,
    ),
    Migration(
        5,
        "section listings a run has paged through to their end (incremental runs may stop early)",
        """
        CREATE TABLE listings (
            host TEXT NOT NULL,
            section TEXT NOT NULL,
            completed_at TEXT NOT NULL,
            PRIMARY KEY (host, section)
        )
        """,
    ),
    Migration(
        6,
        "article URLs a run lost (an error, a drop): the next runs ask for them again",
        """
        CREATE TABLE pending (
            url TEXT PRIMARY KEY,
            reason TEXT NOT NULL,
            lost_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1
        )
        """,
    ),
    Migration(
        7,
        "WARC captures of the responses a run fetched; each article and revision names its own",
        """
        CREATE TABLE captures (
            record_id TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            run_id TEXT,
            warc_file TEXT NOT NULL,
            offset INTEGER NOT NULL,
            length INTEGER NOT NULL,
            record_type TEXT NOT NULL,
            payload_digest TEXT NOT NULL,
            captured_at TEXT NOT NULL
        );
        CREATE INDEX captures_url ON captures (url, captured_at);
        ALTER TABLE articles ADD COLUMN capture_id TEXT;
        ALTER TABLE revisions ADD COLUMN capture_id TEXT;
        """,
    ),
    Migration(
        8,
        "why each revision was made (a crawl met changed content, or re-extraction read it "
        "anew); captures found by run (the QA pass, reextract --run, export wacz --run)",
        """
        ALTER TABLE revisions ADD COLUMN reason TEXT NOT NULL DEFAULT 'crawl';
        CREATE INDEX captures_run ON captures (run_id, captured_at);
        """,
    ),
)

SCHEMA_VERSION = MIGRATIONS[-1].version
