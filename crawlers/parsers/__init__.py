"""Pure page parsers, one module per site: a response (or its text) in, items out.

List-page parsers return a :class:`ListPage`; detail parsers take the list item and return
it enriched. Nothing here fetches, stores or raises on a broken page: a page that lost its
layout reports a counted ``problem`` and rows that lost fields go to validation, which drops
them with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import scrapy
from parsel import Selector

from crawlers import normalize


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


def named_texts(sel: Selector, block: str, name: str, value: str) -> dict[str, str]:
    """{name: text} from a page's blocks that each hold a name and a value (``block``, and
    inside it the ``name`` and ``value`` CSS); blocks lacking either are skipped."""
    out: dict[str, str] = {}
    for b in sel.css(block):
        key = normalize.clean_text(b.css(f"{name}::text").get())
        text = normalize.clean_text(" ".join(b.css(f"{value} ::text").getall()))
        if key and text:
            out[key] = text
    return out
