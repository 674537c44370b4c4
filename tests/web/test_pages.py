"""The pages through the real app on a real SQLite file and on PostgreSQL (when
``FAPAI_TEST_POSTGRES_URL`` is set), with an injected clock: who may do
what, errors in words with the right status (never a 500), a resubmitted bid form bids once."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app import queries, schemas
from app.main import create_app
from app.testing import as_person
from auction import auth, engine
from auction.demo import seed_demo
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings

YUAN = 100


@dataclass
class World:
    client: TestClient
    clock: FrozenClock
    factory: object
    lot_id: int
    court: str
    bidder: str

    def as_(self, token: str | None) -> TestClient:
        return as_person(self.client, token)


@pytest.fixture
def world(db_url: str, clock: FrozenClock, publish_lot) -> Iterator[World]:
    """A court, a bidder and one lot in bidding (the clock moved past its start), on each
    database."""
    settings = Settings(database_url=db_url)
    db = make_engine(db_url)
    factory = session_factory(writer_engine(db))
    with session_scope(factory) as session:
        home = auth.ensure_court(session, "GZTH", "广州市天河区人民法院")
        _, court = auth.create_user(session, "法院", "court", clock.now(), court=home)
        _, bidder = auth.create_user(session, "王五", "bidder", clock.now())
        starts = clock.now() + timedelta(days=30)
        lot = publish_lot(
            session, settings, home, starts, case_number="(2026)粤0106执1号", title="华夏路10号"
        )
        lot_id = lot.id
    clock.set(starts + timedelta(hours=1))
    with TestClient(create_app(settings, clock), follow_redirects=False) as client:
        yield World(client, clock, factory, lot_id, court, bidder)
    db.dispose()


def test_unknown_things_are_404_pages_in_words(world: World) -> None:
    response = world.as_(None).get("/lots/999999")
    assert response.status_code == 404 and "没有编号为 999999 的拍品" in response.text
    response = world.as_(world.court).get("/inquiries/4242")
    assert response.status_code == 404 and "没有编号为 4242 的询价报告" in response.text
    assert world.as_(None).get(f"/lots/{world.lot_id}/live").status_code == 200
    assert world.as_(None).get("/lots/999999/live").status_code == 404


def test_a_broken_search_url_is_explained_not_a_500(world: World) -> None:
    for query in ["page=abc", "min_price=1e999", "status=%00", "sort=;drop", "page=99999999"]:
        response = world.as_(None).get(f"/?{query}")
        assert response.status_code == 422, query
        assert 'role="alert"' in response.text and "填写有误" in response.text


def test_who_may_do_what(world: World) -> None:
    anonymous = world.as_(None)
    response = anonymous.post(f"/lots/{world.lot_id}/bids", data={"amount": "700000"})
    assert response.status_code == 303 and response.headers["location"].startswith("/signin")
    assert anonymous.get("/inquiries/new").status_code == 303

    court = world.as_(world.court)
    response = court.post(f"/lots/{world.lot_id}/registrations")
    assert response.status_code == 403 and "法院账号不能报名或出价" in response.text

    bidder = world.as_(world.bidder)
    response = bidder.get("/inquiries/new")
    assert response.status_code == 403 and "只对法院账号开放" in response.text
    response = bidder.post(f"/lots/{world.lot_id}/bids", data={"amount": "700000"})
    assert (
        response.status_code == 403 and "须先报名并交纳保证金" in response.text
    )  # 第十七条: deposit first


def test_a_resubmitted_bid_form_bids_once_and_a_low_bid_is_refused(world: World) -> None:
    bidder = world.as_(world.bidder)
    assert bidder.post(f"/lots/{world.lot_id}/registrations").status_code == 303
    page = bidder.get(f"/lots/{world.lot_id}").text
    assert 'value="700000.00"' in page  # the next valid amount, pre-filled
    # First the amount comes back in capital numerals to confirm; nothing is bid yet.
    step = bidder.post(f"/lots/{world.lot_id}/bids", data={"amount": "700,000"})
    assert step.status_code == 200 and "柒拾万元整" in step.text and "确认出价" in step.text
    assert 'name="confirmed" value="1"' in step.text
    with session_scope(world.factory) as session:
        assert queries.get_lot(session, world.lot_id, world.clock.now()).bid_count == 0
    form = {"amount": "700000", "idempotency_key": "form-1", "confirmed": "1"}
    for _ in range(2):  # the browser resends the same form
        response = bidder.post(f"/lots/{world.lot_id}/bids", data=form)
        assert response.status_code == 303
    with session_scope(world.factory) as session:
        assert queries.get_lot(session, world.lot_id, world.clock.now()).bid_count == 1

    low = bidder.post(f"/lots/{world.lot_id}/bids", data={"amount": "702000", "confirmed": "1"})
    assert low.status_code == 409
    assert "未能办理（出价）：出价须不低于 ¥705,000" in low.text and "第二十条" in low.text
    bad = bidder.post(f"/lots/{world.lot_id}/bids", data={"amount": "七十万"})
    assert bad.status_code == 422 and "出价填写有误" in bad.text


def test_bidding_closes_and_the_page_shows_the_result(world: World) -> None:
    bidder = world.as_(world.bidder)
    bidder.post(f"/lots/{world.lot_id}/registrations")
    bidder.post(f"/lots/{world.lot_id}/bids", data={"amount": "705000", "confirmed": "1"})
    live = bidder.get(f"/lots/{world.lot_id}/live").json()
    assert (live["status"], live["current_price_text"]) == ("bidding", "¥705,000")
    assert live["next_bid"] == "710000.00" and not live["extended"]

    world.clock.advance(days=2)  # past the end; close now rather than wait for the loop
    with session_scope(world.factory) as session:
        engine.close_due_rounds(session, world.clock.now(), Settings())
    page = world.as_(None).get(f"/lots/{world.lot_id}").text
    assert "已成交" in page and "成交价 <strong>¥705,000</strong>" in page
    results = world.as_(None).get("/results").text
    assert "华夏路10号" in results and "70.5%" in results  # 705,000 / 1,000,000
    assert "<svg" in results and "住宅用房·一拍" in results  # the ratio chart
    failed_only = world.as_(None).get("/results?outcome=failed&city=广州市").text
    assert "华夏路10号" not in failed_only and "暂无已结束的拍卖" in failed_only
    bad = world.as_(None).get("/results?outcome=won")
    assert bad.status_code == 422 and "结果填写有误" in bad.text


def test_sign_in_and_self_registration_errors(world: World) -> None:
    anonymous = world.as_(None)
    response = anonymous.post("/signin", data={"token": "nope"})
    assert response.status_code == 401 and "令牌无效" in response.text
    response = anonymous.post("/signin", data={"token": world.bidder, "next": "//evil.example"})
    assert response.status_code == 303 and response.headers["location"] == "/?done=signed_in"
    assert "httponly" in response.headers["set-cookie"].lower()

    form = {"name": "赵六", "id_number": "11010519491231002X", "phone": "12345"}
    response = world.as_(None).post("/bidders/new", data=form)
    assert response.status_code == 422 and "手机号码" in response.text
    response = world.as_(None).post("/bidders/new", data={**form, "phone": "13800138000"})
    assert response.status_code == 201 and 'id="new-token"' in response.text
    assert response.headers["cache-control"] == "no-store"
    # The same ID number again: the same page (no "already registered" to probe with).
    again = world.as_(None).post("/bidders/new", data={**form, "phone": "13800138000"})
    assert again.status_code == 201 and 'id="new-token"' in again.text
    long_name = world.as_(None).post("/bidders/new", data={**form, "name": "长" * 1_000_000})
    assert long_name.status_code == 413  # past FAPAI_MAX_BODY_BYTES, refused unread
    for name in ("长" * 101, "赵\x00六", "赵\x1b[31m六"):
        refused = world.as_(None).post("/bidders/new", data={**form, "name": name})
        assert refused.status_code == 422 and "姓名填写有误" in refused.text, name


def test_no_malformed_page_request_is_a_500(world: World) -> None:
    huge = "9" * 25
    requests = [
        ("get", f"/lots/{huge}", None),
        ("get", f"/lots/{huge}/live", None),
        ("get", f"/inquiries/{huge}", None),
        ("get", f"/inquiries/{huge}.pdf", None),
        ("get", f"/?page={huge}", None),
        ("get", f"/results?page={huge}", None),
        ("get", "/?min_price=-1&max_price=%FF", None),
        ("get", "/signin?next=%00", None),
        ("post", f"/lots/{huge}/bids", {"amount": "1"}),
        ("post", f"/lots/{huge}/registrations", None),
        ("post", f"/lots/{world.lot_id}/registrations", None),
        ("post", f"/lots/{world.lot_id}/bids", {"amount": "1e20"}),
        ("post", f"/lots/{world.lot_id}/bids", {"amount": "99999999999999999999999"}),
        ("post", f"/lots/{world.lot_id}/bids", {"amount": "NaN", "idempotency_key": "x" * 500}),
        ("post", "/inquiries", {"city": "火星", "area_m2": "1e309"}),
        ("post", "/inquiries", {"city": "广州市", "area_m2": "89", "rooms": "-1"}),
        ("post", "/signin", {"token": "\x00" * 1000}),
        ("post", "/bidders/new", {"name": "", "id_number": "x", "phone": ""}),
    ]
    for token in (None, world.bidder, world.court):  # anyone, a bidder, a court user
        client = world.as_(token)
        for method, path, data in requests:
            response = client.request(method.upper(), path, data=data)
            assert response.status_code < 500, (method, path, response.text[:300])


def test_the_court_publishes_a_lot_from_the_form(world: World) -> None:
    assert world.as_(world.bidder).get("/lots/new").status_code == 403
    court = world.as_(world.court)
    page = court.get("/lots/new").text
    # The earliest lawful start: 30 days' announcement for real estate (拍卖规定 第十二条).
    starts = (world.clock.now() + timedelta(days=31)).astimezone(ZoneInfo("Asia/Shanghai"))
    assert f'value="{starts:%Y-%m-%d}T10:00"' in page
    form = {
        "case_number": "(2026)粤0106执77号",
        "court": "广州市天河区人民法院",
        "title": "体育东路",
        "property_type": "residential",
        "city": "广州市",
        "district": "天河区",
        "reference_price": "1,000,000",
        "reference_method": "appraisal",
        "occupancy": "空置",
        "taxes_borne_by": "各自承担",
        "defects": "无",
        "start_price": "690000",
        "deposit": "69000",
        "increment": "5000",
        "starts_at": f"{starts:%Y-%m-%d}T10:00",
        "ends_at": f"{starts:%Y-%m-%d}T09:00",
    }
    refused = court.post("/lots", data=form)
    assert refused.status_code == 422 and "第十条" in refused.text  # start below 70%
    assert 'value="(2026)粤0106执77号"' in refused.text  # what was typed is kept
    refused = court.post("/lots", data={**form, "start_price": "700000"})
    assert refused.status_code == 422 and "第二十条" in refused.text  # ends before it starts
    next_day = starts + timedelta(days=1)
    form = {**form, "start_price": "700000", "ends_at": f"{next_day:%Y-%m-%d}T10:00"}
    published = court.post("/lots", data=form)
    assert published.status_code == 303
    lot_page = court.get(published.headers["location"]).text
    assert "拍卖已发布" in lot_page and "体育东路" in lot_page and "¥700,000" in lot_page


def test_an_inquiry_report_is_kept_as_issued_and_says_when_it_expires(world: World) -> None:
    court = world.as_(world.court)
    form = {
        "property_type": "residential",
        "city": "广州市",
        "district": "天河区",
        "area_m2": "89",
        "platform": ["京东", ""],
        "platform_price": ["3000000", ""],
    }
    created = court.post("/inquiries", data=form)
    assert created.status_code == 303, created.text[:500]
    report_path = created.headers["location"]
    first = court.get(report_path).text
    assert "参考价" in first and "¥3,000,000" in first and "据此发布拍卖" in first

    world.clock.advance(days=366)  # 参考价规定: valid for at most a year
    later = world.as_(world.court).get(report_path).text  # (the old web session expired)
    assert "本报告已于" in later and "过期" in later and "据此发布拍卖" not in later

    def reference(page: str) -> str:
        return page.split('id="reference-price">')[1].split("<")[0]

    assert reference(first) == reference(later)
    assert world.as_(world.bidder).get(report_path).status_code == 403


def test_the_report_page_names_the_platforms_and_says_when_there_is_no_reference(
    world: World,
) -> None:
    """参考价规定 第十三条 on the page: the platforms asked, when, and what each answered;
    fapai's estimate beside them; no listed result, no legal reference and no lot."""
    court = world.as_(world.court)
    base = {"property_type": "residential", "city": "广州市", "district": "天河区", "area_m2": "89"}
    alone = court.post("/inquiries", data=base)
    assert alone.status_code == 303, alone.text[:500]
    page = court.get(alone.headers["location"]).text
    assert "尚无法定参考价" in page and "不能据此发布拍卖" in page
    assert "本平台估价" in page and "据此发布拍卖</a>" not in page

    slip = {**base, "platform": ["京东", "淘宝"], "platform_price": ["1", ""]}
    asked = (world.clock.now() - timedelta(days=5)).astimezone(ZoneInfo("Asia/Shanghai"))
    slip["platform_asked_at"] = [f"{asked:%Y-%m-%dT%H:%M}"] * 2
    refused = court.post("/inquiries", data=slip)
    assert refused.status_code == 422 and "相差均超过" in refused.text
    assert 'name="confirmed"' in refused.text and "第十三条" in refused.text
    kept = court.post("/inquiries", data={**slip, "confirmed": "1"})
    assert kept.status_code == 303
    page = court.get(kept.headers["location"]).text
    assert "京东" in page and f"{asked:%Y-%m-%d %H:%M}" in page and "已确认" in page
    assert "淘宝" in page and "未出具" in page


