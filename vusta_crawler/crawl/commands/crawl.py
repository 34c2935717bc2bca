"""``scrapy crawl vusta -a site=fr``: the spider's arguments checked up front.

Scrapy builds the spider inside its event loop, where an exception from ``__init__`` becomes an
asyncio "Task exception was never retrieved" traceback and exit 1; checked here, in the
command's option processing, it is Scrapy's own usage error (one line, exit 2).
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from vusta_crawler.crawl.options import CrawlOptions, OptionError
from vusta_crawler.crawl.spiders.vusta import VustaSpider

_OPTION_NAMES = ("site", "sections", "since", "max_pages", "full", "refresh_days", "overlap")


class Command(ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if args and args[0] == VustaSpider.name:
            given = {k: v for k, v in (opts.spargs or {}).items() if k in _OPTION_NAMES}
            try:
                CrawlOptions.parse(**given)
            except OptionError as error:
                raise UsageError(f"-a: {error}", print_help=False) from None
