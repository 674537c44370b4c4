"""The two desks through the real app on a SQLite file and on PostgreSQL, with an injected
clock: the court's desk (its lots by state, relist on a proposed lawful schedule, renege,
priority holders by name and ID number, documents and photos) and the bidder's desk (deposits,
lead or outbid, the win, follows and their reminders)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.testing import as_person
from app.web.display import chinese_amount
from auction import auth, engine
from auction.follows import Reminder
from auction.notifier import remind_once
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings

YUAN = 100
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def resident_id(serial: int) -> str:
    first17 = f"44010619900101{serial:03d}"
    return first17 + auth.id_check_character(first17)


@dataclass
class Desk:
    client: TestClient
    clock: FrozenClock
    factory: object
    settings: Settings
    lot_id: int
    court: str
    other_court: str
    bidders: list[str]

    def as_(self, token: str | None) -> TestClient:
        return as_person(self.client, token)

    def close_due(self) -> None:
        with session_scope(self.factory) as session:
            engine.close_due_rounds(session, self.clock.now(), self.settings)


@pytest.fixture
def desk(db_url: str, clock: FrozenClock, tmp_path, publish_lot) -> Iterator[Desk]:
    """A court that published one lot (bidding 30 days on), another court, and two bidders
    registered with their ID numbers (张三, 李四)."""
    settings = Settings(database_url=db_url, data_dir=tmp_path / "data", attachment_max_bytes=4096)
    db = make_engine(db_url)
    factory = session_factory(writer_engine(db))
    with session_scope(factory) as session:
        tianhe = auth.ensure_court(session, "GZTH", "广州市天河区人民法院")
        yuexiu = auth.ensure_court(session, "GZYX", "广州市越秀区人民法院")
        court_user, court = auth.create_user(
            session, "天河法院执行局", "court", clock.now(), court=tianhe
        )
        _, other = auth.create_user(session, "越秀法院执行局", "court", clock.now(), court=yuexiu)
        bidders = [
            auth.register_bidder_account(
                session, name, resident_id(n), f"1380013800{n}", clock.now(), settings
            )[1]
            for n, name in ((1, "张三"), (2, "李四"))
        ]
        starts = clock.now() + timedelta(days=30)
        lot = publish_lot(
            session,
            settings,
            tianhe,
            starts,
            case_number="(2026)粤0106执5号",
            title="天河区华夏路10号1201房",
            created_by=court_user.id,
        )
        lot_id = lot.id
    with TestClient(create_app(settings, clock), follow_redirects=False) as client:
        yield Desk(client, clock, factory, settings, lot_id, court, other, bidders)
    db.dispose()


def _lot_times(desk: Desk) -> tuple:
    lot = desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()
    return lot["starts_at"], lot["ends_at"]


def _go_to(desk: Desk, when: str, seconds: int = 1) -> None:
    from datetime import datetime

    desk.clock.set(datetime.fromisoformat(when) + timedelta(seconds=seconds))


def test_the_court_sees_its_own_lots_by_state_and_no_one_else_does(desk: Desk) -> None:
    page = desk.as_(desk.court).get("/desk")
    assert page.status_code == 200
    announced = page.text.split('id="g-announced"')[1].split("</section>")[0]
    assert "天河区华夏路10号1201房" in announced and "预告" in announced
    for heading in ("进行中", "已成交 待付尾款", "流拍 待处置", "暂缓/中止", "已撤回"):
        assert heading in page.text
    assert "天河区华夏路10号1201房" not in desk.as_(desk.other_court).get("/desk").text
    assert desk.as_(desk.other_court).get(f"/desk/lots/{desk.lot_id}").status_code == 404
    assert desk.as_(desk.bidders[0]).get("/desk").status_code == 403
    assert desk.as_(None).get("/desk").headers["location"] == "/signin?next=/desk"
    refused = desk.as_(desk.other_court).post(f"/desk/lots/{desk.lot_id}/renege")
    assert refused.status_code == 404


def test_a_failed_lot_is_relisted_on_the_schedule_the_desk_proposes(desk: Desk) -> None:
    _, ends = _lot_times(desk)
    _go_to(desk, ends)
    desk.close_due()
    court = desk.as_(desk.court)
    assert "天河区华夏路10号1201房" in court.get("/desk").text.split('id="g-failed"')[1]
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    assert "再次拍卖" in page and "第二十六条" in page
    proposed = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("start_price", "deposit", "increment", "starts_at", "ends_at")
    }
    assert proposed["start_price"] == "560000.00"  # the previous ¥700,000 cut by 20%
    # Ten days on, the proposal still falls inside the law: announced within the 30 days.
    desk.clock.advance(days=10)
    court = desk.as_(desk.court)  # signed in again: a web session lasts hours, not days
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    proposed = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("start_price", "deposit", "increment", "starts_at", "ends_at")
    }
    too_low = court.post(
        f"/desk/lots/{desk.lot_id}/relist", data={**proposed, "start_price": "500000"}
    )
    assert too_low.status_code == 422 and "第二十六条" in too_low.text
    assert 'value="500000"' in too_low.text  # what was typed is kept
    done = court.post(f"/desk/lots/{desk.lot_id}/relist", data=proposed)
    assert done.status_code == 303, done.text[-2000:]
    lot = desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()
    assert (lot["round"], lot["status"], lot["start_price"]) == (2, "announced", 560000)
    # The 2nd auction fails too: the desk proposes the 变卖 (whole price as deposit).
    _go_to(desk, lot["ends_at"])
    desk.close_due()
    court = desk.as_(desk.court)
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    assert "发布变卖" in page and "全款" in page
    proposed = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("start_price", "deposit", "increment", "starts_at", "ends_at")
    }
    assert proposed["start_price"] == proposed["deposit"] == "560000.00"
    done = court.post(f"/desk/lots/{desk.lot_id}/relist", data=proposed)
    assert done.status_code == 303, done.text[-2000:]
    assert desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()["round"] == "sale"


def test_a_late_relist_is_refused_in_words(desk: Desk) -> None:
    _, ends = _lot_times(desk)
    _go_to(desk, ends)
    desk.close_due()
    desk.clock.advance(days=31)
    court = desk.as_(desk.court)
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    assert "已超过第二十六条规定的发布期限" in page
    proposed = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("start_price", "deposit", "increment", "starts_at", "ends_at")
    }
    late = court.post(f"/desk/lots/{desk.lot_id}/relist", data=proposed)
    assert late.status_code == 422 and "30 日内发布再次拍卖公告" in late.text


def test_priority_holders_are_named_by_name_and_id_number(desk: Desk) -> None:
    court = desk.as_(desk.court)
    url = f"/desk/lots/{desk.lot_id}/priority-holders"
    wrong_name = court.post(url, data={"name": "王五", "id_number": resident_id(1), "rank": "1"})
    assert wrong_name.status_code == 422 and "姓名与该身份证号码注册的姓名不一致" in wrong_name.text
    assert resident_id(1) not in wrong_name.text  # the ID number is never echoed back
    unknown = court.post(url, data={"name": "赵六", "id_number": resident_id(9), "rank": "1"})
    assert unknown.status_code == 404 and "尚未注册竞买人账号" in unknown.text
    bad = court.post(url, data={"name": "张三", "id_number": "123", "rank": "1"})
    assert bad.status_code == 422 and "身份证" in bad.text
    added = court.post(url, data={"name": "张三", "id_number": resident_id(1), "rank": "1"})
    assert added.status_code == 303
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    holders = page.split('id="holders"')[1].split("</table>")[0]
    assert "张三" in holders and resident_id(1) not in holders and "*" in holders
    # The holder registers and gets a priority code (第十九条).
    bidder = desk.as_(desk.bidders[0])
    assert bidder.post(f"/lots/{desk.lot_id}/registrations").status_code == 303
    assert "P0001" in bidder.get(f"/lots/{desk.lot_id}").text


def test_lead_outbid_win_balance_and_renege(desk: Desk) -> None:
    starts, _ = _lot_times(desk)
    for token in desk.bidders:
        assert desk.as_(token).post(f"/lots/{desk.lot_id}/registrations").status_code == 303
    _go_to(desk, starts, 60)

    def bid(token: str, amount: str) -> None:
        response = desk.as_(token).post(
            f"/lots/{desk.lot_id}/bids", data={"amount": amount, "confirmed": "1"}
        )
        assert response.status_code == 303, response.text[-1500:]

    def live(token: str) -> dict:
        return desk.as_(token).get(f"/lots/{desk.lot_id}/live").json()

    bid(desk.bidders[0], "700000")
    assert live(desk.bidders[0])["standing_text"] == "领先"
    assert live(desk.bidders[1])["standing_text"] == ""  # no bid yet
    bid(desk.bidders[1], "705000")
    assert live(desk.bidders[0])["standing_text"] == "已出局"
    assert live(desk.bidders[1])["standing_text"] == "领先"
    assert live(None)["standing_text"] == ""
    me = desk.as_(desk.bidders[0]).get("/me").text
    assert "已出局" in me and "¥70,000" in me and "已交纳" in me

    desk.clock.advance(days=2)
    desk.close_due()
    winner = desk.as_(desk.bidders[1])
    page = winner.get(f"/lots/{desk.lot_id}").text
    assert "您已竞得本标的" in page and "¥635,000" in page  # 705,000 less the 70,000 deposit
    assert chinese_amount(705000) in page
    me = winner.get("/me").text
    assert "您已竞得" in me and "尚欠尾款" in me and "¥635,000" in me and "付款期限" in me
    loser = desk.as_(desk.bidders[0]).get("/me").text
    assert "未竞得" in loser and "待退还" in loser  # refund due within 24 h (第二十三条)
    assert "您已竞得" not in desk.as_(desk.bidders[0]).get(f"/lots/{desk.lot_id}").text

    court = desk.as_(desk.court)
    assert "已成交 待付尾款" in court.get("/desk").text
    assert court.post(f"/desk/lots/{desk.lot_id}/renege").status_code == 303
    assert desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()["status"] == "reneged"
    court = desk.as_(desk.court)
    assert "不予退还" in court.get(f"/desk/lots/{desk.lot_id}").text
    again = court.post(f"/desk/lots/{desk.lot_id}/renege")
    assert again.status_code == 409 and "悔拍" in again.text
    # 第二十四条: the same round again at the same start price, on the proposed schedule.
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    assert "发布重新拍卖" in page
    proposed = {
        name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1)
        for name in ("start_price", "deposit", "increment", "starts_at", "ends_at")
    }
    assert proposed["start_price"] == "700000.00"
    assert court.post(f"/desk/lots/{desk.lot_id}/relist", data=proposed).status_code == 303
    lot = desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()
    assert (lot["round"], lot["status"], lot["start_price"]) == (1, "announced", 700000)


def test_documents_download_and_photos_show(desk: Desk) -> None:
    court = desk.as_(desk.court)
    url = f"/desk/lots/{desk.lot_id}/attachments"

    def upload(kind: str, content: bytes, title: str = "") -> object:
        files = {"file": ("x.bin", content, "application/octet-stream")}
        return court.post(url, data={"kind": kind, "title": title}, files=files)

    assert upload("announcement", PDF, "拍卖公告").status_code == 303
    assert upload("photo", PNG, "客厅").status_code == 303
    refused = upload("announcement", PNG)
    assert refused.status_code == 422 and "拍卖公告须为 PDF 文件" in refused.text
    refused = upload("photo", PDF)
    assert refused.status_code == 422 and "照片须为 JPEG、PNG 或 WebP 图片" in refused.text
    refused = upload("appraisal", PDF + b"0" * 5000)
    assert refused.status_code == 422 and "不得超过" in refused.text
    assert upload("rules", b"").status_code == 422
    assert desk.as_(desk.other_court).post(url, data={"kind": "rules"}).status_code == 404

    page = desk.as_(None).get(f"/lots/{desk.lot_id}").text
    documents = page.split('id="documents"')[1].split("</ul>")[0]
    assert "拍卖公告" in documents and "客厅" not in documents
    link = re.search(r'href="(/lots/\d+/files/\d+)"', documents).group(1)
    pdf = desk.as_(None).get(link)
    assert pdf.status_code == 200 and pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment")
    photo = re.search(r'<img src="(/lots/\d+/files/\d+)" alt="客厅"', page).group(1)
    shown = desk.as_(None).get(photo)
    assert shown.content == PNG and shown.headers["content-disposition"].startswith("inline")
    assert desk.as_(None).get(f"/lots/{desk.lot_id}/files/999999").status_code == 404


def test_following_makes_reminders_once_and_shows_them(desk: Desk) -> None:
    bidder = desk.as_(desk.bidders[0])
    assert bidder.post(f"/lots/{desk.lot_id}/follow").status_code == 303
    assert "已关注" in bidder.get(f"/lots/{desk.lot_id}").text
    refused = bidder.post("/me/contact", data={"email": "not-an-address"})
    assert refused.status_code == 422 and "电子邮箱" in refused.text
    assert bidder.post("/me/contact", data={"email": "zhang@example.test"}).status_code == 303
    starts, ends = _lot_times(desk)
    assert remind_once(desk.factory, desk.clock, desk.settings, channels=[]) == 0
    _go_to(desk, starts, -desk.settings.remind_before_seconds + 60)
    assert remind_once(desk.factory, desk.clock, desk.settings, channels=[]) == 1
    assert remind_once(desk.factory, desk.clock, desk.settings, channels=[]) == 0  # once
    _go_to(desk, ends, -600)
    assert remind_once(desk.factory, desk.clock, desk.settings, channels=[]) == 1
    bidder = desk.as_(desk.bidders[0])
    me = bidder.get("/me").text
    reminders = me.split('id="reminders"')[1].split("</ul>")[0]
    assert "开始竞价" in reminders and "竞价结束" in reminders
    assert "天河区华夏路10号1201房" in me.split("我的关注")[1]
    with session_scope(desk.factory) as session:
        from sqlalchemy import select

        assert {r.delivery for r in session.scalars(select(Reminder))} == {"page"}
    assert "提醒：您关注的拍品" in bidder.get(f"/lots/{desk.lot_id}").text  # on the lot page too
    assert bidder.post(f"/lots/{desk.lot_id}/unfollow").status_code == 303
    assert "关注此拍品" in bidder.get(f"/lots/{desk.lot_id}").text


def test_suspend_resume_withdraw_and_the_balance_from_the_desk(desk: Desk) -> None:
    court = desk.as_(desk.court)
    url = f"/desk/lots/{desk.lot_id}"
    no_reason = court.post(f"{url}/suspend", data={"mode": "suspend", "reason": " "})
    assert no_reason.status_code == 422 and "请填写理由" in no_reason.text
    done = court.post(f"{url}/suspend", data={"mode": "stop", "reason": "案外人提出异议"})
    assert done.status_code == 303
    page = desk.as_(desk.court).get(url).text
    assert "恢复拍卖" in page and "中止" in page
    public = desk.as_(None).get(f"/lots/{desk.lot_id}").text
    assert "案外人提出异议" in public
    court = desk.as_(desk.court)
    late = desk.clock.now() + timedelta(days=30)
    refused = court.post(
        f"{url}/resume",
        data={"starts_at": f"{late:%Y-%m-%dT10:00}", "ends_at": f"{late:%Y-%m-%dT09:00}"},
    )
    assert refused.status_code == 422 and "第二" in refused.text  # an article speaks
    assert court.post(f"{url}/withdraw", data={"reason": "被执行人已履行完毕"}).status_code == 303
    assert desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()["status"] == "withdrawn"
    assert "已撤回" in desk.as_(desk.court).get("/desk").text.split('id="g-withdrawn"')[1]


def test_the_desk_records_the_balance_and_the_sale_is_confirmed(desk: Desk) -> None:
    starts, _ = _lot_times(desk)
    assert desk.as_(desk.bidders[0]).post(f"/lots/{desk.lot_id}/registrations").status_code == 303
    _go_to(desk, starts, 60)
    bid = desk.as_(desk.bidders[0]).post(
        f"/lots/{desk.lot_id}/bids", data={"amount": "700000", "confirmed": "1"}
    )
    assert bid.status_code == 303, bid.text[-1000:]
    desk.clock.advance(days=2)
    desk.close_due()
    court = desk.as_(desk.court)
    page = court.get(f"/desk/lots/{desk.lot_id}").text
    assert "尚欠" in page and "¥630,000" in page and "付款期限" in page
    too_much = court.post(f"/desk/lots/{desk.lot_id}/payments", data={"amount": "700000"})
    assert too_much.status_code == 422 and "第二十五条" in too_much.text
    paid = court.post(f"/desk/lots/{desk.lot_id}/payments", data={"amount": "630,000"})
    assert paid.status_code == 303, paid.text[-1500:]
    assert desk.as_(None).get(f"/api/lots/{desk.lot_id}").json()["status"] == "confirmed"
    me = desk.as_(desk.bidders[0]).get("/me").text
    assert "您已竞得" in me and "付清" in me
    assert (
        "天河区华夏路10号1201房" in desk.as_(desk.court).get("/desk").text.split('id="g-closed"')[1]
    )
