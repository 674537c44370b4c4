"""The crawl flow every site shares: city page → district list pages → detail pages.

A site's spider names its source, its parser module and its start URL; everything else is
here, and it is only flow: parsing is in :mod:`crawlers.parsers`, cleaning in the loaders,
rules in the pipelines.

Spider arguments (``fapai crawl`` passes them): ``city`` (code, see :mod:`crawlers.sites`),
``base_url`` (fetch the real paths from this host instead), ``max_pages`` (list pages per
district). Incremental: a row whose list-page signature equals the stored one is yielded
from the list page alone; its detail page is not fetched.

Distributed (:mod:`crawlers.distributed`): the spider waits at the start line for the other
workers; the rest is the shared scheduler's business.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from types import ModuleType
from typing import Any, ClassVar

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from crawlers import distributed, incremental, runs, sites
from crawlers.parsers import Row
from crawlers.storage import Kind, engine_for, load_signatures


class SiteSpider(scrapy.Spider):
    source: ClassVar[str]
    kind: ClassVar[Kind] = Kind.LISTING
    parser: ClassVar[ModuleType]

    def __init__(
        self,
        city: str = "gz",
        base_url: str | None = None,
        max_pages: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.city = sites.city(city)
        self.scope = self.city.code
        self.base_url = base_url or None
        self.max_pages = int(max_pages) if max_pages else None
        self.known: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        url = crawler.settings.get("FAPAI_DATABASE_URL")
        if url:
            engine = engine_for(url)
            spider.known = load_signatures(engine, spider.kind, spider.source)
            engine.dispose()
        return spider

    def start_url(self) -> str:
        """The real address the crawl starts from."""
        raise NotImplementedError

    @property
    def id_field(self) -> str:
        return "listing_id" if self.kind is Kind.LISTING else "item_id"

    @property
    def signature_fields(self) -> tuple[str, ...]:
        if self.kind is Kind.LISTING:
            return incremental.LISTING_SIGNATURE_FIELDS
        return incremental.AUCTION_SIGNATURE_FIELDS

    def request(self, real_url: str, callback: Any, **kwargs: Any) -> scrapy.Request:
        """A request for ``real_url``, fetched from the base URL's host when one is given."""
        return scrapy.Request(
            sites.rebase(real_url, self.base_url),
            callback=callback,
            meta={"real_url": real_url},
            **kwargs,
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        await distributed.wait_for_workers(self.crawler, self.name)
        yield self.request(self.start_url(), self.parse)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """The city page: follow its districts, or read it as the (only) list page."""
        real = response.meta["real_url"]
        districts = getattr(self.parser, "district_urls", lambda *_: [])(response, real)
        if not districts:
            yield from self.parse_list(response, page_no=1)
            return
        for url in districts:
            yield self.request(url, self.parse_list, cb_kwargs={"page_no": 1})

    def parse_list(self, response: Response, page_no: int) -> Iterator[Any]:
        page = self.parser.parse_list(
            response, response.meta["real_url"], self.source, self.city.name
        )
        for problem in page.problems:
            self.crawler.stats.inc_value(f"dropped/{problem}")
        for row in page.rows:
            runs.record_fill(self.crawler.stats, "list", row.item)
            yield from self.follow(row)
        if page.next_url and (self.max_pages is None or page_no < self.max_pages):
            yield self.request(page.next_url, self.parse_list, cb_kwargs={"page_no": page_no + 1})

    def follow(self, row: Row) -> Iterator[Any]:
        item = row.item
        item["signature"] = incremental.signature(item, self.signature_fields)
        unchanged = self.known.get(item.get(self.id_field) or "") == item["signature"]
        if unchanged:
            self.crawler.stats.inc_value("incremental/detail_skipped")
        if unchanged or row.detail_url is None:
            yield item
            return
        yield self.request(
            row.detail_url,
            self.parse_detail,
            cb_kwargs={"item": item},
            errback=self.detail_failed,
        )

    def parse_detail(self, response: Response, item: scrapy.Item) -> Iterator[scrapy.Item]:
        enriched = self.parser.parse_detail(response, item)
        runs.record_fill(self.crawler.stats, "detail", enriched)
        yield enriched

    def detail_failed(self, failure: Failure) -> Iterator[scrapy.Item]:
        """A detail page that failed (404, timeout): the list page's item still stands."""
        self.crawler.stats.inc_value("detail/failed")
        yield failure.request.cb_kwargs["item"]
