"""Pure page parsers, one module per site: a response (or its text) in, items out.

List-page parsers return a :class:`ListPage`; detail parsers take the list item and return
it enriched. Nothing here fetches, stores or raises on a broken page: a page that lost its
layout reports a counted ``problem`` and rows that lost fields go to validation, which drops
them with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import scrapy


@dataclass
class Row:
    """One listing or lot found on a list page, and the detail page that enriches it."""

    item: scrapy.Item
    detail_url: str | None


@dataclass
class ListPage:
    rows: list[Row] = field(default_factory=list)
    next_url: str | None = None
    # Page-level reasons ("layout:no_rows"), counted in the crawl stats as dropped pages.
    problems: list[str] = field(default_factory=list)
