"""安居客 second-hand listings: ``https://{city}.anjuke.com/sale/``."""

from __future__ import annotations

from crawlers.parsers import anjuke
from crawlers.spiders.base import SiteSpider


class AnjukeSpider(SiteSpider):
    name = "anjuke"
    source = "anjuke"
    parser = anjuke

    def start_url(self) -> str:
        return f"https://{self.city.anjuke}.anjuke.com/sale/"
