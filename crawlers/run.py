"""Run one crawl in this process and summarise it (what ``fapai crawl`` calls).

Distributed mode: with ``FAPAI_REDIS_URL`` set, the scheduler queue and the request
dupefilter live in Redis (scrapy-redis), under keys named by the crawl id, so several
``fapai crawl`` processes (on several machines) given the same crawl id share one crawl and
never fetch a page twice. ``workers=N`` makes each worker wait (up to
``FAPAI_REDIS_WORKERS_WAIT`` seconds) until N workers have joined before the crawl starts, so a
slow starter is not left without work. The keys persist after a worker ends (another may
still run); a new crawl takes a new id (the default is the spider, the city and the UTC
date). Migrate a fresh database once (any ``fapai`` command does) before starting several
workers on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawlers import settings as project_settings
from crawlers.extensions import FALLEN_PREFIX, dropped_counts

FEED_FORMATS = {".jsonl": "jsonlines", ".jl": "jsonlines", ".json": "json", ".csv": "csv"}


class CrawlSetupError(ValueError):
    """A crawl that cannot start as asked (unknown spider, feed format…); says why in words."""


def base_settings() -> Settings:
    settings = Settings()
    settings.setmodule(project_settings, priority="project")
    return settings


def spider_names() -> list[str]:
    return sorted(SpiderLoader.from_settings(base_settings()).list())


def feed_for(path: Path) -> dict[str, dict[str, Any]]:
    """``-o items.jsonl`` / ``.csv`` / ``.json`` → Scrapy's FEEDS setting."""
    fmt = FEED_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CrawlSetupError(
            f"cannot tell the feed format of {path.name}: use one of {', '.join(FEED_FORMATS)}"
        )
    return {str(path): {"format": fmt, "encoding": "utf-8", "overwrite": True}}


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["DOWNLOAD_DELAY=0", …]`` → {"DOWNLOAD_DELAY": "0"} (Scrapy converts the types)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrawlSetupError(f"--set wants NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def crawl_settings(
    *,
    database_url: str | None,
    output: Path | None = None,
    redis_url: str | None = None,
    crawl_id: str = "fapai",
    workers: int = 1,
    cache: bool = False,
    progress: bool = False,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """The project settings plus this run's: database, feed, Redis, cache, progress line."""
    settings = base_settings()
    values: dict[str, Any] = {"FAPAI_DATABASE_URL": database_url, "HTTPCACHE_ENABLED": cache}
    if output is not None:
        values["FEEDS"] = feed_for(output)
    if redis_url:
        values |= {
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
    if progress:
        values["EXTENSIONS"] = {
            **settings.getdict("EXTENSIONS"),
            "crawlers.extensions.ProgressLine": 600,
        }
    values |= overrides or {}
    settings.setdict(values, priority="cmdline")
    return settings


@dataclass
class CrawlSummary:
    spider: str
    stats: dict[str, Any]
    dropped: dict[str, int] = field(default_factory=dict)
    fill_rates: dict[str, float] = field(default_factory=dict)
    fallen: dict[str, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def ok(self) -> bool:
        return not self.fallen and self.stats.get("finish_reason") == "finished"


def summarise(spider: str, stats: dict[str, Any]) -> CrawlSummary:
    return CrawlSummary(
        spider=spider,
        stats=stats,
        dropped=dropped_counts(stats),
        fill_rates={
            k.removeprefix("fill_rate/"): v for k, v in stats.items() if k.startswith("fill_rate/")
        },
        fallen={
            k.removeprefix(FALLEN_PREFIX): v
            for k, v in stats.items()
            if k.startswith(FALLEN_PREFIX)
        },
    )


def run_crawl(spider: str, settings: Settings, **spider_args: Any) -> CrawlSummary:
    """Run ``spider`` to the end in this process (it owns the Twisted reactor once).

    Log lines go to the caller's logging handlers (Scrapy installs none of its own).
    """
    if spider not in spider_names():
        raise CrawlSetupError(f"no spider {spider!r}; known: {', '.join(spider_names())}")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    process.start()
    return summarise(spider, crawler.stats.get_stats())
