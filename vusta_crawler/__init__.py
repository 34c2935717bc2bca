"""vusta-crawler: an archive crawler for the news of VUSTA (vusta.vn, en.vusta.vn)."""

__version__ = "0.1.0"

SCHEMA_VERSION = 2
"""Version of the item schema (``vusta_crawler/schemas/article.schema.json``); 2 added the
exports' ``capture`` reference."""
