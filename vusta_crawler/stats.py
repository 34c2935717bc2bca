"""The crawl's own stat keys (``vusta/...``), declared once; and the warning value extraction
hands to whoever reports it.

A run's summary groups the counted keys by their prefix, so every key below is either a
constant or a prefix plus a named reason (``NOT_ARTICLE + "listing_page"``).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- extraction ----------------------------------------------------------------------------
NOT_ARTICLE = "vusta/not_article/"
"""+ reason: a fetched page that holds no article (``no_title``, ``listing_page``, …)."""

DATE = "vusta/date/"
"""+ problem: a printed date that was not taken (``weekday_mismatch``, ``future_date``, …)."""

PAGE_FLATTENED = "vusta/page/deep_tree_flattened"
"""A page nested deeper than extraction reads; its deepest elements were read as plain text."""

LISTING_AT_ARTICLE_URL = "vusta/page/listing_at_article_url"
"""A page under an article-shaped URL that reads as a section listing: no item (a warning,
because a lost article is the worst outcome)."""

# --- the crawl -----------------------------------------------------------------------------
LISTING_STOPPED_BY_SINCE = "vusta/listing/stopped_by_since"
LISTING_STOPPED_BY_ARCHIVE = "vusta/listing/stopped_by_archive"
"""A listing whose last ``overlap`` pages brought no article the archive lacks."""
LISTING_FAILED = "vusta/listing/failed"
"""A listing page that could not be fetched (a 404 for an unknown ``--sections`` entry…)."""
ARTICLES_NEW_URLS = "vusta/articles/requested_new"
"""Article URLs the archive lacks, requested."""
RECHECKED = "vusta/articles/rechecked"
"""Stored articles fetched again (published recently, or changed by the sitemap)."""
NOT_MODIFIED = "vusta/articles/not_modified"
"""Re-checked articles the site answered 304 Not Modified for (unchanged)."""
SITEMAP_UNREADABLE = "vusta/sitemap/unreadable"
FRONTIER_PEAK = "vusta/frontier/peak"
"""The most sitemap / pending article URLs that waited at once to be scheduled."""
SCHEDULER_PEAK = "vusta/scheduler/peak"
"""The most requests Scrapy's scheduler held at once (what memory grows with)."""
OFFSITE_BLOCKED = "vusta/offsite_blocked"
REFUSED = "vusta/refused/"
"""+ reason (:data:`REFUSALS`): a response the crawl would not take as it came."""
REFUSALS = {
    "redirect_offsite": "a redirect off vusta.vn / en.vusta.vn, or to a non-http(s) URL",
    "redirect_loop": "a redirect back to a URL of its own chain, or too many redirects",
    "meta_refresh": "a meta refresh to anything but an article URL on the two hosts (the "
    "page itself is read)",
    "truncated": "a body cut short (retried; counted each time)",
    "too_large": "a body over DOWNLOAD_MAXSIZE once decompressed",
}
"""The refusals, with what each means (the README's table)."""
BACKOFF = "vusta/backoff"
"""Retries before which a host's delay was raised (429, 5xx)."""
BACKOFF_RELAXED = "vusta/backoff_relaxed"
"""Hosts whose raised delay came back down to its base after successes."""

# --- storing -------------------------------------------------------------------------------
DROPPED = "vusta/dropped/"
"""+ reason: an item the validate pipeline dropped (``missing_title``, …)."""

ARCHIVE = "vusta/archive/"
"""+ outcome: what storing an item did (``new``, ``updated``, ``unchanged``, ``alias``)."""

FIELD_COVERAGE = "spidermon_field_coverage/ArticleItem/"
"""+ field: the share of items with that field (spidermon computes it when the spider closes)."""

ARCHIVE_WRITE_ERROR = "vusta/archive_write/items_lost"
"""Items a failed archive write took with it (not archived; the next run fetches them again)."""

ARCHIVE_WRITE_FAILURES = "vusta/archive_write/failures"
"""Archive writes (an item, a batch's commit) that failed."""

# --- capturing -----------------------------------------------------------------------------
CAPTURE = "vusta/warc/records/"
"""+ record type: the WARC records written for responses (``response``, ``revisit``)."""

CAPTURE_BYTES = "vusta/warc/bytes"
"""Bytes of WARC written for responses and their requests (gzip members)."""

CAPTURE_ERROR = "vusta/warc/errors"
"""Responses that could not be written to the WARC files (a full disk…): not captured."""

QA_EXAMINED = "vusta/qa/examined"
"""Articles the end-of-run QA pass read again from this run's WARC records."""

QA_EQUAL = "vusta/qa/equal"
"""… and found equal to what the archive holds."""

QA_DIFFER = "vusta/qa/differ/"
"""+ field: QA articles whose field read from the record differs from the archive's."""

QA_FAILED = "vusta/qa/failed/"
"""+ reason: QA articles that could not be read again (``capture_unreadable``, …)."""


@dataclass(frozen=True)
class PageWarning:
    """Something noticed while reading a page: a stat key to count and a message to log."""

    key: str
    message: str
