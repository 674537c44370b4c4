"""链家 second-hand listings: ``https://{city}.lianjia.com/ershoufang/``."""

from __future__ import annotations

from crawlers.parsers import lianjia
from crawlers.spiders.base import SiteSpider


class LianjiaSpider(SiteSpider):
    name = "lianjia"
    source = "lianjia"
    parser = lianjia

    def start_url(self) -> str:
        return f"https://{self.city.code}.lianjia.com/ershoufang/"
