"""Lianjia (链家) and Beike (贝壳) second-hand listing pages: one markup family, two hosts.

Structure (``{city}.lianjia.com/ershoufang/`` and ``{city}.ke.com/ershoufang/``):

- district filter: ``div[data-role=ershoufang] > div > a[href=/ershoufang/tianhe/]``, the
  current one ``a.selected``;
- list: ``ul.sellListContent > li.clear`` (``data-lj_action_housedel_id``), inside it
  ``div.title a`` (detail link ``/ershoufang/<id>.html``), ``div.positionInfo`` (community -
  business circle), ``div.houseInfo`` (layout | area | orientation | decoration | floor | year |
  building type; Beike puts the floor first), ``div.totalPrice span`` (万),
  ``div.unitPrice[data-price]`` / ``span`` (``42,261元/平``);
- pagination: ``div.house-lst-page-box[page-data='{"totalPage":N,"curPage":k}']`` with
  ``page-url="/ershoufang/tianhe/pg{page}/"``;
- detail: ``div.overview .price .total`` / ``.unitPriceValue``, ``div.communityName a.info``,
  ``div.areaName .info a`` (district, circle), ``div.introContent .base li`` and
  ``.transaction li`` as ``<span class="label">所在楼层</span>中楼层 (共18层)``; the 房源特色
  section's ``div.introContent div.baseattribute`` blocks (``div.name`` 交通出行, 核心卖点…,
  ``div.content`` free text), where the 交通出行 text names the metro station and distance.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urljoin

import scrapy
from parsel import Selector

from crawlers import normalize
from crawlers.items import ListingLoader
from crawlers.parsers import ListPage, Row, named_texts
from valuation.market_data.metro import metro_from_text

_DETAIL_ID = re.compile(r"/ershoufang/(\d+)\.html")


def district_urls(sel: Selector, page_url: str) -> list[str]:
    """The district pages of a city's ``/ershoufang/`` page (first filter level only)."""
    hrefs = sel.css("div[data-role=ershoufang] > div:first-child > a::attr(href)").getall()
    return [urljoin(page_url, h) for h in hrefs if re.fullmatch(r"/ershoufang/[a-z0-9]+/", h)]


def _next_url(sel: Selector, page_url: str) -> str | None:
    box = sel.css("div.house-lst-page-box")
    raw, template = box.attrib.get("page-data"), box.attrib.get("page-url")
    if not raw or not template:
        return None
    try:
        data = json.loads(raw)
        current, total = int(data["curPage"]), int(data["totalPage"])
    except (ValueError, KeyError, TypeError):
        return None
    return (
        urljoin(page_url, template.replace("{page}", str(current + 1))) if current < total else None
    )


def parse_list(sel: Selector, page_url: str, source: str, city: str) -> ListPage:
    """A district list page → one item per listing (usable alone) and the next page."""
    page = ListPage(next_url=_next_url(sel, page_url))
    rows = sel.css("ul.sellListContent > li")
    if not rows:
        page.problems.append("layout:no_rows")
        return page
    district = normalize.clean_text(sel.css("div[data-role=ershoufang] a.selected::text").get())
    for li in rows:
        href = li.css("div.title a::attr(href)").get()
        match = _DETAIL_ID.search(href or "")
        listing_id = li.attrib.get("data-lj_action_housedel_id") or (match and match.group(1))
        loader = ListingLoader(selector=li)
        loader.add_value("source", source)
        loader.add_value("listing_id", listing_id)
        loader.add_value("url", urljoin(page_url, href) if href else None)
        loader.add_css("title", "div.title a::text")
        loader.add_value("city", city)
        loader.add_value("district", district)
        loader.add_css("community", "div.positionInfo a:first-of-type::text")
        loader.add_css("bizcircle", "div.positionInfo a:nth-of-type(2)::text")
        # The page's 近地铁 tag; without it the list says nothing either way.
        if any("近地铁" in t for t in li.css("div.tag ::text").getall()):
            loader.add_value("near_metro", True)
        loader.add_value("property_type", "residential")
        loader.add_fields(
            normalize.parse_house_info(" ".join(li.css("div.houseInfo::text").getall()))
        )
        loader.add_value("price_total", "".join(li.css("div.totalPrice ::text").getall()))
        loader.add_value(
            "unit_price",
            li.css("div.unitPrice::attr(data-price)").get()
            or li.css("div.unitPrice span::text").get(),
        )
        page.rows.append(Row(loader.load_item(), urljoin(page_url, href) if href else None))
    return page


def _labelled(sel: Selector, css: str) -> dict[str, str]:
    """``<li><span class="label">所在楼层</span>中楼层 (共18层)</li>`` → {label: value}."""
    out: dict[str, str] = {}
    for li in sel.css(css):
        label = normalize.clean_text(li.css("span.label::text").get())
        value = normalize.clean_text(
            " ".join(li.xpath("./text() | ./span[not(@class='label')]//text()").getall())
        )
        if label and value:
            out[label] = value
    return out


def parse_detail(sel: Selector, item: scrapy.Item) -> scrapy.Item:
    """Enrich a list item from its detail page; fields the page lacks keep the list's value."""
    base = _labelled(sel, "div.introContent div.base li")
    deal = _labelled(sel, "div.introContent div.transaction li")
    loader = ListingLoader(item=item.copy(), selector=sel)
    found: dict[str, object] = {}
    if "房屋户型" in base:
        found["rooms"], found["halls"], found["bathrooms"] = normalize.parse_layout(
            base["房屋户型"]
        )
    if "所在楼层" in base:
        found["floor_level"], found["floor"], found["total_floors"] = normalize.parse_floor(
            base["所在楼层"]
        )
    found["area_m2"] = normalize.parse_area(base.get("建筑面积"))
    found["orientation"] = normalize.parse_orientation(base.get("房屋朝向"))
    found["decoration"] = normalize.parse_decoration(base.get("装修情况"))
    found["elevator"] = base.get("配备电梯")
    found["listed_at"] = normalize.parse_local_date(deal.get("挂牌时间"))
    found["price_total"] = "".join(sel.css("div.overview div.price span.total::text").getall())
    found["unit_price"] = sel.css("div.overview span.unitPriceValue::text").get()
    found["community"] = sel.css("div.communityName a.info::text").get()
    # 房源特色: <div class="name">交通出行</div><div class="content">…</div>, 核心卖点…
    features = named_texts(sel, "div.introContent div.baseattribute", "div.name", "div.content")
    transport = features.get("交通出行")
    if transport:
        found["metro_station"], found["metro_distance_m"] = metro_from_text(transport)
    loader.replace_fields(found)
    return loader.load_item()
