"""Reading the pages' forms and URLs; errors in words; the announced rules; the next bid."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.schemas import LotView
from app.web import forms
from app.web.announcement import bidding_rules
from app.web.lot_page import next_valid_bid
from app.web.routes.accounts import safe_next
from fapai.errors import Conflict, RuleViolation
from fapai.settings import Settings


def test_lot_query_reads_the_url_and_ignores_empty_and_unknown_fields() -> None:
    q = forms.lot_query(
        {
            "city": "广州市",
            "district": "",
            "min_price": "1,000.50",
            "sort": "-price",
            "page": "3",
            "utm_source": "x",
        }
    )
    assert (q.city, q.district, q.min_price, q.sort, q.page) == (
        "广州市",
        None,
        Decimal("1000.50"),
        "-price",
        3,
    )
    assert q.page_size == forms.PAGE_SIZE


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"status": "closed"}, "拍卖状态填写有误"),
        ({"min_price": "1.234"}, "当前价下限填写有误"),
        ({"sort": "random"}, "排序填写有误"),
        ({"page": "0"}, "页码填写有误"),
    ],
)
def test_lot_query_refuses_in_words(params, words) -> None:
    with pytest.raises(forms.FormError, match=words):
        forms.lot_query(params)


def test_amount_in_yuan_to_fen_exactly() -> None:
    assert forms.amount_fen("1,410,000.10") == 141_000_010
    for bad in ("12.345", "-5", "0", "1e20", "七十万"):
        with pytest.raises(forms.FormError, match="出价填写有误"):
            forms.amount_fen(bad)
    for bad, words in (("", "请填写出价"), (" ", "请填写出价")):
        with pytest.raises(forms.FormError, match=words):
            forms.amount_fen(bad)


def test_inquiry_request_is_checked_like_the_api() -> None:
    body = forms.inquiry_request(
        {"city": "广州市", "area_m2": " 89 ", "elevator": "true", "district": "", "rooms": "3"},
        ["京东", "淘宝", ""],
        ["3,000,000", "", ""],
        ["2026-11-20T09:30", "", ""],
    )
    assert body.area_m2 == 89.0 and body.district is None
    assert body.elevator is True and body.rooms == 3 and body.confirmed is False
    # A platform asked that did not answer is kept, with no result; times are Beijing time.
    assert [(s.platform, s.price) for s in body.sources] == [
        ("京东", Decimal("3000000")),
        ("淘宝", None),
    ]
    assert body.sources[0].asked_at.isoformat() == "2026-11-20T09:30:00+08:00"
    assert body.sources[1].asked_at is None
    with pytest.raises(forms.FormError, match="第 2 个询价平台须填写平台名称"):
        forms.inquiry_request({"city": "广州市", "area_m2": "89"}, ["京东", ""], ["1", "2"])
    with pytest.raises(forms.FormError, match="建筑面积填写有误"):
        forms.inquiry_request({"city": "广州市", "area_m2": "-3"}, [], [])
    with pytest.raises(forms.FormError, match="装修填写有误"):
        forms.inquiry_request({"city": "广州市", "area_m2": "89", "decoration": "豪装"}, [], [])
    described = forms.inquiry_request(
        {"city": "广州市", "area_m2": "89", "building_type": "板楼", "near_metro": "true"}, [], []
    )
    assert described.building_type == "板楼" and described.near_metro is True
    with pytest.raises(forms.FormError, match="建筑类型填写有误"):
        forms.inquiry_request({"city": "广州市", "area_m2": "89", "building_type": "别墅"}, [], [])
    metro = {"metro_station": "车陂南站", "metro_distance_m": "300"}
    near = forms.inquiry_request({"city": "广州市", "area_m2": "89", **metro}, [], [])
    assert (near.metro_station, near.metro_distance_m) == ("车陂南站", 300)
    with pytest.raises(forms.FormError, match=r"距地铁站距离（米）填写有误：-5（须不小于 0）"):
        forms.inquiry_request({"city": "广州市", "area_m2": "89", "metro_distance_m": "-5"}, [], [])
    with pytest.raises(forms.FormError, match="距地铁站距离（米）填写有误：三百米（须为整数）"):
        forms.inquiry_request(
            {"city": "广州市", "area_m2": "89", "metro_distance_m": "三百米"}, [], []
        )
    confirmed = forms.inquiry_request({"city": "广州市", "area_m2": "89", "confirmed": "1"}, [], [])
    assert confirmed.confirmed is True


def test_explain_names_the_kind_the_field_and_keeps_the_article() -> None:
    text = forms.explain(RuleViolation("amount", "must be at least ¥1", "拍卖规定 第二十条"))
    assert text.startswith("填写有误（出价）：") and "第二十条" in text
    closed = forms.explain(Conflict("bidding is closed", "lot_id"))
    assert closed.startswith("未能办理（拍品）：本场拍卖现在不能报名或出价")
    # A core message not in Chinese is never shown to a person: the sentence and article are.
    assert "bidding" not in closed and closed.endswith("。")
    assert forms.explain(Conflict("竞价已结束", "lot_id")).endswith("详情：竞价已结束")
    vague = forms.explain(RuleViolation("deposit", "must be 5%–20%", "拍卖规定 第十七条"))
    assert vague == "填写有误（保证金）：填写的内容不符合规定（拍卖规定 第十七条）。"
    low = forms.explain(Conflict("outbid", "amount"), next_bid=Decimal("1410000"))
    assert low.startswith("未能办理（出价）：出价须不低于 ¥1,410,000")


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/lots/3", "/lots/3"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil", "/"),
        (None, "/"),
    ],
)
def test_sign_in_only_returns_to_this_site(target, safe) -> None:
    assert safe_next(target) == safe


def _lot(**changes) -> LotView:
    base = dict(
        id=1,
        title="t",
        property_type="residential",
        city="广州市",
        district="天河区",
        status="bidding",
        round=1,
        reference_price=Decimal("2000000"),
        start_price=Decimal("1400000"),
        current_price=Decimal("1400000"),
        deposit=Decimal("140000"),
        increment=Decimal("10000"),
        bid_count=0,
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2026, 1, 2, tzinfo=UTC),
        case_number="c",
        court="k",
        address=None,
        area_m2=None,
        description=None,
        reference_method="appraisal",
        published_at=datetime(2025, 12, 1, tzinfo=UTC),
        leading_bidder_code=None,
        registration_count=0,
    )
    return LotView(**{**base, **changes})


def test_next_valid_bid_follows_article_20() -> None:
    assert next_valid_bid(_lot()) == Decimal("1400000")  # first bid: the start price
    led = _lot(current_price=Decimal("1450000"), leading_bidder_code="B0001", bid_count=3)
    assert next_valid_bid(led) == Decimal("1460000")  # then current + increment
    assert next_valid_bid(_lot(status="sale", round="sale")) == Decimal("1400000")
    assert next_valid_bid(_lot(status="sold")) is None
    assert next_valid_bid(_lot(status="announced")) is None


def test_announced_rules_follow_the_settings_and_cite_articles() -> None:
    short = Settings(extension_seconds=5, min_bidding_seconds=8)
    rules = bidding_rules(_lot(), short)
    assert "为参考价的 70.0%" in rules[0] and "第十条" in rules[0]
    assert any("结束前 5秒 内有人出价" in r and "第二十条" in r for r in rules)
    assert all("第" in r and "条" in r for r in rules)
    legal = bidding_rules(_lot(), Settings())
    assert any("结束前 5分钟 内" in r for r in legal)


def test_a_second_auction_announces_the_article_26_floor_not_only_article_10() -> None:
    second = _lot(round=2, start_price=Decimal("1120000"))
    first_rule = bidding_rules(second, Settings())[0]
    assert "再次拍卖" in first_rule and "第二十六条" in first_rule and "20%" in first_rule
    assert "再次拍卖" not in bidding_rules(_lot(), Settings())[0]


def test_a_sale_announces_only_the_rules_of_a_sale() -> None:
    rules = bidding_rules(_lot(status="sale", round="sale"), Settings())
    text = "".join(rules)
    assert "变卖价为二拍起拍价 ¥1,400,000" in text and "60 日" in text
    # 衔接通知: the whole price as deposit; the first bid opens 24 hours of bidding in
    # increments with the 5-minute extension; the highest bid wins.
    assert "全款" in text and "24 小时" in text and "加价幅度" in text and "出价最高者" in text
    # Not the auction's own rules: no start-price floor, no 流拍 re-auction.
    assert "第十条" not in text and "再次拍卖" not in text
