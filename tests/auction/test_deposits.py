"""Deposits are real before a registration qualifies (拍卖规定 第十七条), with the court-account
adapter (the default): a payment reference, ``pending`` (no bidder code, no bids) until the
court confirms one registration or a bank statement; refunds recorded against the reference and
第二十三条's 24 hours tracked, with the overdue list (API and CLI). On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from app.cli import app

REFERENCE = re.compile(r"FP[2-9A-HJKMNP-Z]{10}")


def _register(api, lot_id: int, i: int) -> dict:
    r = api.client.post(f"/api/lots/{lot_id}/registrations", headers=api.bidders[i])
    assert r.status_code == 201, r.text
    return r.json()


def test_a_deposit_is_pending_until_the_court_confirms_it(court_account_api):
    api = court_account_api
    lot = api.create_lot()
    reg = _register(api, lot["id"], 0)
    assert reg["deposit_status"] == "pending" and reg["bidder_code"] is None
    assert REFERENCE.fullmatch(reg["payment_reference"])
    assert _register(api, lot["id"], 0) == reg  # registering again: the same reference
    api.clock.set(api.clock.now() + timedelta(days=30, minutes=1))  # bidding has started
    refused = api.bid(lot["id"], 0, 700_000)
    assert refused.status_code == 403 and "尚未确认保证金到账" in refused.json()["message"]
    assert api.lot(lot["id"])["registration_count"] == 0

    # Only the lot's own court confirms; for another court the registration does not exist.
    confirm = f"/api/registrations/{reg['id']}/confirm"
    assert api.client.post(confirm, headers=api.other_court).status_code == 404
    assert api.client.post(confirm, headers=api.bidders[0]).status_code == 403
    assert api.client.post(confirm).status_code == 401
    done = api.client.post(confirm, headers=api.court)
    assert done.status_code == 200, done.text
    assert done.json()["deposit_status"] == "paid" and done.json()["bidder_code"] == "B0001"
    assert api.client.post(confirm, headers=api.court).json() == done.json()  # harmless twice
    # Full-width digits and point read as the pages read them (NFKC); other scripts refused.
    assert api.bid(lot["id"], 0, "٧٠٠٠٠٠").status_code == 422
    assert api.bid(lot["id"], 0, "７０００００．００").status_code == 201
    assert api.lot(lot["id"])["registration_count"] == 1

    listed = api.client.get(f"/api/lots/{lot['id']}/registrations", headers=api.court)
    assert [r["payment_reference"] for r in listed.json()] == [reg["payment_reference"]]
    assert (
        api.client.get(f"/api/lots/{lot['id']}/registrations", headers=api.other_court).status_code
        == 404
    )


def test_a_bank_statement_confirms_by_reference_and_refunds_are_tracked(court_account_api):
    api = court_account_api
    lot = api.create_lot()
    regs = [_register(api, lot["id"], i) for i in range(3)]
    late = regs[2]
    statement = "\n".join(
        [
            "交易日期,摘要,贷方金额,对方户名",
            f'2026-11-30,保证金 {regs[0]["payment_reference"].lower()},"70,000.00",竞买人0',
            f"2026-11-30,保证金{regs[1]['payment_reference']},69999.99,竞买人1",
            "2026-11-30,工资,5000.00,某公司",
        ]
    )
    r = api.client.post(
        "/api/deposits/statement",
        content=statement.encode(),
        headers={**api.court, "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["confirmed"] == [regs[0]["payment_reference"]]
    assert [line for line, _ in r.json()["skipped"]] == [3, 4]  # short by a fen; no reference
    # Another court's statement does not confirm this court's registrations.
    other = api.client.post(
        "/api/deposits/statement",
        content=statement.encode(),
        headers={**api.other_court, "Content-Type": "text/csv"},
    )
    assert other.json()["confirmed"] == []

    api.clock.set(api.clock.now() + timedelta(days=30, minutes=1))
    assert api.bid(lot["id"], 0, 700_000).status_code == 201
    api.clock.set(api.clock.now() + timedelta(days=2))
    api.close_due()
    assert api.lot(lot["id"])["status"] == "sold"
    # Confirmed after the round closed: the deposit is due back, not a late admission.
    late_confirm = api.client.post(f"/api/registrations/{late['id']}/confirm", headers=api.court)
    assert late_confirm.json()["deposit_status"] == "refund_due"

    due = api.client.get("/api/deposits/refunds?overdue=false", headers=api.court).json()
    assert [d["payment_reference"] for d in due] == [late["payment_reference"]]
    assert api.client.get("/api/deposits/refunds", headers=api.court).json() == []
    api.clock.set(api.clock.now() + timedelta(hours=24, seconds=1))  # 第二十三条's 24 hours
    overdue = api.client.get("/api/deposits/refunds", headers=api.court).json()
    assert [d["registration_id"] for d in overdue] == [late["id"]]
    assert api.client.get("/api/deposits/refunds", headers=api.other_court).json() == []

    refund = f"/api/registrations/{late['id']}/refund"
    assert api.client.post(refund, headers=api.other_court).status_code == 404
    refunded = api.client.post(refund, headers=api.court)
    assert refunded.json()["deposit_status"] == "refunded"
    assert api.client.get("/api/deposits/refunds", headers=api.court).json() == []
    winner = f"/api/registrations/{regs[0]['id']}/refund"
    assert api.client.post(winner, headers=api.court).status_code == 409  # applied to the price


def test_the_recorded_adapter_admits_at_once(api):
    lot = api.create_lot()
    reg = _register(api, lot["id"], 0)
    assert reg["deposit_status"] == "paid" and reg["bidder_code"] == "B0001"
    assert reg["payment_reference"].startswith("recorded:")


@pytest.fixture
def cli(sqlite_url, monkeypatch):
    from fapai.settings import get_settings

    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FAPAI_PAYMENT_ADAPTER", "court_account")
    get_settings.cache_clear()
    yield lambda *args: CliRunner().invoke(app, list(args))
    get_settings.cache_clear()


def test_deposits_cli_imports_a_statement_and_lists_overdue_refunds(
    cli, sqlite_url, tmp_path, clock, lot_data
):
    from auction import auth, engine
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory, session_scope, writer_engine
    from fapai.settings import get_settings

    # The CLI runs on real time: an old lot whose refund is overdue now, and a lot whose
    # bidding is open now (its deposit arrives by bank statement).
    settings, real_now = get_settings(), SystemClock().now()
    db = make_engine(sqlite_url)
    factory = session_factory(writer_engine(db))
    with session_scope(factory) as s:
        court = auth.ensure_court(s, "GZTH", "广州市天河区人民法院")
        bidder, _ = auth.create_user(s, "竞买人", "bidder", clock.now())
        clock.set(real_now - timedelta(days=40))
        old = engine.create_lot(s, lot_data(court_id=court.id), clock.now(), settings)
        old_reg = engine.register_bidder(s, old.id, bidder.id, clock.now(), settings)
        engine.confirm_deposit(s, old_reg.id, court.id, clock.now(), settings)
        engine.close_due_rounds(s, clock.now() + timedelta(days=32), settings)  # no bid: failed
        clock.set(real_now - timedelta(days=30, hours=12))
        lot = engine.create_lot(s, lot_data(court_id=court.id), clock.now(), settings)
        reg = engine.register_bidder(s, lot.id, bidder.id, clock.now(), settings)
        old_reference, reference = old_reg.payment_reference, reg.payment_reference
    statement = tmp_path / "statement.csv"
    statement.write_text(f"摘要,金额\n{reference},70000\n", encoding="gb18030")
    imported = cli("deposits", "import", str(statement), "--court", "GZTH", "--encoding", "gb18030")
    assert imported.exit_code == 0, imported.output
    assert f"已确认 {reference}" in imported.output and "确认 1 笔" in imported.output
    wrong_code = cli("deposits", "import", str(statement), "--court", "NOPE", "--encoding", "gbk")
    assert wrong_code.exit_code == 2 and "NOPE" in wrong_code.output
    wrong_encoding = cli("deposits", "import", str(statement), "--court", "GZTH")
    assert wrong_encoding.exit_code == 2 and "gb18030" in wrong_encoding.output
    with session_scope(factory) as s:
        assert engine.place_bid(s, lot.id, bidder.id, 70_000_000, real_now, settings).id

    overdue = cli("deposits", "overdue", "--court", "GZTH")
    assert overdue.exit_code == 0 and old_reference in overdue.output
    assert f"拍品 {old.id}" in overdue.output and "逾期未退 1 笔" in overdue.output
    assert cli("deposits", "refund", old_reference, "--court", "GZTH").exit_code == 0
    assert "逾期未退 0 笔" in cli("deposits", "overdue", "--court", "GZTH").output
    db.dispose()
