"""贝壳 (Beike) second-hand listings: ``https://{city}.ke.com/ershoufang/`` (Lianjia markup)."""

from __future__ import annotations

from crawlers.parsers import lianjia
from crawlers.spiders.base import SiteSpider


class KeSpider(SiteSpider):
    name = "ke"
    source = "ke"
    parser = lianjia

    def start_url(self) -> str:
        return f"https://{self.city.code}.ke.com/ershoufang/"
