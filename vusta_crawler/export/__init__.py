"""Exports for archivists, streamed from the archive: JSON Feed 1.1 and JSON Lines."""
