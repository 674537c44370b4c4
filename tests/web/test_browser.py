"""End to end in headless Chromium against a real uvicorn process (see ``conftest.site``).

Each test is what a person does: a visitor searches and filters, two bidders register and bid
against each other on a lot that a court just published (price, record, extension and result
updating without a reload), a judge requests an inquiry and downloads its report. Every page
is screenshotted into tests/artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import expect

from app.web import display
from auction.auth import id_check_character
from web.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def resident_id(serial: int) -> str:
    """A well-formed mainland resident ID (GB 11643 check character) for a test person."""
    first17 = f"44010619900101{serial:03d}"
    return first17 + id_check_character(first17)


def _publish_lot(site, title: str) -> dict:
    """The court publishes a lot through the API whose bidding starts in 2 s and lasts the
    shortened minimum (FAST_RULES)."""
    now = datetime.now().astimezone()
    starts = now + timedelta(seconds=2)
    body = {
        "case_number": "(2026)粤0106执9001号",
        "title": title,
        "property_type": "residential",
        "city": "广州市",
        "district": "天河区",
        "address": "体育西路 1 号",
        "area_m2": 88.5,
        "description": "测试用住宅，不交吉。",
        "occupancy": "不交吉",
        "taxes_borne_by": "买卖双方各自承担",
        "defects": "无",
        "reference_price": 2_000_000,
        "reference_method": "appraisal",
        "start_price": 1_400_000,
        "deposit": 140_000,
        "increment": 10_000,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(seconds=site.settings.min_bidding_seconds)).isoformat(),
    }
    response = httpx.post(
        site.url("/api/lots"),
        json=body,
        headers={"Authorization": f"Bearer {site.court_token}"},
    )
    assert response.status_code == 201, response.text
    return response.json()


UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
  .map(el => el.name || el.id)"""


def assert_labelled(page) -> None:
    """Every form control has a label a screen reader reads out."""
    assert page.evaluate(UNLABELLED) == []


def place_bid(page, amount: str | None = None) -> None:
    """Bid as a person does: the amount (or the pre-filled one), 出价, then check the amount in
    capital numerals and 确认出价."""
    if amount is not None:
        page.locator("#amount").fill(amount)
    shown = _yuan(page.locator("#amount").input_value())
    page.get_by_role("button", name="出价", exact=True).click()
    assert page.locator("#confirm-words").inner_text() == display.chinese_amount(shown)
    page.get_by_role("button", name="确认出价").click()
    page.wait_for_url(re.compile(r"done=bid"))


def _yuan(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.]", "", text))


def test_search_filters_live_in_the_url_and_narrow_the_cards(site, new_page) -> None:
    page = new_page()
    page.goto(site.url("/"))
    total = int(page.locator(".count strong").inner_text())
    assert total >= 20
    assert page.locator(".cards > .card").count() == min(total, 24)
    assert_labelled(page)
    shot(page, "01-search")

    page.get_by_label("拍卖状态").select_option("sold")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url(re.compile(r"status=sold"))
    badges = page.locator(".card .badge").all_inner_texts()
    assert badges and set(badges) == {"待付尾款"}

    # A shared URL reproduces the search: city and a price range, by hand.
    city = page.locator(".card .place").first.inner_text().split(" · ")[0]
    page.goto(site.url(f"/?city={city}&min_price=100000&sort=-price"))
    assert page.get_by_label("城市").input_value() == city
    places = page.locator(".card .place").all_inner_texts()
    assert places and all(p.startswith(city) for p in places)
    prices = [_yuan(t) for t in page.locator(".card .current").all_inner_texts()]
    assert prices == sorted(prices, reverse=True) and min(prices) >= 100_000

    page.goto(site.url("/?min_price=abc"))
    assert "当前价下限填写有误" in page.get_by_role("alert").inner_text()


