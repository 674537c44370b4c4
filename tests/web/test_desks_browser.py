"""The two desks end to end in headless Chromium against a real uvicorn process, on a SQLite file
and on PostgreSQL: a clerk confirms a priority purchaser, attaches the announcement and a photo
(which the public lot page offers), relists a failed lot on the proposed lawful schedule and
records a renege; suspends a lot, resumes it on the proposed schedule and withdraws it, and
records a sold lot's balance, confirming the sale; a bidder follows a lot and gets the reminder
by e-mail (a local SMTP server) and webhook (a local HTTP server) and on 我的竞拍, and sees the
win with the balance due.
Screenshots of the two desks go to ../screenshots (beside the worktree, not committed)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from app.testing import lot_request, uvicorn_server, wait_until
from auction import auth
from fapai.clock import SystemClock
from fapai.db import make_engine, session_factory, session_scope
from fapai.settings import Settings
from web.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
DESK_SHOTS = ROOT.parent / "screenshots"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def resident_id(serial: int) -> str:
    first17 = f"44010619850101{serial:03d}"
    return first17 + auth.id_check_character(first17)


@dataclass(frozen=True)
class DeskSite:
    base: str
    court: str
    bidders: list[str]
    mailbox: object
    webhook: list[dict]
    backend: str

    def url(self, path: str) -> str:
        return self.base + path

    def api(self, method: str, path: str, token: str, **kwargs) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return httpx.request(method, self.url(path), headers=headers, timeout=30, **kwargs)

    def publish(self, title: str, starts_in: float, number: int, seconds: int = 8) -> int:
        starts = datetime.now().astimezone() + timedelta(seconds=starts_in)
        body = {**lot_request(starts, seconds, number), "title": title}
        response = self.api("POST", "/api/lots", self.court, json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def status(self, lot_id: int) -> str:
        return httpx.get(self.url(f"/api/lots/{lot_id}"), timeout=30).json()["status"]

    def bid_at_start(self, lot_id: int, bidder: str, amount: int = 700000) -> None:
        """``bidder`` registers for the lot and bids ``amount`` once bidding opens."""
        assert self.api("POST", f"/api/lots/{lot_id}/registrations", bidder).status_code == 201
        assert wait_until(lambda: self.status(lot_id) == "bidding", 15)
        bid = self.api("POST", f"/api/lots/{lot_id}/bids", bidder, json={"amount": amount})
        assert bid.is_success, bid.text


@pytest.fixture
def desk_site(db_url: str, tmp_path: Path, smtp_sink, http_sink) -> Iterator[DeskSite]:
    """A court user, two bidders with ID numbers (张三 with a reminder address, 李四); the
    server with a short clock, reminders an hour ahead by e-mail and webhook to local sinks."""
    port, mailbox = smtp_sink
    hook, posted = http_sink
    db = make_engine(db_url)
    now = SystemClock().now()
    keyed = Settings(data_dir=tmp_path / "data")  # the server's secret, keying the ID numbers
    with session_scope(session_factory(db)) as session:
        home = auth.ensure_court(session, "GZYX", "广州市越秀区人民法院")  # lot_request's court
        _, court = auth.create_user(session, "越秀法院执行局", "court", now, court=home)
        bidders = [
            auth.register_bidder_account(
                session, name, resident_id(n), f"1390013900{n}", now, keyed
            )[1]
            for n, name in ((1, "张三"), (2, "李四"))
        ]
    db.dispose()
    env = {
        "FAPAI_DATABASE_URL": db_url,
        "FAPAI_DATA_DIR": str(tmp_path / "data"),
        "FAPAI_MIN_BIDDING_SECONDS": "8",
        "FAPAI_EXTENSION_SECONDS": "2",
        "FAPAI_CLOSING_INTERVAL_SECONDS": "0.2",
        "FAPAI_ANNOUNCE_DAYS_MOVABLE": "0",
        "FAPAI_ANNOUNCE_DAYS_IMMOVABLE": "0",
        "FAPAI_REMIND_BEFORE_SECONDS": "3600",
        "FAPAI_SMTP_HOST": "127.0.0.1",
        "FAPAI_SMTP_PORT": str(port),
        "FAPAI_WEBHOOK_URL": hook,
    }
    backend = "postgres" if db_url.startswith("postgresql") else "sqlite"
    with uvicorn_server(env, tmp_path / "server.log") as base:
        yield DeskSite(base, court, bidders, mailbox, posted, backend)


def sign_in(page, site: DeskSite, token: str, next_path: str) -> None:
    page.goto(site.url(f"/signin?next={next_path}"))
    page.get_by_label("访问令牌").fill(token)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(re.escape(next_path)))


def desk_shot(page, name: str) -> Path:
    DESK_SHOTS.mkdir(parents=True, exist_ok=True)
    path = DESK_SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    shot(page, name)
    return path


def test_the_court_desk(desk_site: DeskSite, new_page, tmp_path: Path) -> None:
    site = desk_site
    later = site.publish("天河区华夏路8号（工作台测试）", 86400, 1)
    failing = site.publish("天河区花城大道9号（流拍测试）", 1, 2)
    selling = site.publish("天河区珠江东路3号（悔拍测试）", 1, 3)
    site.bid_at_start(selling, site.bidders[1])
    assert wait_until(lambda: site.status(failing) == "failed", 20)
    assert wait_until(lambda: site.status(selling) == "sold", 20)

    page = new_page()
    sign_in(page, site, site.court, "/desk")
    expect(page.locator("#g-announced")).to_contain_text("天河区华夏路8号（工作台测试）")
    expect(page.locator("#g-failed")).to_contain_text("天河区花城大道9号（流拍测试）")
    expect(page.locator("#g-sold")).to_contain_text("天河区珠江东路3号（悔拍测试）")
    court_desk = desk_shot(page, f"court-desk-{site.backend}")

    # A priority purchaser, by name and ID number (拍卖规定 第十九条).
    page.goto(site.url(f"/desk/lots/{later}"))
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("居民身份证号码").fill(resident_id(1))
    page.get_by_role("button", name="确认优先购买权人").click()
    expect(page.get_by_role("status").first).to_have_text("已确认优先购买权人。")
    expect(page.locator("#holders")).to_contain_text("张三")
    assert resident_id(1) not in page.locator("#holders").inner_text()

    # Documents and photos: a PNG is no announcement; the PDF and the photo are taken.
    files = tmp_path / "files"
    files.mkdir()
    (files / "公告.pdf").write_bytes(PDF)
    (files / "客厅.png").write_bytes(PNG)
    page.get_by_label("文件类别").select_option("announcement")
    page.get_by_label("标题（可不填）").fill("拍卖公告")
    page.locator("#file").set_input_files(str(files / "客厅.png"))
    page.get_by_role("button", name="上传").click()
    expect(page.locator("#desk-error")).to_contain_text("拍卖公告须为 PDF 文件")
    page.get_by_label("文件类别").select_option("announcement")
    page.locator("#file").set_input_files(str(files / "公告.pdf"))
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_role("status").first).to_have_text("文件已上传。")
    page.get_by_label("文件类别").select_option("photo")
    page.get_by_label("标题（可不填）").fill("客厅")
    page.locator("#file").set_input_files(str(files / "客厅.png"))
    page.get_by_role("button", name="上传").click()
    expect(page.locator("#desk-files")).to_contain_text("客厅")
    lot_desk = desk_shot(page, f"court-desk-lot-{site.backend}")

    public = new_page()
    public.goto(site.url(f"/lots/{later}"))
    expect(public.locator("#documents")).to_contain_text("拍卖公告")
    # The photo loads lazily (loading="lazy"): bring it into view, then wait for its pixels.
    photo = public.locator('img[alt="客厅"]')
    photo.scroll_into_view_if_needed()
    assert wait_until(lambda: photo.evaluate("img => img.complete && img.naturalWidth") == 1, 10)
    with public.expect_download() as download:
        public.locator("#documents a").first.click()
    assert Path(download.value.path()).read_bytes() == PDF

    # Relist the failed lot on the schedule the desk proposes (第二十六条).
    page.goto(site.url(f"/desk/lots/{failing}"))
    assert page.locator("#relist-start").input_value() == "560000.00"
    page.get_by_role("button", name="发布再次拍卖").click()
    expect(page.get_by_role("status").first).to_contain_text("已发布再次拍卖")
    expect(page.locator("#desk-status")).to_have_text("即将开始")
    lot = httpx.get(site.url(f"/api/lots/{failing}")).json()
    assert (lot["round"], lot["start_price"]) == (2, 560000)

    # Record the buyer's renege (第二十四条).
    page.goto(site.url(f"/desk/lots/{selling}"))
    page.get_by_role("button", name="记录买受人悔拍").click()
    expect(page.locator("#desk-status")).to_have_text("悔拍")
    assert "不予退还" in page.locator("main").inner_text()
    assert court_desk.exists() and lot_desk.exists()


def test_the_bidder_desk(desk_site: DeskSite, new_page) -> None:
    site = desk_site
    # Bidding opens 15 s after publishing: room for signing in and following first, even on a
    # loaded machine (a follow after the start gets the "竞价结束" reminder, not this one).
    lot_id = site.publish("天河区体育东路5号（我的竞拍测试）", 15, 4, seconds=20)
    a, b = new_page(), new_page()
    sign_in(a, site, site.bidders[0], "/me")
    a.get_by_label("提醒邮箱（平台配置了邮件发送时，提醒也发到此邮箱）").fill("zhang@example.test")
    a.get_by_role("button", name="保存邮箱").click()
    expect(a.get_by_role("status").first).to_have_text("提醒邮箱已保存。")

    # Follow: the reminder before bidding starts comes by e-mail, webhook and on the page.
    a.goto(site.url(f"/lots/{lot_id}"))
    a.get_by_role("button", name="关注此拍品").click()
    expect(a.locator("#follow-button")).to_contain_text("已关注")
    assert wait_until(lambda: len(site.mailbox.messages) >= 1, 15)
    mail = message_from_bytes(site.mailbox.messages[0], policy=policy.default)
    assert mail["To"] == "zhang@example.test" and "开始竞价" in mail.get_content()
    assert wait_until(lambda: len(site.webhook) >= 1, 5)
    assert site.webhook[0]["lot_id"] == lot_id and site.webhook[0]["kind"] == "starts"
    a.goto(site.url("/me"))
    expect(a.locator("#reminders")).to_contain_text("天河区体育东路5号（我的竞拍测试）")

    # Both register and bid; 我的竞拍 says who leads, then the win and the balance due.
    sign_in(b, site, site.bidders[1], f"/lots/{lot_id}")
    for page in (a, b):
        page.goto(site.url(f"/lots/{lot_id}"))
        page.get_by_role("button", name="交纳保证金并报名").click()
    for page, amount in ((a, "700000"), (b, "701000")):
        page.locator("#amount").wait_for(timeout=20_000)
        page.locator("#amount").fill(amount)
        page.get_by_role("button", name="出价", exact=True).click()
        page.get_by_role("button", name="确认出价").click()
        page.wait_for_url(re.compile("done=bid"))
    expect(a.locator("#my-standing")).to_have_text("已出局")
    a.goto(site.url("/me"))
    expect(a.locator("#my-registrations")).to_contain_text("已出局")
    assert wait_until(lambda: site.status(lot_id) == "sold", 30)
    b.goto(site.url("/me"))
    expect(b.locator(".win")).to_contain_text("您已竞得")
    expect(b.locator(".win")).to_contain_text("¥631,000")  # 701,000 less the 70,000 deposit
    desk_shot(b, f"bidder-desk-{site.backend}")
    a.goto(site.url("/me"))
    expect(a.locator("#my-registrations")).to_contain_text("未竞得")
    expect(a.locator("#my-registrations")).to_contain_text("待退还")
    desk_shot(a, f"bidder-desk-outbid-{site.backend}")


def test_the_court_desk_lifecycle(desk_site: DeskSite, new_page) -> None:
    """暂缓 with a reason, 恢复 on the schedule the desk proposes, 撤回; a sold lot's balance
    recorded as paid, the sale confirmed and its 成交确认书 shown (拍卖规定 第二十二至二十八条)."""
    site = desk_site
    halted = site.publish("越秀区中山五路7号（暂缓测试）", 86400, 5)
    sold = site.publish("越秀区北京路2号（尾款测试）", 1, 6)
    site.bid_at_start(sold, site.bidders[0])

    page = new_page()
    sign_in(page, site, site.court, f"/desk/lots/{halted}")
    page.get_by_label("理由", exact=True).fill("案外人提出异议，需审查（拍卖规定 第二十八条）")
    page.get_by_role("button", name="暂缓或中止拍卖").click()
    expect(page.locator("#desk-status")).to_have_text("暂缓")
    expect(page.get_by_role("status").first).to_contain_text("已暂缓")
    # The desk proposes a lawful new schedule; resuming on it opens the same round again.
    assert page.locator("#resume-starts").input_value().endswith("T10:00")
    page.get_by_role("button", name="恢复拍卖").click()
    expect(page.get_by_role("status").first).to_have_text("已恢复拍卖。")
    expect(page.locator("#desk-status")).to_have_text("即将开始")
    page.get_by_label("撤回理由").fill("被执行人已履行全部债务")
    page.get_by_role("button", name="撤回拍卖").click()
    expect(page.locator("#desk-status")).to_have_text("已撤回")
    public = httpx.get(site.url(f"/lots/{halted}")).text
    assert "已撤回" in public and "被执行人已履行全部债务" in public

    # The balance arrives in full: the sale is confirmed (第二十五条) with its 成交确认书.
    assert wait_until(lambda: site.status(sold) == "sold", 20)
    page.goto(site.url(f"/desk/lots/{sold}"))
    assert page.locator("#payment-amount").input_value() == "630000.00"  # less the deposit
    page.get_by_role("button", name="记录尾款到账").click()
    expect(page.get_by_role("status").first).to_have_text("已记录尾款。")
    expect(page.locator("#desk-status")).to_have_text("已成交确认")
    page.get_by_role("link", name="查看成交确认书").click()
    expect(page.locator("#confirm-h")).to_have_text("网络司法拍卖成交确认书")
    expect(page.locator("main")).to_contain_text("越秀区北京路2号（尾款测试）")
    desk_shot(page, f"court-desk-confirmation-{site.backend}")
