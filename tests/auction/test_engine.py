"""The engine on real databases with a frozen clock: publication, registration, bidding,
priority, idempotency, closing, relisting, 变卖 and reneging."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.publishing import with_inquiry_reference
from auction import engine
from auction.store import Bid, Registration, Round, effective_status
from fapai import law
from fapai.errors import Conflict, Forbidden, NotFound, RuleViolation
from valuation.inquiry_store import Inquiry

YUAN = 100


def test_create_lot_opens_round_one_announced_then_bidding(world):
    lot = world.lot
    assert (lot.status, lot.round, lot.city, lot.district) == ("announced", "1", "广州市", "天河区")
    assert lot.current_price == 700_000 * YUAN
    assert effective_status(lot.status, lot.starts_at, world.clock.now()) == "announced"
    assert effective_status(lot.status, lot.starts_at, lot.starts_at) == "bidding"


@pytest.mark.parametrize(
    ("changes", "field", "article"),
    [
        ({"start_price": 699_999 * YUAN}, "start_price", "拍卖规定 第十条"),
        ({"deposit": 34_999 * YUAN}, "deposit", "拍卖规定 第十七条"),
        ({"deposit": 140_001 * YUAN}, "deposit", "拍卖规定 第十七条"),
        ({"increment": 0}, "increment", "拍卖规定 第二十条"),
        ({"reference_price": None}, "reference_price", "参考价规定 (法释〔2018〕15号)"),
        ({"property_type": "boat"}, "property_type", None),
    ],
)
def test_create_lot_refuses_unlawful_terms(
    sqlite_session, clock, settings, lot_data, changes, field, article
):
    with pytest.raises(RuleViolation) as err:
        engine.create_lot(sqlite_session, lot_data(**changes), clock.now(), settings)
    assert (err.value.field, err.value.article) == (field, article)


def test_create_lot_checks_window_and_announcement_by_property_type(
    sqlite_session, clock, settings, lot_data
):
    now = clock.now()
    short = lot_data()
    short = replace(short, ends_at=short.starts_at + timedelta(hours=23))
    with pytest.raises(RuleViolation, match="不得少于 24 小时") as err:
        engine.create_lot(sqlite_session, short, now, settings)
    assert err.value.field == "ends_at"
    in_15_days = {"starts_at": now + timedelta(days=15), "ends_at": now + timedelta(days=16)}
    with pytest.raises(RuleViolation) as err:
        engine.create_lot(sqlite_session, lot_data(**in_15_days), now, settings)
    assert (err.value.field, err.value.article) == ("starts_at", "拍卖规定 第十二条")
    car = engine.create_lot(
        sqlite_session, lot_data(property_type="vehicle", **in_15_days), now, settings
    )
    assert car.status == "announced"


def test_unknown_inquiry_is_refused(sqlite_session, clock, settings, lot_data):
    with pytest.raises(RuleViolation) as err:
        with_inquiry_reference(sqlite_session, lot_data(inquiry_id=987654))
    assert err.value.field == "inquiry_id"


def test_registration_gives_unique_codes_and_records_the_deposit(world):
    codes = {world.register(0), world.register(1)}
    assert codes == {"B0001", "B0002"}
    assert world.register(0) == "B0001"  # registering again returns the same registration
    reg = world.session.scalars(select(Registration)).first()
    assert (reg.deposit, reg.deposit_status) == (70_000 * YUAN, "paid")
    assert reg.payment_reference.startswith("recorded:")


def test_registration_closes_with_bidding(world):
    world.clock.set(world.lot.ends_at)
    with pytest.raises(Conflict):
        world.register(0)
    with pytest.raises(NotFound):
        engine.register_bidder(
            world.session, 999, world.bidders[0].id, world.clock.now(), world.settings
        )


def test_bidding_rules_and_extension(world):
    world.register(0)
    world.register(1)
    with pytest.raises(Conflict, match="竞价于"):
        world.bid(0, 700_000)
    world.start_bidding()
    with pytest.raises(Forbidden):
        world.bid(2, 700_000)  # not registered: no deposit, no bid (第十七条)
    with pytest.raises(RuleViolation) as err:
        world.bid(0, 699_999)
    assert err.value.article == "拍卖规定 第二十条"
    world.bid(0, 700_000)
    with pytest.raises(Conflict, match="出价已被超过"):
        world.bid(1, 704_999)
    world.bid(1, 705_000)
    end = world.lot.ends_at
    world.clock.set(end - timedelta(seconds=301))
    world.bid(0, 710_000)
    world.session.refresh(world.lot)
    assert world.lot.ends_at == end  # not in the last 5 minutes
    world.clock.set(end - timedelta(seconds=10))
    world.bid(1, 715_000)
    world.session.refresh(world.lot)
    assert world.lot.ends_at == world.clock.now() + timedelta(seconds=300)
    assert (world.lot.current_price, world.lot.bid_count) == (715_000 * YUAN, 4)
    world.clock.set(end + timedelta(seconds=1))
    world.bid(0, 720_000)  # still open: the extension counts
    world.clock.set(world.lot.ends_at + timedelta(seconds=300))
    with pytest.raises(Conflict, match="现在不能出价"):
        world.bid(1, 730_000)


def test_priority_holder_matches_and_wins_ties_by_rank(world):
    s, lot, now = world.session, world.lot, world.clock.now()
    engine.add_priority_holder(s, lot.id, world.bidders[1].id, 2, now)
    engine.add_priority_holder(s, lot.id, world.bidders[2].id, 1, now)
    s.commit()
    with pytest.raises(Conflict):
        engine.add_priority_holder(s, lot.id, world.bidders[1].id, 3, now)
    s.rollback()
    assert [world.register(i) for i in range(3)] == ["B0001", "P0002", "P0003"]
    world.start_bidding()
    world.bid(0, 700_000)
    with pytest.raises(Conflict):
        world.bid(0, 700_000)
    world.bid(1, 700_000)  # rank 2 matches an ordinary bid
    world.bid(2, 700_000)  # rank 1 matches rank 2
    with pytest.raises(Conflict):
        world.bid(1, 700_000)  # rank 2 cannot take it back at the same price
    world.close_at_end()
    rnd = s.get(Round, lot.round_id)
    winner = s.get(Registration, rnd.winner_registration_id)
    assert (rnd.outcome, rnd.final_price, winner.bidder_code) == ("sold", 700_000 * YUAN, "P0003")


def test_idempotency_key_returns_the_same_bid(world):
    world.register(0)
    world.start_bidding()
    first = world.bid(0, 700_000, key="k-1")
    again = world.bid(0, 700_000, key="k-1")
    assert again.id == first.id
    assert len(world.session.scalars(select(Bid)).all()) == 1
    with pytest.raises(Conflict, match="Idempotency-Key"):
        world.bid(0, 710_000, key="k-1")


def test_close_sells_to_the_highest_bid_and_refunds_losers(world):
    world.register(0)
    world.register(1)
    world.register(2)
    world.start_bidding()
    world.bid(0, 700_000)
    world.bid(1, 760_000)
    assert engine.close_due_rounds(world.session, world.clock.now(), world.settings) == []
    assert world.close_at_end() == [world.lot.id]
    assert world.close_at_end() == []  # idempotent
    regs = {r.bidder_code: r for r in world.session.scalars(select(Registration))}
    assert regs["B0002"].deposit_status == "applied"
    for code in ("B0001", "B0003"):
        assert regs[code].deposit_status == "refund_due"
        assert regs[code].refund_due_by == world.lot.ends_at + timedelta(hours=24)
    assert world.lot.status == "sold"


def test_failed_round_relists_as_second_auction_then_sale(world):
    """拍卖规定 第二十六条 then the 衔接通知: a 2nd auction cut ≤ 20%, then a 变卖 at its start
    price whose deposit is the whole price; the first bid opens 24 hours of bidding."""
    s, lot, settings = world.session, world.lot, world.settings
    world.register(0)
    world.close_at_end()
    assert lot.status == "failed"
    assert s.scalars(select(Registration)).one().deposit_status == "refund_due"
    now = world.clock.now()
    starts = now + timedelta(days=15)
    terms = engine.RelistTerms(
        start_price=559_999 * YUAN,
        deposit=56_000 * YUAN,
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )
    with pytest.raises(RuleViolation) as err:  # a cut of more than 20%
        engine.relist(s, lot.id, terms, now, settings)
    assert err.value.article == "拍卖规定 第二十六条"
    early = replace(terms, start_price=560_000 * YUAN, starts_at=starts - timedelta(days=1))
    with pytest.raises(RuleViolation, match="15 日前公告"):
        engine.relist(s, lot.id, early, now, settings)
    engine.relist(s, lot.id, replace(terms, start_price=560_000 * YUAN), now, settings)
    s.commit()
    assert (lot.round, lot.status, lot.start_price, lot.increment) == (
        "2",
        "announced",
        560_000 * YUAN,
        5_000 * YUAN,
    )
    with pytest.raises(Conflict):
        engine.relist(s, lot.id, terms, now, settings)  # round 2 is not over
    s.rollback()
    world.close_at_end()
    now = world.clock.now()
    opens = now + timedelta(days=15)
    sale = engine.RelistTerms(start_price=560_000 * YUAN, deposit=560_000 * YUAN, starts_at=opens)
    with pytest.raises(RuleViolation) as err:
        engine.relist(s, lot.id, replace(sale, start_price=500_000 * YUAN), now, settings)
    assert err.value.field == "start_price"
    s.rollback()
    with pytest.raises(RuleViolation) as err:  # 5–20% is not enough: the whole price
        engine.relist(s, lot.id, replace(sale, deposit=56_000 * YUAN), now, settings)
    assert (err.value.field, err.value.article) == ("deposit", law.SALE_NOTICE)
    s.rollback()
    engine.relist(s, lot.id, sale, now, settings)
    s.commit()
    assert (lot.round, lot.status, lot.ends_at) == ("sale", "sale", opens + timedelta(days=60))
    world.register(1)
    world.register(2)
    world.clock.set(opens + timedelta(days=3))
    with pytest.raises(RuleViolation):
        world.bid(1, 559_999)  # below the 变卖 price
    world.bid(1, 560_000)  # the first qualified bid opens 24 hours of bidding
    s.refresh(lot)
    assert (lot.status, lot.ends_at) == ("sale_bidding", world.clock.now() + timedelta(hours=24))
    with pytest.raises(Conflict, match="出价已被超过"):
        world.bid(2, 564_999)  # the increment applies
    world.clock.set(lot.ends_at - timedelta(seconds=60))
    world.bid(2, 565_000)
    s.refresh(lot)
    assert lot.ends_at == world.clock.now() + timedelta(minutes=5)  # the 5-minute extension
    assert world.close_at_end() == [lot.id]
    assert (lot.status, lot.current_price) == ("sold", 565_000 * YUAN)  # the highest bid wins
    results = s.scalars(select(Round).order_by(Round.seq)).all()
    assert [(r.kind, r.outcome) for r in results] == [
        ("1", "failed"),
        ("2", "failed"),
        ("sale", "sold"),
    ]


def test_renege_forfeits_deposit_and_bars_the_buyer(world):
    """拍卖规定 第二十四条: the buyer forfeits the deposit and may not bid again; the lot is
    re-auctioned in the same round at the same start price (no 20% cut)."""
    s, lot = world.session, world.lot
    world.register(0)
    world.start_bidding()
    world.bid(0, 700_000)
    with pytest.raises(Conflict):
        engine.renege(s, lot.id, world.clock.now(), world.settings)
    s.rollback()
    world.close_at_end()
    engine.renege(s, lot.id, world.clock.now(), world.settings)
    s.commit()
    assert lot.status == "reneged"
    assert s.scalars(select(Registration)).one().deposit_status == "forfeited"
    starts = world.clock.now() + timedelta(days=15)
    cut = engine.RelistTerms(560_000 * YUAN, 56_000 * YUAN, starts, starts + timedelta(days=1))
    with pytest.raises(RuleViolation) as err:
        engine.relist(s, lot.id, cut, world.clock.now(), world.settings)
    assert (err.value.field, err.value.article) == ("start_price", "拍卖规定 第二十四条")
    s.rollback()
    terms = engine.RelistTerms(700_000 * YUAN, 70_000 * YUAN, starts, starts + timedelta(days=1))
    engine.relist(s, lot.id, terms, world.clock.now(), world.settings)
    s.commit()
    assert (lot.round, lot.status) == ("1", "announced")  # the same round, not a 2nd or 变卖
    with pytest.raises(Forbidden, match="第二十四条"):
        world.register(0)
    assert world.register(1) == "B0002"


def test_reference_price_from_an_inquiry_and_its_validity(
    sqlite_session, clock, settings, lot_data
):
    now = clock.now()
    row = Inquiry(
        created_at=now,
        valid_until=now + timedelta(days=40),
        reference_price=1_200_000 * YUAN,
        model_version="test",
        report="{}",
    )
    sqlite_session.add(row)
    sqlite_session.flush()
    price = {"start_price": 840_000 * YUAN, "deposit": 84_000 * YUAN}  # 70% of ¥1.2 m
    data = lot_data(inquiry_id=row.id, reference_price=None, reference_method=None, **price)
    lot = engine.create_lot(
        sqlite_session, with_inquiry_reference(sqlite_session, data), now, settings
    )
    assert (lot.reference_price, lot.reference_method) == (1_200_000 * YUAN, "inquiry")
    # 参考价规定 第二十七条: announced within the validity, bidding may start after it ends
    # (within 6 months); announced after it ends, a new reference price is needed.
    late = now + timedelta(days=41)
    later = lot_data(inquiry_id=row.id, starts_at=late, ends_at=late + timedelta(days=1), **price)
    engine.create_lot(sqlite_session, with_inquiry_reference(sqlite_session, later), now, settings)
    expired = now + timedelta(days=40, seconds=1)
    with pytest.raises(RuleViolation) as err:
        engine.create_lot(
            sqlite_session, with_inquiry_reference(sqlite_session, later), expired, settings
        )
    assert (err.value.field, err.value.article) == ("inquiry_id", "参考价规定 第二十七条")
    too_late = now + timedelta(days=40 + 190)
    with pytest.raises(RuleViolation) as err:
        engine.create_lot(
            sqlite_session,
            with_inquiry_reference(
                sqlite_session,
                lot_data(
                    inquiry_id=row.id,
                    starts_at=too_late,
                    ends_at=too_late + timedelta(days=1),
                    **price,
                ),
            ),
            now,
            settings,
        )
    assert (err.value.field, err.value.article) == ("starts_at", "参考价规定 第二十七条")
    with pytest.raises(RuleViolation) as err:  # 70% of the inquiry's price, not of the one given
        engine.create_lot(
            sqlite_session,
            with_inquiry_reference(
                sqlite_session,
                lot_data(inquiry_id=row.id, start_price=839_999 * YUAN, deposit=84_000 * YUAN),
            ),
            now,
            settings,
        )
    assert err.value.article == "拍卖规定 第十条"