def test_search_and_a_lot_are_usable_on_a_phone(site, new_page) -> None:
    page = new_page(width=390, height=844)
    page.goto(site.url("/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.keyboard.press("Tab")  # the skip link comes first for keyboard users
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    shot(page, "02-search-phone", full_page=False)
    # The filters fold away behind one button, and open with it.
    assert page.locator("form.filters").is_hidden()
    page.get_by_text("筛选条件").click()
    expect(page.locator("form.filters")).to_be_visible()
    assert_labelled(page)
    page.locator(".card-link").first.click()
    page.locator("#live").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "02-lot-phone", full_page=False)
    # The results chart keeps a readable width and scrolls inside its frame, not the page.
    page.goto(site.url("/results"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator(".chart-wrap svg").bounding_box()["width"] >= 700


def test_two_bidders_register_bid_see_each_other_an_extension_and_the_result(
    site, new_page
) -> None:
    lot = _publish_lot(site, "天河区体育西路住宅（浏览器测试）")
    lot_path = f"/lots/{lot['id']}"

    # Bidder A registers an account on the self-registration page.
    a = new_page()
    a.goto(site.url(f"/bidders/new?next={lot_path}"))
    a.get_by_label("姓名").fill("张三")
    a.get_by_label("居民身份证号码（18位）").fill("440106199001011230")  # wrong check digit
    a.get_by_label("手机号码").fill("13800138000")
    assert_labelled(a)
    a.get_by_role("button", name="注册").click()
    assert "身份证号码" in a.get_by_role("alert").inner_text()
    a.get_by_label("居民身份证号码（18位）").fill(resident_id(1))
    a.get_by_role("button", name="注册").click()
    assert len(a.locator("#new-token").inner_text()) > 20
    shot(a, "03-register")
    a.get_by_role("link", name="去看拍品").click()

    # Bidder B got a token from the API and signs in with it.
    token_b = httpx.post(
        site.url("/api/bidders"),
        json={"name": "李四", "id_number": resident_id(2), "phone": "13900139000"},
    ).json()["token"]
    b = new_page()
    b.goto(site.url(f"/signin?next={lot_path}"))
    b.get_by_label("访问令牌").fill("not-a-token")
    b.get_by_role("button", name="登录").click()
    assert "令牌无效" in b.get_by_role("alert").inner_text()
    shot(b, "04-signin")
    b.get_by_label("访问令牌").fill(token_b)
    b.get_by_role("button", name="登录").click()
    b.wait_for_url(re.compile(lot_path))

    for page in (a, b):
        page.get_by_role("button", name="交纳保证金并报名").click()
        assert page.get_by_role("status").first.inner_text() == "报名成功，保证金已交纳。"
    code_a, code_b = a.locator("#my-code").inner_text(), b.locator("#my-code").inner_text()
    assert code_a != code_b

    # Bidding opens on its own (the page polls): the bid form appears, pre-filled.
    a.locator("#amount").wait_for()
    assert_labelled(a)
    assert _yuan(a.locator("#amount").input_value()) == Decimal("1400000")
    place_bid(a)
    assert a.locator("#current-price").inner_text() == "¥1,400,000"
    assert a.locator("#my-standing").inner_text() == "领先"

    # B sees A's bid arrive without reloading, and the next valid amount pre-filled.
    b.locator("#bid-record td", has_text=code_a).wait_for()
    assert b.locator("#current-price").inner_text() == "¥1,400,000"
    # (Polled from here: the pages' CSP forbids the eval of wait_for_function's predicate.)
    expect(b.locator("#amount")).to_have_value("1410000.00")

    # A bid below the next valid amount is refused in words.
    b.locator("#amount").fill("1400000")
    b.get_by_role("button", name="出价", exact=True).click()
    assert "出价" in b.locator("#bid-error").inner_text()
    assert b.locator("#bid-confirm").count() == 0  # refused before any confirmation
    shot(b, "05-lot-bid-refused")

    # A bid 3.5 s before the end moves the end to 6 s after it (拍卖规定 第二十条, shortened);
    # 3.5 s leaves room for a slow machine between the wait and the server receiving the
    # confirmed bid.
    ends = datetime.fromisoformat(httpx.get(site.url(f"/api{lot_path}")).json()["ends_at"])
    # (Polled from here: the pages' CSP forbids the eval of wait_for_function's predicate.)
    while b.evaluate("Date.now()") <= (ends.timestamp() - 3.5) * 1000:
        b.wait_for_timeout(50)
    place_bid(b, "1410000")
    assert b.locator("#extended").is_visible()
    assert b.locator("#my-standing").inner_text() == "领先"
    new_end = datetime.fromisoformat(httpx.get(site.url(f"/api{lot_path}")).json()["ends_at"])
    assert new_end - ends >= timedelta(seconds=site.settings.extension_seconds - 3.5)
    # A sees it at its next poll (#extended may already show from A's own early bid).
    a.locator("#extended").wait_for(state="visible")
    expect(a.locator("#ends-at-fact")).to_have_text(display.local_time(new_end))
    expect(a.locator("#current-price")).to_have_text("¥1,410,000")
    expect(a.locator("#my-standing")).to_have_text("已出局")  # live, without a reload
    expect(a.locator("#bid-record tbody tr")).to_have_count(2)
    shot(a, "06-lot-extended")

    # The closing loop ends the round; both pages show the result without a reload.
    a.locator("#result", has_text="成交价").wait_for(timeout=20_000)
    assert code_b in a.locator("#result").inner_text()
    assert a.locator("#status").inner_text() == "待付尾款"
    b.locator("#status", has_text="待付尾款").wait_for()
    shot(a, "07-lot-sold")
    b.locator("#won", has_text="您已竞得本标的").wait_for()
    assert "¥1,270,000" in b.locator("#balance-due").inner_text()  # 1,410,000 less 140,000

    results = new_page()
    results.goto(site.url("/results"))
    row = results.locator("tr", has_text="天河区体育西路住宅（浏览器测试）")
    assert "70.5%" in row.inner_text()  # 1,410,000 / 2,000,000
    assert results.locator("svg.chart circle").count() >= 3
    shot(results, "08-results")


def test_judge_requests_an_inquiry_and_downloads_its_report(site, new_page) -> None:
    page = new_page()
    page.goto(site.url("/inquiries/new"))
    page.wait_for_url(re.compile("/signin"))  # court pages ask for a sign-in first
    page.get_by_label("访问令牌").fill(site.court_token)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile("/inquiries/new"))

    page.get_by_label("案号").fill("（2026）粤0106执9001号")
    page.get_by_label("城市").select_option("深圳市")
    # Only the chosen city's districts are offered (the cities fapai has market data for).
    shown = page.locator("#district optgroup:not([hidden])")
    assert shown.evaluate_all("groups => groups.map(g => g.label)") == ["深圳市"]
    page.get_by_label("城市").select_option("广州市")
    page.get_by_label("区县").select_option("天河区")
    page.get_by_label("建筑面积（m²）").fill("89")
    page.get_by_label("询价结果 1（元）").fill("3000000")
    page.get_by_role("button", name="询价").click()
    assert "第 1 个询价平台须填写平台名称" in page.get_by_role("alert").inner_text()

    # The listed platforms asked (参考价规定 第十三条): two answered, one did not.
    page.get_by_label("平台名称 1").fill("京东")
    page.get_by_label("平台名称 2").fill("淘宝")
    page.get_by_label("询价结果 2（元）").fill("3200000")
    page.get_by_label("平台名称 3").fill("工行融e购")
    page.get_by_label("室", exact=True).fill("3")
    assert_labelled(page)
    shot(page, "09-inquiry-form")
    # The longer form ends at the window's edge, where the button taking the focus on the
    # mouse press scrolls the page under the pointer (the sticky header's scroll padding) and
    # the release lands beside it: it takes the focus first, as a keyboard user's would.
    submit = page.get_by_role("button", name="询价")
    submit.focus()
    submit.click()
    page.wait_for_url(re.compile(r"/inquiries/\d+$"))

    reference = _yuan(page.locator("#reference-price").inner_text())
    rows = page.locator("#platforms tbody tr").all_inner_texts()
    cells = [r.split("\t") for r in rows[:-1]]  # the last row is the mean
    assert [(c[0], c[4]) for c in cells] == [("京东", "是"), ("淘宝", "是"), ("工行融e购", "否")]
    prices = [_yuan(c[3]) for c in cells[:2]]
    assert reference == sum(prices) / 2  # 参考价规定 第十三条: the mean of those that answered
    assert _yuan(page.locator("#estimate-price").inner_text()) > 0  # fapai's, beside it
    proposed = _yuan(page.locator("#proposed-start").inner_text().split("（")[0])
    assert proposed >= reference * Decimal("0.7")  # 拍卖规定 第十条
    # The interval bar, the market index, the outcome curve and the comparables' scatter.
    assert page.locator("svg.chart").count() == 4
    assert page.locator("#case-number").inner_text() == "（2026）粤0106执9001号"
    shot(page, "10-inquiry-report")
    page.emulate_media(media="print")
    assert not page.get_by_role("link", name="下载 PDF").is_visible()
    shot(page, "11-inquiry-report-print")
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    body = open(download.value.path(), "rb").read()  # noqa: SIM115
    assert body.startswith(b"%PDF-") and len(body) > 10_000

    # The judge publishes the lot from the report: reference price by inquiry, start proposed.
    page.get_by_role("link", name="据此发布拍卖").click()
    assert _yuan(page.get_by_label("起拍价（元）").input_value()) == proposed
    assert page.get_by_label("案号").input_value() == "（2026）粤0106执9001号"  # from the report
    page.get_by_label("案号").fill("(2026)粤0106执9002号")
    me = httpx.get(site.url("/api/me"), headers={"Authorization": f"Bearer {site.court_token}"})
    assert page.get_by_label("法院").input_value() == me.json()["court"]["name"]  # the judge's
    page.get_by_label("保证金（元）").fill(str((proposed / 10).quantize(Decimal("0.01"))))
    page.get_by_label("加价幅度（元）").fill("5000")
    # 拍卖规定 第十三条、第十四条、第三十条: real estate states occupancy, taxes and defects.
    page.get_by_label("占有使用及租赁情况").fill("空置，法院负责交付")
    page.get_by_label("税费承担").fill("买卖双方各自承担")
    page.get_by_label("已知瑕疵").fill("无")
    assert_labelled(page)
    shot(page, "12-publish-form")
    page.get_by_role("button", name="发布").click()
    page.wait_for_url(re.compile(r"/lots/\d+"))
    facts = page.locator("section", has_text="标的信息").inner_text()
    assert "网络询价" in facts and display.yuan(reference) in facts
    shot(page, "13-published-lot")
