"""Scrapy settings for vusta-crawler: polite to a small public site, archival by default.

https://docs.scrapy.org/en/latest/topics/settings.html
"""

BOT_NAME = "vusta_crawler"
SPIDER_MODULES = ["vusta_crawler.spiders"]
NEWSPIDER_MODULE = "vusta_crawler.spiders"

# Identify ourselves; the site answers unknown bots with 403s.
# https://docs.scrapy.org/en/latest/topics/settings.html#user-agent
USER_AGENT = "vusta-crawler/0.1 (+https://github.com/vusta-crawler/vusta-crawler; news archive)"
ROBOTSTXT_OBEY = True

# Politeness. https://docs.scrapy.org/en/latest/topics/autothrottle.html
CONCURRENT_REQUESTS = 4
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

# Bounded downloads. https://docs.scrapy.org/en/latest/topics/settings.html#download-maxsize
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
DOWNLOAD_TIMEOUT = 60

TELNETCONSOLE_ENABLED = False
COOKIES_ENABLED = False

# https://docs.scrapy.org/en/latest/topics/feed-exports.html
FEED_EXPORT_ENCODING = "utf-8"

LOG_LEVEL = "INFO"
