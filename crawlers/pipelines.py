"""Item pipelines, each doing one thing, in this order (``ITEM_PIPELINES``):

1. :class:`ValidationPipeline` checks an item against the one schema and replaces its values
   with the clean, typed ones, or drops it with the rule's reason; a listing without a
   community whose title starts with a known community of its district gets that community
   (and its business circle), as the shipped data's derivation does
   (:func:`valuation.market_data.communities.fill_from_title`, counted as
   ``filled/community_from_title``);
2. :class:`DedupePipeline` drops a second item with the same (source, id) in one crawl;
3. :class:`StoragePipeline` writes the items to the project database in batches.

(Fill rates are counted where the pages are parsed, per page kind: :mod:`crawlers.runs`.)

Every drop raises ``DropItem`` and counts ``dropped/<reason>`` in the crawl stats.
"""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawlers.items import AuctionResultItem, ListingItem
from crawlers.storage import BatchWriter, WriteCounts, engine_for
from fapai import metrics
from fapai.clock import Clock, SystemClock
from valuation.auction_results import AUCTION_RESULT_FIELDS, AuctionResult, validate_auction_result
from valuation.market_data.communities import fill_from_title, shipped_communities
from valuation.schema import LISTING_FIELDS, Listing, ListingError, validate_listing


def drop(crawler: Crawler, reason: str) -> DropItem:
    """Count ``reason`` in the stats and return the ``DropItem`` to raise."""
    crawler.stats.inc_value(f"dropped/{reason}")
    return DropItem(reason)


def clock_of(crawler: Crawler) -> Clock:
    """The clock the run was given (``FAPAI_CLOCK`` setting), else the system clock."""
    return crawler.settings.get("FAPAI_CLOCK") or SystemClock()


class _Pipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> _Pipeline:
        return cls(crawler)


class ValidationPipeline(_Pipeline):
    def process_item(self, item: scrapy.Item) -> scrapy.Item:
        item.setdefault("crawled_at", clock_of(self.crawler).now())
        try:
            if isinstance(item, ListingItem):
                clean: dict[str, Any] = validate_listing(item).to_dict()
                if fill_from_title(clean, shipped_communities()):
                    self.crawler.stats.inc_value("filled/community_from_title")
            else:
                clean = validate_auction_result(item).to_dict()
        except ListingError as exc:
            raise drop(self.crawler, exc.reason) from exc
        item.update(clean)
        return item


class DedupePipeline(_Pipeline):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.seen: set[tuple[str, str, str]] = set()

    def process_item(self, item: scrapy.Item) -> scrapy.Item:
        key = (
            ("listing", item["source"], item["listing_id"])
            if isinstance(item, ListingItem)
            else ("auction", item["source"], item["item_id"])
        )
        if key in self.seen:
            raise drop(self.crawler, "duplicate")
        self.seen.add(key)
        return item


def record_of(item: scrapy.Item) -> Listing | AuctionResult:
    """The validated dataclass behind a clean item (no re-validation)."""
    if isinstance(item, AuctionResultItem):
        return AuctionResult(**{name: item.get(name) for name in AUCTION_RESULT_FIELDS})
    return Listing(**{name: item.get(name) for name in LISTING_FIELDS})


class StoragePipeline(_Pipeline):
    """Writes to ``FAPAI_DATABASE_URL`` in batches of ``FAPAI_BATCH_SIZE``; none without a URL."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        url = crawler.settings.get("FAPAI_DATABASE_URL")
        self.writer = (
            BatchWriter(engine_for(url), crawler.settings.getint("FAPAI_BATCH_SIZE", 200))
            if url
            else None
        )

    def _count(self, counts: WriteCounts | None) -> None:
        if counts is None:
            return
        stats = self.crawler.stats
        stats.inc_value("stored/inserted", counts.inserted)
        stats.inc_value("stored/updated", counts.updated)
        stats.inc_value("stored/price_changed", counts.price_changed)
        stats.inc_value("stored/batches")

    def process_item(self, item: scrapy.Item) -> scrapy.Item:
        kind = "auction_result" if isinstance(item, AuctionResultItem) else "listing"
        metrics.CRAWL_ITEMS.labels(kind, item.get("source") or "-").inc()
        if self.writer is not None:
            now = clock_of(self.crawler).now()
            self._count(self.writer.add(record_of(item), item.get("signature"), now))
        return item

    def close_spider(self) -> None:
        if self.writer is not None:
            self._count(self.writer.flush(clock_of(self.crawler).now()))
            self.writer.engine.dispose()
