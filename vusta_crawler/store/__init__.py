"""Storing items: the validate and archive pipelines, the SQLite archive and its migrations."""
