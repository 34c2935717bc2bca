"""Scrapy commands of the project (``COMMANDS_MODULE``): ``crawl`` checks the vusta spider's
``-a`` arguments before Scrapy starts, so a typo is one usage line and exit 2."""
