"""Alibaba judicial auction (阿里拍卖·司法, sf.taobao.com) list and lot pages.

List page (``sf.taobao.com/item_list.htm?category=50025969&city=广州&page=N``): the lots are a
JSON document in ``<script id="sf-item-list-data" type="text/json">{"data": [...]}</script>``,
one object per lot with ``id``, ``title``, ``itemUrl`` (``//sf-item.taobao.com/sf_item/<id>.htm``),
``status`` (``todo``/``doing``/``done``/``failure``/``break``/``revocation``), ``initialPrice``
(起拍价), ``currentPrice`` (成交价 once done), ``consultPrice`` (评估价) or ``marketPrice``,
``start``/``end`` (ms), ``applyCount`` (报名人数), ``bidCount``; pagination ``em.page-total``.
Lot page: ``h1`` title, ``div.pm-status`` (已成交/已流拍/已撤回/已中止), ``table#J_HoverShow``
cells ``<span class="pay-type">保证金：</span><span class="J_Price">…</span>``, ``em.J_Applyer``
(报名人数), ``em.J_BidCount`` (出价次数) and ``table.item-desc-table`` rows of property facts
(建筑面积, 房屋用途, 所属小区).
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import scrapy
from parsel import Selector

from crawlers import normalize
from crawlers.items import AuctionResultLoader
from crawlers.parsers import ListPage, Row

_ITEM_ID = re.compile(r"/sf_item/(\d+)\.htm")
# List-page status → result status. ``done`` is a sale only when someone bid: a lot with no
# bid at all has failed (流拍, 拍卖规定 第二十六条).
_LIST_STATUS = {"failure": "failed", "break": "withdrawn", "revocation": "withdrawn"}
_PAGE_STATUS = (
    ("成交", "sold"),
    ("流拍", "failed"),
    ("撤回", "withdrawn"),
    ("中止", "withdrawn"),
    ("暂缓", "withdrawn"),
)
UNFINISHED = "unfinished"


def _list_status(lot: dict) -> str:
    raw = lot.get("status")
    if raw == "done":
        return "sold" if (normalize.parse_count(lot.get("bidCount")) or 0) > 0 else "failed"
    return _LIST_STATUS.get(raw, UNFINISHED)


def _next_url(sel: Selector, page_url: str) -> str | None:
    total = normalize.parse_count(sel.css("em.page-total::text").get())
    parts = urlsplit(page_url)
    query = parse_qs(parts.query)
    current = normalize.parse_count((query.get("page") or ["1"])[0]) or 1
    if total is None or current >= total:
        return None
    query["page"] = [str(current + 1)]
    return urlunsplit(parts._replace(query=urlencode(query, doseq=True)))


def parse_list(sel: Selector, page_url: str, source: str, city: str) -> ListPage:
    """A list page → one result per lot (usable alone) and the next page."""
    page = ListPage(next_url=_next_url(sel, page_url))
    raw = sel.css("script#sf-item-list-data::text").get()
    try:
        lots = json.loads(raw)["data"] if raw else None
    except (ValueError, KeyError, TypeError):
        lots = None
    if not isinstance(lots, list):
        page.problems.append("layout:no_list_data")
        return page
    for lot in lots:
        if not isinstance(lot, dict):
            page.problems.append("layout:bad_lot")
            continue
        href = lot.get("itemUrl") or ""
        url = urljoin("https:", href.split("?")[0]) if href else None
        match = _ITEM_ID.search(href)
        status = _list_status(lot)
        if status == UNFINISHED:  # still announced or bidding: no result yet
            page.problems.append("lot:unfinished")
            continue
        title = lot.get("title")
        loader = AuctionResultLoader()
        loader.add_value("source", source)
        loader.add_value("item_id", str(lot.get("id") or (match and match.group(1)) or ""))
        loader.add_value("url", url)
        loader.add_value("title", title)
        loader.add_value("city", city)
        loader.add_value("district", normalize.find_district(title, city))
        loader.add_value("property_type", normalize.parse_property_type(title))
        loader.add_value(
            "appraisal_price_fen",
            normalize.parse_money_fen(lot.get("consultPrice") or lot.get("marketPrice")),
        )
        loader.add_value("start_price_fen", normalize.parse_money_fen(lot.get("initialPrice")))
        if status == "sold":
            loader.add_value("final_price_fen", normalize.parse_money_fen(lot.get("currentPrice")))
        loader.add_value("status", status)
        loader.add_value("round", normalize.parse_round(title))
        loader.add_value("bid_count", lot.get("bidCount"))
        loader.add_value("registrations", lot.get("applyCount"))
        loader.add_value("start_at", normalize.parse_epoch_ms(lot.get("start")))
        loader.add_value("end_at", normalize.parse_epoch_ms(lot.get("end")))
        page.rows.append(Row(loader.load_item(), url))
    return page


def parse_detail(sel: Selector, item: scrapy.Item) -> scrapy.Item:
    """Enrich a lot from its page: deposit, area, use, community, counts, the page's status."""
    prices: dict[str, str] = {}
    for cell in sel.css("table#J_HoverShow td"):
        label = (normalize.clean_text(cell.css("span.pay-type::text").get()) or "").rstrip(":：")
        if label:
            prices[label] = cell.css("span.J_Price ::text").get() or ""
    facts: dict[str, str] = {}
    for tr in sel.css("table.item-desc-table tr"):
        cells = [normalize.clean_text(" ".join(td.css("::text").getall())) for td in tr.css("td")]
        facts.update(dict(zip(cells[::2], cells[1::2], strict=False)))
    status_text = " ".join(sel.css("div.pm-status ::text").getall())
    found = {
        "deposit_fen": normalize.parse_money_fen(prices.get("保证金")),
        "appraisal_price_fen": normalize.parse_money_fen(
            prices.get("评估价") or prices.get("参考价")
        ),
        # The platform writes 0 for an area it does not know.
        "area_m2": normalize.parse_area(facts.get("建筑面积")) or None,
        "property_type": normalize.parse_property_type(facts.get("房屋用途")),
        "community": facts.get("所属小区"),
        "registrations": sel.css("em.J_Applyer::text").get(),
        "bid_count": sel.css("em.J_BidCount::text").get(),
        "status": next((s for word, s in _PAGE_STATUS if word in status_text), None),
    }
    loader = AuctionResultLoader(item=item.copy(), selector=sel)
    loader.replace_fields(found)
    return loader.load_item()
