"""阿里拍卖·司法 finished residential lots of a city: ``https://sf.taobao.com/item_list.htm``."""

from __future__ import annotations

from urllib.parse import urlencode

from crawlers.parsers import sf_taobao
from crawlers.spiders.base import SiteSpider
from crawlers.storage import Kind

HOUSING_CATEGORY = "50025969"  # 住宅用房
FINISHED = "2"  # sorder: ended lots first


class SfTaobaoSpider(SiteSpider):
    name = "sf_taobao"
    source = "sf_taobao"
    kind = Kind.AUCTION
    parser = sf_taobao

    def start_url(self) -> str:
        query = urlencode(
            {
                "category": HOUSING_CATEGORY,
                "city": self.city.name.removesuffix("市"),
                "sorder": FINISHED,
                "page": 1,
            }
        )
        return f"https://sf.taobao.com/item_list.htm?{query}"
