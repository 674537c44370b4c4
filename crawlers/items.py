"""Items and their loaders: every spider fills the same fields the same way.

``ListingItem`` carries :data:`valuation.schema.LISTING_FIELDS` and ``AuctionResultItem``
carries :data:`valuation.auction_results.AUCTION_RESULT_FIELDS` (never a copy of either), each
plus ``signature``, the list-page fingerprint that incremental crawls compare. The loaders'
input processors turn the pages' Chinese strings into plain values with
:mod:`crawlers.normalize`; validation and typing happen in the pipelines.
"""

from __future__ import annotations

import scrapy
from itemloaders.processors import MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from crawlers import normalize
from valuation.auction_results import AUCTION_RESULT_FIELDS
from valuation.schema import LISTING_FIELDS

EXTRA_FIELDS = ("signature",)
# Built from the schemas' field tuples; ``__module__`` is set so that items pickle (scrapy-redis
# stores requests carrying a list item in Redis).

ListingItem = type(
    "ListingItem",
    (scrapy.Item,),
    {name: scrapy.Field() for name in (*LISTING_FIELDS, *EXTRA_FIELDS)}
    | {
        "__doc__": "A market listing (valuation.schema fields) as a spider found it.",
        "__module__": __name__,
    },
)
AuctionResultItem = type(
    "AuctionResultItem",
    (scrapy.Item,),
    {name: scrapy.Field() for name in (*AUCTION_RESULT_FIELDS, *EXTRA_FIELDS)}
    | {
        "__doc__": "A judicial auction result (valuation.auction_results fields).",
        "__module__": __name__,
    },
)


def _keep(value: object) -> object:
    """Already-typed values (ints, datetimes) pass; strings are cleaned, empty ones dropped."""
    return normalize.clean_text(value) if isinstance(value, str) else value


class _Loader(ItemLoader):
    default_input_processor = MapCompose(_keep)
    default_output_processor = TakeFirst()

    def add_fields(self, values: dict[str, object]) -> None:
        """Add every value whose key is a field of the item (parsed helper keys are skipped)."""
        for name, value in values.items():
            if name in self.item.fields and value is not None:
                self.add_value(name, value)

    def replace_fields(self, values: dict[str, object]) -> None:
        """Overwrite fields with the values a page gave; an empty value keeps what was there."""
        for name, value in values.items():
            if value not in (None, ""):
                self.replace_value(name, value)


class ListingLoader(_Loader):
    default_item_class = ListingItem

    price_total_in = MapCompose(_keep, normalize.parse_wan)
    unit_price_in = MapCompose(_keep, normalize.parse_yuan)
    area_m2_in = MapCompose(_keep, normalize.parse_area)
    build_year_in = MapCompose(_keep, normalize.parse_build_year)
    decoration_in = MapCompose(_keep, normalize.parse_decoration)
    orientation_in = MapCompose(_keep, normalize.parse_orientation)


class AuctionResultLoader(_Loader):
    default_item_class = AuctionResultItem

    area_m2_in = MapCompose(_keep, normalize.parse_area)
    bid_count_in = MapCompose(_keep, normalize.parse_count)
    registrations_in = MapCompose(_keep, normalize.parse_count)
