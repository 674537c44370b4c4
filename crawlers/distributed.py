"""Distributed crawling with scrapy-redis: settings, a start line, and idling on a shared queue.

With ``FAPAI_REDIS_URL`` set, the scheduler queue and the request dupefilter live in Redis
under keys named by the crawl id, so several ``fapai crawl`` processes (on several machines)
given the same crawl id share one crawl and never fetch a page twice. The keys persist after
a worker ends (another may still run); a new crawl takes a new id. Migrate a fresh database
once (any ``fapai`` command does) before starting several workers on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from crawlers.pipelines import clock_of

log = logging.getLogger(__name__)


def redis_settings(redis_url: str, crawl_id: str, workers: int) -> dict[str, Any]:
    """Scrapy settings that put the crawl's queue and dupefilter in Redis."""
    return {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "REDIS_URL": redis_url,
        "SCHEDULER_PERSIST": True,  # another worker may still be crawling
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_QUEUE_KEY": f"{crawl_id}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{crawl_id}:%(spider)s:dupefilter",
        "FAPAI_CRAWL_ID": crawl_id,
        "FAPAI_REDIS_WORKERS": workers,
    }


async def wait_for_workers(crawler: Crawler, spider_name: str) -> None:
    """With ``FAPAI_REDIS_WORKERS`` = N, join the crawl and wait until N workers joined.

    So a worker that starts late is not left without work. Gives up after
    ``FAPAI_REDIS_WORKERS_WAIT`` seconds (a warning) and crawls anyway.
    """
    settings = crawler.settings
    wanted = settings.getint("FAPAI_REDIS_WORKERS", 1)
    if not settings.get("REDIS_URL") or wanted <= 1:
        return
    import redis

    client = redis.Redis.from_url(settings["REDIS_URL"])
    key = f"{settings['FAPAI_CRAWL_ID']}:{spider_name}:workers"
    joined = client.incr(key)
    deadline = time.monotonic() + settings.getfloat("FAPAI_REDIS_WORKERS_WAIT", 60.0)
    while joined < wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.2)  # polling Redis for the other workers
        joined = int(client.get(key) or 0)
    client.close()
    if joined < wanted:
        log.warning("only %d of %d workers joined; crawling anyway", joined, wanted)


class SharedQueueIdle:
    """Records when the crawl's last response came (stat ``last_response_time``) and, in
    distributed mode, keeps an idle worker up until it has received nothing for
    ``FAPAI_REDIS_MAX_IDLE`` seconds: the shared queue can run dry for a moment while another
    worker is still parsing a page that will refill it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.last_response_at = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedQueueIdle:
        ext = cls(crawler)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        if crawler.settings.get("REDIS_URL"):
            crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        return ext

    def response_received(self) -> None:
        self.last_response_at = time.monotonic()
        self.crawler.stats.set_value("last_response_time", clock_of(self.crawler).now())

    def spider_idle(self, spider: Spider) -> None:
        max_idle = self.crawler.settings.getfloat("FAPAI_REDIS_MAX_IDLE", 3.0)
        if time.monotonic() - self.last_response_at < max_idle:
            raise DontCloseSpider
