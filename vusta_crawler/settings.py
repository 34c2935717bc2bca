"""Scrapy settings for vusta-crawler: polite to a small public site, archival by default.

https://docs.scrapy.org/en/latest/topics/settings.html
"""

from pathlib import Path

BOT_NAME = "vusta_crawler"
SPIDER_MODULES = ["vusta_crawler.crawl.spiders"]
COMMANDS_MODULE = "vusta_crawler.crawl.commands"  # crawl: the -a arguments checked first
NEWSPIDER_MODULE = "vusta_crawler.crawl.spiders"

# Identify ourselves; the site answers unknown bots with 403s.
# https://docs.scrapy.org/en/latest/topics/settings.html#user-agent
USER_AGENT = "vusta-crawler/0.1 (+https://github.com/vusta-crawler/vusta-crawler; news archive)"
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"  # the spider reads its Sitemap lines

# Politeness. https://docs.scrapy.org/en/latest/topics/autothrottle.html
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy's default, 100, starts ~100 asyncio tasks for each callback's output (which holds one
# item and a few requests): 8 measured 9-13 % more pages/s, 10-12 % less CPU per page
# (make bench crawl_settings)
CONCURRENT_ITEMS = 8
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 2.0  # seconds; doubled on each retry of the same request
RETRY_BACKOFF_MAX = 120.0

# Bounded downloads. https://docs.scrapy.org/en/latest/topics/settings.html#download-maxsize
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_TIMEOUT = 60
DNS_TIMEOUT = 15

# Nothing listens and nothing loads that the crawl does not use: no telnet console, no
# RemoteControl (Scrapy 2.19's HTTP server that runs Python), no cookies (news pages need none),
# no download handler but http/https (file, data, ftp and s3 URLs are never fetched).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
COOKIES_ENABLED = False

# https://docs.scrapy.org/en/latest/topics/feed-exports.html
FEED_EXPORT_ENCODING = "utf-8"

LOG_LEVEL = "INFO"

# Never leave the two hosts (requests, redirects, meta refreshes); back off before retrying and
# relax after; retry a body cut short; name a body too large once decompressed. Each takes the
# place of Scrapy's own middleware at its order.
# https://docs.scrapy.org/en/latest/topics/downloader-middleware.html
DOWNLOADER_MIDDLEWARES = {
    "vusta_crawler.crawl.middlewares.HostGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "vusta_crawler.crawl.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "vusta_crawler.crawl.redirects.SiteMetaRefreshMiddleware": 580,
    "vusta_crawler.crawl.bodies.TruncationMiddleware": 585,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "vusta_crawler.crawl.bodies.SizedDecompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "vusta_crawler.crawl.redirects.SiteRedirectMiddleware": 600,
    "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": None,
    # next to the download handler: every response as it came (before decompression, redirects
    # and retries), into WARC files
    "vusta_crawler.crawl.capture.WarcCaptureMiddleware": 950,
}
VUSTA_WARC_DIR = ""  # empty: no capture (the command line sets it beside the database)
VUSTA_WARC_MAX_SIZE = 100 * 1024 * 1024
VUSTA_QA_SAMPLE = 20  # articles of the run read again from its WARC records at the end (0: off)
VUSTA_OPERATOR = ""  # who runs the crawl (a name, an e-mail), written into each warcinfo record

# Validate, deduplicate and store. https://docs.scrapy.org/en/latest/topics/item-pipeline.html
ITEM_PIPELINES = {
    "vusta_crawler.store.pipelines.ValidatePipeline": 100,
    "spidermon.contrib.scrapy.pipelines.ItemValidationPipeline": 200,
    "vusta_crawler.store.pipelines.ArchivePipeline": 300,
}

# Monitors, run when the spider closes: a failure fails the run (exit code 1).
# https://spidermon.readthedocs.io/en/latest/getting-started.html
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
    "spidermon.contrib.scrapy.extensions.Spidermon": 500,
    "vusta_crawler.crawl.progress.Progress": 600,
}
VUSTA_PROGRESS = None  # None: a progress line when stderr is a terminal, else periodic log lines
VUSTA_PROGRESS_INTERVAL = 60.0
SPIDERMON_ENABLED = True
SPIDERMON_SPIDER_CLOSE_MONITORS = ["vusta_crawler.crawl.monitors.RunMonitorSuite"]
SPIDERMON_VALIDATION_SCHEMAS = [str(Path(__file__).parent / "schemas" / "article.schema.json")]
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
SPIDERMON_ADD_FIELD_COVERAGE = True
SPIDERMON_FIELD_COVERAGE_SKIP_NONE = True  # a null or empty field is not covered
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ERRORS = 0  # ERROR lines in the log
SPIDERMON_MAX_RETRIES = 20  # requests that used up their retries
VUSTA_MONITOR_MIN_SAMPLE = 20
"""Coverage shares are judged on runs of at least this many items (a run of 3 proves little)."""
VUSTA_MONITOR_MIN_PUBLISHED = 0.95
VUSTA_MONITOR_MAX_LOST = 5
VUSTA_MONITOR_MAX_LOST_SHARE = 0.02
"""Lost article pages allowed: the larger of the count and the share of article pages asked for."""
VUSTA_MONITOR_MIN_FULL_ARTICLES = 50
VUSTA_DB = "data/vusta.sqlite3"
VUSTA_DB_BATCH = 100

# Set by `vusta-crawler crawl --mirror URL` (or -s VUSTA_MIRROR=URL): every request goes to that
# mirror; unset, the handler is Scrapy's HTTP/1.1 handler as it is.
VUSTA_MIRROR = None
DOWNLOAD_HANDLERS = {
    "http": "vusta_crawler.crawl.handlers.MirrorDownloadHandler",
    "https": "vusta_crawler.crawl.handlers.MirrorDownloadHandler",
    "data": None,
    "file": None,
    "ftp": None,
    "s3": None,
}
