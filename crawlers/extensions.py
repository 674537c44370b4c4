"""Crawl-level extensions: the run log with fill-rate change detection, and a progress line."""

from __future__ import annotations

import logging

from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

from crawlers import runs
from crawlers.pipelines import clock_of
from crawlers.storage import engine_for
from fapai.db import session_factory, session_scope

log = logging.getLogger(__name__)

FALLEN_PREFIX = "fill_rate_fallen/"


def dropped_counts(stats: dict) -> dict[str, int]:
    """reason → count, from the ``dropped/<reason>`` stats."""
    return {
        k.removeprefix("dropped/"): v for k, v in sorted(stats.items()) if k.startswith("dropped/")
    }


class CrawlRunRecorder:
    """At the end of a crawl: compare fill rates with the previous run, warn, log the run.

    A fallen field becomes the stat ``fill_rate_fallen/<field>`` ("0.95->0.10"), which
    ``fapai crawl`` turns into a non-zero exit. Needs ``FAPAI_DATABASE_URL``.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.started_at = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlRunRecorder:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.started_at = clock_of(self.crawler).now()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        url = self.crawler.settings.get("FAPAI_DATABASE_URL")
        stats = self.crawler.stats
        rates = runs.fill_rates(stats.get_stats())
        for name, rate in rates.items():
            stats.set_value(f"fill_rate/{name}", rate)
        if not url:
            return
        scope = getattr(spider, "scope", "")
        engine = engine_for(url)
        try:
            with session_scope(session_factory(engine)) as session:
                previous = runs.previous_run(session, spider.name, scope)
                if previous is not None:
                    fallen = runs.fallen_fields(previous.fill_rates, rates)
                    for name, (before, now) in fallen.items():
                        stats.set_value(f"{FALLEN_PREFIX}{name}", f"{before:.2f}->{now:.2f}")
                        log.warning(
                            "fill rate of %r fell from %.2f to %.2f since the last crawl: "
                            "a selector may have stopped matching",
                            name,
                            before,
                            now,
                        )
                session.add(
                    runs.CrawlRun(
                        spider=spider.name,
                        scope=scope,
                        started_at=self.started_at,
                        finished_at=clock_of(self.crawler).now(),
                        pages=stats.get_value("response_received_count", 0),
                        items=stats.get_value("item_scraped_count", 0),
                        stored=stats.get_value("stored/inserted", 0)
                        + stats.get_value("stored/updated", 0),
                        dropped=dropped_counts(stats.get_stats()),
                        fill_rates=rates,
                        finish_reason=reason,
                    )
                )
        finally:
            engine.dispose()


class ProgressLine:
    """A live rich line (pages, items, stored, dropped) while ``fapai crawl`` runs."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), transient=True
        )
        self.task_id = None
        self.loop = task.LoopingCall(self.refresh)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Spider) -> None:
        self.progress.start()
        self.task_id = self.progress.add_task(f"crawling {spider.name}", total=None)
        self.loop.start(0.5)

    def refresh(self) -> None:
        stats = self.crawler.stats
        dropped = sum(dropped_counts(stats.get_stats()).values())
        self.progress.update(
            self.task_id,
            description=(
                f"{self.crawler.spider.name}: {stats.get_value('response_received_count', 0)} pages"
                f" · {stats.get_value('item_scraped_count', 0)} items"
                f" · {stats.get_value('stored/inserted', 0)} new"
                f" · {dropped} dropped"
            ),
        )

    def spider_closed(self, spider: Spider) -> None:
        if self.loop.running:
            self.loop.stop()
        self.progress.stop()
