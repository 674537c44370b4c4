"""Scrapy settings of the fapai crawlers: polite by default.

``crawlers.run.crawl_settings`` layers the per-run values on top (database URL, feeds,
scrapy-redis when ``FAPAI_REDIS_URL`` is set, HTTP cache for development).
"""

BOT_NAME = "fapai"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

USER_AGENT = "fapai-crawler/0.1 (+https://github.com/fapai/fapai; market data for price inquiry)"
ROBOTSTXT_OBEY = True

# Politeness: at most 2 requests in flight per site, AutoThrottle adapting the delay to the
# server's latency, retries with backoff on transient failures.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_PRIORITY_ADJUST = -1
# Backoff: each retry doubles the site's delay (1 s at least, 60 s at most).
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
}
FAPAI_BACKOFF_START = 1.0
FAPAI_BACKOFF_MAX = 60.0

# Development: cache responses on disk (``fapai crawl --cache``); off in production.
HTTPCACHE_ENABLED = False
HTTPCACHE_EXPIRATION_SECS = 24 * 3600
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_IGNORE_HTTP_CODES = [404, 429, 500, 502, 503, 504]

ITEM_PIPELINES = {
    "crawlers.pipelines.ValidationPipeline": 200,
    "crawlers.pipelines.DedupePipeline": 300,
    "crawlers.pipelines.StoragePipeline": 400,
}
EXTENSIONS = {
    "crawlers.extensions.CrawlRunRecorder": 500,
    "crawlers.distributed.SharedQueueIdle": 510,
}
FAPAI_BATCH_SIZE = 200

FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
# `fapai crawl` logs through the fapai root logger configuration.
LOG_INSTALL_ROOT_HANDLER = False
