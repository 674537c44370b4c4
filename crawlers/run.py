"""Run one crawl in this process and summarise it (what ``fapai crawl`` calls).

With a Redis URL the crawl runs distributed (:mod:`crawlers.distributed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from crawlers import settings as project_settings
from crawlers.distributed import redis_settings
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
            f"无法判断 {path.name} 的输出格式：请用 {'、'.join(FEED_FORMATS)} 之一"
        )
    return {str(path): {"format": fmt, "encoding": "utf-8", "overwrite": True}}


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``["DOWNLOAD_DELAY=0", …]`` → {"DOWNLOAD_DELAY": "0"} (Scrapy converts the types)."""
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise CrawlSetupError(f"--set 应写作 名称=值，收到的是 {pair!r}")
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
        values |= redis_settings(redis_url, crawl_id, workers)
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
        raise CrawlSetupError(f"没有爬虫 {spider!r}；可用：{'、'.join(spider_names())}")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spider)
    process.crawl(crawler, **{k: v for k, v in spider_args.items() if v is not None})
    process.start()
    return summarise(spider, crawler.stats.get_stats())
