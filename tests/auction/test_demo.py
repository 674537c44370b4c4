"""`fapai demo`: the seeded room shows every state, was produced by the engine from the real
lots, is seeded once with --if-empty, and the API serves it."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.main import create_app
from auction import demo
from auction.store import Bid, Lot, Round
from fapai import law
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings, get_settings

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
LOTS = len(demo.FATES) + 3  # every fate once, then three of the mix
EVERY_STATE = {
    "announced",
    "bidding",
    "sold",  # 待付尾款
    "confirmed",  # 已成交确认
    "failed",
    "sale",
    "sale_bidding",  # 变卖竞价中
    "reneged",
    "suspended",
    "withdrawn",
}


@pytest.fixture
def factory(db_url: str):
    engine = make_engine(db_url)
    yield session_factory(writer_engine(engine))
    engine.dispose()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(database_url=db_url)


def _seed(factory, settings: Settings) -> demo.DemoSummary:
    return demo.seed_demo(factory, settings, NOW, lots=LOTS)


def test_seeding_a_fresh_database_produces_every_state(factory, settings: Settings) -> None:
    summary = _seed(factory, settings)

    assert summary.lots == LOTS
    assert set(summary.states) == EVERY_STATE
    assert sum(summary.states.values()) == LOTS
    assert len(summary.cities) >= 3
    assert [u.role for u in summary.users] == ["court", "bidder", "bidder"]
    with session_scope(factory) as session:
        lots = session.scalars(select(Lot)).all()
        rounds = session.scalars(select(Round)).all()
        ending_soon = [
            lot
            for lot in lots
            if lot.status == "announced"
            and lot.starts_at <= NOW
            and (lot.ends_at - NOW).total_seconds() <= 3600
        ]
        # A second round at a cut of at most 20% (拍卖规定 第二十六条) and a 变卖 at the second
        # round's start price.
        by_lot: dict[int, list[Round]] = {}
        for rnd in sorted(rounds, key=lambda r: r.seq):
            by_lot.setdefault(rnd.lot_id, []).append(rnd)
        seconds = [rs for rs in by_lot.values() if rs[-1].kind == "2" and rs[0].outcome == "failed"]
        sales = [rs for rs in by_lot.values() if rs[-1].kind == "sale"]
        reneged = [rs for rs in by_lot.values() if rs[0].outcome == "reneged"]
    assert ending_soon, "some bidding lots end within the next hour"
    assert seconds and all(rs[1].start_price >= rs[0].start_price * 0.8 for rs in seconds)
    assert sales and all(rs[2].start_price == rs[1].start_price for rs in sales)
    assert len(reneged) == 2  # one left reneged, one relisted without its reneging buyer


def test_a_demo_with_no_announcement_period_still_shows_every_state(factory, db_url) -> None:
    """Announcement periods of 0 days are a legal test configuration: bidders still register
    before they bid, and the announced lots are still announced."""
    settings = Settings(
        database_url=db_url,
        announce_days_movable=0,
        announce_days_immovable=0,
        reannounce_days_movable=0,
        reannounce_days_immovable=0,
    )
    summary = _seed(factory, settings)
    assert set(summary.states) == EVERY_STATE
    assert sum(summary.states.values()) == LOTS


def test_demo_command_with_no_announcement_period_answers_without_a_traceback(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for kind in ("ANNOUNCE", "REANNOUNCE"):
        for what in ("MOVABLE", "IMMOVABLE"):
            monkeypatch.setenv(f"FAPAI_{kind}_DAYS_{what}", "0")
    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    app = typer.Typer()
    demo.register(app, ensure_model=lambda _settings: "never asked (--skip-model)")
    try:
        result = CliRunner().invoke(app, ["--skip-model", "--lots", str(LOTS)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert "演示令牌" in result.output


def test_sold_lots_end_at_real_prices_with_lawful_bids(factory, settings: Settings) -> None:
    _seed(factory, settings)
    real = {(r.start, r.final) for r in demo.load_rows()}
    with session_scope(factory) as session:
        sold = session.scalars(select(Round).where(Round.outcome == "sold")).all()
        assert sold
        for rnd in sold:
            assert (rnd.start_price, rnd.final_price) in real  # the archive's own sale
            amounts = session.scalars(
                select(Bid.amount).where(Bid.round_id == rnd.id).order_by(Bid.id)
            ).all()
            assert amounts[0] >= rnd.start_price
            assert all(b - a >= rnd.increment for a, b in zip(amounts, amounts[1:], strict=False))
            assert amounts[-1] == rnd.final_price
            assert rnd.bid_count == len(amounts)


def test_every_planned_lot_is_lawful_for_every_real_row() -> None:
    """The prices the plan uses pass the engine's rules for all 390 rows (so a bigger demo
    never fails half-way)."""
    s = Settings()
    for row in demo.load_rows():
        first = demo.first_round_start(row, s)
        law.check_start_price(first, row.reference, s)
        law.check_deposit(demo.deposit_for(first), first, s)
        second = demo.cut_price(first, s)
        law.check_reauction_start_price(second, first, s)
        law.check_deposit(demo.deposit_for(second), second, s)
        if first != row.start:  # sold in a second round at the real start
            law.check_reauction_start_price(row.start, first, s)


def test_bid_ladder_climbs_by_at_least_the_increment_to_the_final() -> None:
    rng = random.Random(1)
    ladder = demo.bid_ladder(1_000_000, 1_500_000, 10_000, rng, max_bids=8)
    assert ladder[0] == 1_000_000 and ladder[-1] == 1_500_000 and len(ladder) == 8
    assert all(b - a >= 10_000 for a, b in zip(ladder, ladder[1:], strict=False))
    assert demo.bid_ladder(1_000_000, 1_005_000, 10_000, rng, max_bids=8) == [1_005_000]


def test_fates_show_every_state_first() -> None:
    assert demo.fates_for(len(demo.FATES)) == list(demo.FATES)
    assert Counter(demo.fates_for(60))[demo.SOLD] > Counter(demo.fates_for(60))[demo.FAILED]


def test_api_lists_the_seeded_lots(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url)
    engine = make_engine(sqlite_url)
    summary = _seed(session_factory(writer_engine(engine)), settings)
    engine.dispose()
    with TestClient(create_app(settings, clock=FrozenClock(NOW))) as client:
        page = client.get("/api/lots", params={"page_size": 100}).json()
        assert page["total"] == LOTS
        bidding = client.get("/api/lots", params={"status": "bidding", "page_size": 100}).json()
        assert bidding["total"] == summary.states["bidding"]
        assert {item["status"] for item in bidding["items"]} == {"bidding"}
        guangzhou = client.get("/api/lots", params={"city": "广州", "page_size": 100}).json()
        assert 0 < guangzhou["total"] < LOTS
        results = client.get("/api/results", params={"outcome": "sold"}).json()
        sold = results["items"][0]
        ratio = Decimal(str(sold["final_price"])) / Decimal(str(sold["start_price"]))
        assert Decimal(1) <= ratio <= Decimal(3)
        bids = client.get(f"/api/lots/{sold['lot_id']}/bids").json()
        amounts = [b["amount"] for b in bids]
        assert amounts[0] == sold["final_price"] and amounts == sorted(amounts, reverse=True)

        # The printed demo token signs a bidder in: register and outbid on a live lot.
        bidder = {"Authorization": f"Bearer {summary.users[1].token}"}
        lot = bidding["items"][0]
        registered = client.post(f"/api/lots/{lot['id']}/registrations", headers=bidder)
        assert registered.status_code in (200, 201), registered.text
        amount = Decimal(str(lot["current_price"])) + Decimal(str(lot["increment"]))
        bid = client.post(
            f"/api/lots/{lot['id']}/bids", json={"amount": float(amount)}, headers=bidder
        )
        assert bid.status_code == 201, bid.text


def test_demo_command_seeds_once_with_if_empty(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    app = typer.Typer()
    demo.register(app, ensure_model=lambda _settings: "never asked (--skip-model)")
    runner = CliRunner()
    try:
        args = ["--if-empty", "--skip-model", "--lots", str(len(demo.FATES))]
        first = runner.invoke(app, args)
        second = runner.invoke(app, args)
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "演示令牌" in first.output and "竞买人" in first.output
    assert second.exit_code == 0, second.output
    assert f"已有 {len(demo.FATES)} 个拍品" in second.output
    engine = make_engine(sqlite_url)
    with session_scope(session_factory(engine)) as session:
        assert len(session.scalars(select(Lot.id)).all()) == len(demo.FATES)
    engine.dispose()


def test_live_sort_puts_open_lots_first_soonest_ending_first(factory, settings) -> None:
    from app.queries import search_lots
    from app.schemas import LotQuery

    _seed(factory, settings)
    with factory() as session:
        items = search_lots(session, LotQuery(sort="live", page_size=100), NOW).items
    open_flags = [item.status in ("announced", "bidding", "sale", "sale_bidding") for item in items]
    assert any(open_flags) and not all(open_flags)
    assert open_flags == sorted(open_flags, reverse=True)  # every open lot before any finished
    n_open = sum(open_flags)
    open_ends = [item.ends_at for item in items[:n_open]]
    finished_ends = [item.ends_at for item in items[n_open:]]
    assert open_ends == sorted(open_ends)
    assert finished_ends == sorted(finished_ends, reverse=True)
