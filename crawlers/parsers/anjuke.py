"""Anjuke (安居客) second-hand listing pages (``{city}.anjuke.com/sale/``).

Structure of the 2021+ list page: district filter ``ul.region li a[href=…/sale/tianhe/]``
(current one ``li.region-item-active``); rows ``section.list > div.property`` holding
``a.property-ex[href=…/prop/view/<id>]``, ``h3.property-content-title-name[title]``,
``p.property-content-info-attribute`` (``<span>3</span><span>室</span>…``), further
``p.property-content-info-text`` (``130.8㎡``, ``南北``, ``高层(共11层)``, ``2008年建造``),
``p.property-content-info-comm-name``, ``p.property-content-info-comm-address > span``
(district, circle, road), ``span.property-price-total-num`` (万) and
``p.property-price-average`` (``21786元/㎡``); pagination ``div.pagination a.next-active``.
Detail page (``/prop/view/<id>``): ``div.houseInfo-main-item`` blocks with
``.houseInfo-main-item-name`` / ``-value`` (装修程度, 配套电梯, 挂牌时间), and the agent's
房源概况 description (``div.houseInfo-desc-content``, paragraphs such as 【交通出行】…) that
names the metro station and distance.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

import scrapy
from parsel import Selector

from crawlers import normalize
from crawlers.items import ListingLoader
from crawlers.parsers import ListPage, Row, named_texts
from valuation.market_data.metro import metro_from_text

_DETAIL_ID = re.compile(r"/prop/view/(\w+)")


def district_urls(sel: Selector, page_url: str) -> list[str]:
    """The district pages of a city's ``/sale/`` page."""
    hrefs = sel.css("ul.region li a::attr(href)").getall()
    return [urljoin(page_url, h) for h in hrefs if re.search(r"/sale/[a-z0-9]+/$", h)]


def parse_list(sel: Selector, page_url: str, source: str, city: str) -> ListPage:
    """A district list page → one item per listing and the next page."""
    next_href = sel.css("div.pagination a.next-active::attr(href)").get()
    page = ListPage(next_url=urljoin(page_url, next_href) if next_href else None)
    rows = sel.css("section.list > div.property")
    if not rows:
        page.problems.append("layout:no_rows")
        return page
    for row in rows:
        href = row.css("a.property-ex::attr(href)").get()
        match = _DETAIL_ID.search(href or "")
        url = urljoin(page_url, href.split("?")[0]) if href else None
        address = [
            normalize.clean_text(t)
            for t in row.css("p.property-content-info-comm-address span::text").getall()
        ]
        infos = ["".join(p.css("::text").getall()) for p in row.css("p.property-content-info-text")]
        loader = ListingLoader(selector=row)
        loader.add_value("source", source)
        loader.add_value("listing_id", match.group(1) if match else None)
        loader.add_value("url", url)
        loader.add_css("title", "h3.property-content-title-name::attr(title)")
        loader.add_value("city", city)
        loader.add_value("district", address[0] if address else None)
        loader.add_css("community", "p.property-content-info-comm-name::text")
        loader.add_value("property_type", "residential")
        loader.add_fields(normalize.parse_house_info(" | ".join(infos)))
        loader.add_value("price_total", "".join(row.css("p.property-price-total ::text").getall()))
        loader.add_css("unit_price", "p.property-price-average::text")
        page.rows.append(Row(loader.load_item(), url))
    return page


def parse_detail(sel: Selector, item: scrapy.Item) -> scrapy.Item:
    """Enrich a list item with what only the detail page says (decoration, elevator, date,
    the metro station and its distance)."""
    facts = named_texts(
        sel, "div.houseInfo-main-item", ".houseInfo-main-item-name", ".houseInfo-main-item-value"
    )
    loader = ListingLoader(item=item.copy(), selector=sel)
    found = {
        "decoration": normalize.parse_decoration(facts.get("装修程度")),
        "elevator": facts.get("配套电梯"),
        "listed_at": normalize.parse_local_date(facts.get("挂牌时间")),
    }
    described = normalize.clean_text(
        " ".join(sel.css("div.houseInfo-desc-content ::text").getall())
    )
    if described:
        found["metro_station"], found["metro_distance_m"] = metro_from_text(described)
    loader.replace_fields(found)
    return loader.load_item()
