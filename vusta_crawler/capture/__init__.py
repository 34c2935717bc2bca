"""WARC captures of what the site showed, beside the archive (the raw pages the items came
from)."""