def test_a_sale_first_bid_opens_24_hours_of_bidding(world: World) -> None:
    """变卖 (衔接通知): the demo's lot in a 变卖期; the deposit is the whole price, the first bid
    opens the 24-hour bidding period (变卖竞价中), the page says so in Chinese."""
    settings = Settings()
    seed_demo(world.factory, settings, world.clock.now(), lots=8)
    with session_scope(world.factory) as session:
        sale = queries.search_lots(
            session, schemas.LotQuery(status="sale", page_size=1), world.clock.now()
        ).items[0]
    assert sale.deposit == sale.start_price  # the whole 变卖 price
    bidder = world.as_(world.bidder)
    bidder.post(f"/lots/{sale.id}/registrations")
    page = bidder.get(f"/lots/{sale.id}").text
    assert "变卖价" in page and "24 小时竞价期" in page
    assert f'value="{sale.start_price:.2f}"' in page
    bought = bidder.post(
        f"/lots/{sale.id}/bids", data={"amount": f"{sale.start_price}", "confirmed": "1"}
    )
    assert bought.status_code == 303
    after = bidder.get(f"/lots/{sale.id}").text
    assert "变卖竞价中" in after and "距结束" in after


def test_pages_show_the_disposal_states_in_chinese(world: World) -> None:
    """The new states in Chinese on search and lot pages (暂缓, 已撤回, 待付尾款, 已成交确认,
    变卖竞价中); the confirmation names the buyer (拍卖规定 第二十二条); the chain head shows."""
    from auction import demo

    seed_demo(world.factory, Settings(), world.clock.now(), lots=len(demo.FATES))
    visitor = world.as_(None)
    wanted = {
        "suspended": "暂缓",
        "withdrawn": "已撤回",
        "sold": "待付尾款",
        "confirmed": "已成交确认",
        "sale_bidding": "变卖竞价中",
    }
    with session_scope(world.factory) as session:
        found = {
            status: queries.search_lots(
                session, schemas.LotQuery(status=status, page_size=1), world.clock.now()
            ).items[0]
            for status in wanted
        }
    for status, words in wanted.items():
        listing = visitor.get(f"/?status={status}").text
        assert words in listing and found[status].title in listing, status
        page = visitor.get(f"/lots/{found[status].id}").text
        assert words in page and "阳光记录" in page and 'id="chain-head"' in page
    suspended = visitor.get(f"/lots/{found['suspended'].id}").text
    assert "案外人提出执行异议" in suspended and "拍卖规定 第二十八条" in suspended
    awaiting = visitor.get(f"/lots/{found['sold'].id}").text
    assert "前交纳尾款" in awaiting and "占有使用" in awaiting
    doc = visitor.get(f"/lots/{found['confirmed'].id}/confirmation").text
    assert "成交确认书" in doc and "演示竞买人" in doc and "第二十二条" in doc
    early = visitor.get(f"/lots/{found['suspended'].id}/confirmation")
    assert early.status_code == 409 and "第十八条" in early.text
