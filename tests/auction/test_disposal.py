"""The disposal after publication, on the engine with a frozen clock, on SQLite and PostgreSQL:
suspend / stop / resume / withdraw, the balance and its deadline, renege accounting, priority
ranks fixed before bidding, the notice's contents, and the audit hash chain."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from app import queries
from auction import audit, engine
from auction.store import Event, Registration, Round
from fapai.crypto import keys
from fapai.errors import Conflict, RuleViolation

YUAN = 100


def sell(world, amount: int = 700_000) -> None:
    """Bidder 0 buys the world's lot at ``amount`` yuan (bidder 1 registered and lost)."""
    world.register(0)
    world.register(1)
    world.start_bidding()
    world.bid(0, amount)
    world.close_at_end()


def test_suspend_stops_bidding_refunds_and_resume_reschedules_art_28(world):
    """拍卖规定 第二十八条: 暂缓 stops bidding at once with the reason published, deposits are
    refunded; the lot resumes within 5 days on a new schedule of at least 24 hours."""
    s, lot, settings = world.session, world.lot, world.settings
    world.register(0)
    world.start_bidding()
    world.bid(0, 700_000)
    with pytest.raises(RuleViolation) as err:
        engine.suspend(s, lot.id, " ", world.clock.now(), settings)
    assert (err.value.field, err.value.article) == ("reason", "拍卖规定 第二十八条")
    s.rollback()
    engine.suspend(s, lot.id, "案外人提出异议", world.clock.now(), settings)
    s.commit()
    assert (lot.status, lot.halt_reason, lot.halt_article) == (
        "suspended",
        "案外人提出异议",
        "拍卖规定 第二十八条",
    )
    assert s.scalars(select(Registration)).one().deposit_status == "refund_due"
    with pytest.raises(Conflict):
        world.bid(0, 705_000)  # bidding stopped at once
    assert engine.close_due_rounds(s, lot.ends_at + timedelta(days=1), settings) == []
    now = world.clock.now()
    with pytest.raises(RuleViolation) as err:  # later than 5 days
        engine.resume(s, lot.id, now + timedelta(days=6), now + timedelta(days=7), now, settings)
    assert err.value.article == "拍卖规定 第二十八条"
    s.rollback()
    engine.resume(s, lot.id, now + timedelta(days=2), now + timedelta(days=3), now, settings)
    s.commit()
    assert (lot.status, lot.round, lot.current_price, lot.bid_count) == (
        "announced",
        "1",
        700_000 * YUAN,
        0,
    )
    assert lot.starts_at == now + timedelta(days=2)
    world.register(0)  # the deposit was refunded: register again
    rounds = s.scalars(select(Round).order_by(Round.seq)).all()
    assert [r.outcome for r in rounds] == ["suspended", None]


def test_stop_then_withdraw_shows_withdrawn_art_28(world):
    """拍卖规定 第二十八条 (中止) and 撤回 when the case ends: a withdrawn lot is final and shows
    as withdrawn in search and results."""
    s, lot, settings = world.session, world.lot, world.settings
    world.register(0)
    engine.suspend(s, lot.id, "被执行人申请破产", world.clock.now(), settings, stop=True)
    s.commit()
    assert lot.status == "stopped"
    engine.withdraw(s, lot.id, "被执行人已履行全部债务", world.clock.now(), settings)
    s.commit()
    assert lot.status == "withdrawn"
    with pytest.raises(Conflict):
        engine.withdraw(s, lot.id, "again", world.clock.now(), settings)
    s.rollback()
    with pytest.raises(Conflict):
        engine.resume(
            s,
            lot.id,
            world.clock.now(),
            world.clock.now() + timedelta(days=1),
            world.clock.now(),
            settings,
        )
    s.rollback()
    found = queries.search_lots(s, queries.LotQuery(status="withdrawn"), world.clock.now())
    assert [i.id for i in found.items] == [lot.id]


def test_a_sold_lot_cannot_be_withdrawn_or_suspended(world):
    s, lot = world.session, world.lot
    sell(world)
    for call in (
        lambda: engine.withdraw(s, lot.id, "债务已清偿", world.clock.now(), world.settings),
        lambda: engine.suspend(s, lot.id, "异议", world.clock.now(), world.settings),
    ):
        with pytest.raises(Conflict):
            call()
        s.rollback()


def test_balance_payment_confirms_the_sale_art_25(world):
    """拍卖规定 第二十五条: the balance within the notice's period; the deposit counts."""
    s, lot, settings = world.session, world.lot, world.settings
    sell(world, 710_000)
    assert (lot.status, lot.balance_due_at) == ("sold", lot.ends_at + timedelta(days=10))
    owed = (710_000 - 70_000) * YUAN
    with pytest.raises(RuleViolation) as err:
        engine.record_payment(s, lot.id, owed + 1, world.clock.now(), settings)
    assert (err.value.field, err.value.article) == ("amount", "拍卖规定 第二十五条")
    s.rollback()
    engine.record_payment(s, lot.id, 40_000 * YUAN, world.clock.now(), settings)
    s.commit()
    assert queries.payment_view(s, lot.id).outstanding == 600_000
    engine.record_payment(s, lot.id, 600_000 * YUAN, world.clock.now(), settings)
    s.commit()
    assert lot.status == "confirmed" and lot.balance_due_at is None
    # Paid: the closing loop leaves it alone, however late.
    assert engine.close_due_rounds(s, world.clock.now() + timedelta(days=99), settings) == []


def test_unpaid_balance_becomes_a_renege_at_the_deadline_art_24_25(world):
    """拍卖规定 第二十四条、第二十五条: unpaid at the deadline, the closing loop records the
    renege itself, at the deadline's time (so a late or restarted loop gives the same result)."""
    s, lot, settings = world.session, world.lot, world.settings
    sell(world)
    due = lot.balance_due_at
    assert engine.close_due_rounds(s, due - timedelta(seconds=1), settings) == []
    with pytest.raises(Conflict):
        engine.record_payment(s, lot.id, 1, due + timedelta(seconds=1), settings)
    s.rollback()
    assert engine.close_due_rounds(s, due + timedelta(days=3), settings) == [lot.id]
    s.commit()
    rnd = s.get(Round, lot.round_id)
    assert (lot.status, rnd.outcome, rnd.reneged_at, rnd.forfeited) == (
        "reneged",
        "reneged",
        due,
        70_000 * YUAN,
    )
    event = s.scalars(select(Event).where(Event.kind == "reneged")).one()
    assert (event.actor_role, event.at) == ("system", due)


def test_renege_reauction_applies_the_forfeit_costs_then_shortfall_art_24(world):
    """拍卖规定 第二十四条: the forfeited deposit pays the costs, then the re-auction's shortfall,
    the rest goes to the debt; recorded on the reneged round and in the trail."""
    s, lot, settings = world.session, world.lot, world.settings
    sell(world, 720_000)
    engine.renege(s, lot.id, world.clock.now(), settings, costs_fen=5_000 * YUAN)
    s.commit()
    starts = world.clock.now() + timedelta(days=15)
    terms = engine.RelistTerms(700_000 * YUAN, 70_000 * YUAN, starts, starts + timedelta(days=1))
    engine.relist(s, lot.id, terms, world.clock.now(), settings)
    s.commit()
    world.register(1)
    world.clock.set(starts)
    world.bid(1, 700_000)
    world.close_at_end()
    reneged = s.scalars(select(Round).where(Round.outcome == "reneged")).one()
    assert json.loads(reneged.forfeit_use) == {
        "costs": 5_000 * YUAN,
        "shortfall": 20_000 * YUAN,
        "debt": 45_000 * YUAN,
    }


def test_priority_ranks_are_fixed_before_bidding_art_19(world):
    """拍卖规定 第十九条: ranks are confirmed before bidding starts; a change after is refused."""
    s, lot = world.session, world.lot
    engine.add_priority_holder(s, lot.id, world.bidders[0].id, 1, world.clock.now())
    s.commit()
    world.start_bidding()
    with pytest.raises(RuleViolation) as err:
        engine.add_priority_holder(s, lot.id, world.bidders[1].id, 2, world.clock.now())
    assert (err.value.field, err.value.article) == ("rank", "拍卖规定 第十九条")


@pytest.mark.parametrize("missing", ["occupancy", "taxes_borne_by", "defects"])
def test_real_estate_notice_must_state_occupancy_taxes_defects_art_13_14_30(
    world, lot_data, missing
):
    """拍卖规定 第十三条、第十四条、第三十条: the 422 names the missing field."""
    with pytest.raises(RuleViolation) as err:
        engine.create_lot(
            world.session, lot_data(**{missing: None}), world.clock.now(), world.settings
        )
    assert err.value.field == missing


def test_confirmation_names_the_buyer_only_after_the_sale_art_18_22(world):
    """拍卖规定 第十八条: identities secret before the end; 第二十二条: the confirmation in the
    buyer's real name once sold (ID number and phone masked)."""
    s, lot = world.session, world.lot
    world.register(0)
    world.start_bidding()
    world.bid(0, 700_000)
    with pytest.raises(Conflict):
        queries.confirmation(s, lot.id, keys(world.settings))
    world.close_at_end()
    doc = queries.confirmation(s, lot.id, keys(world.settings))
    assert (doc.buyer_name, doc.bidder_code, doc.final_price, doc.article) == (
        "竞买人0",
        "B0001",
        700_000,
        "拍卖规定 第二十二条",
    )


def test_audit_chain_records_every_change_and_names_the_first_tampered_event(world):
    """The trail: each state change with time, actor role and article; public events name
    bidders by code only; the hash chain catches an altered, removed or truncated event."""
    s, lot = world.session, world.lot
    sell(world)
    engine.record_payment(s, lot.id, 630_000 * YUAN, world.clock.now(), world.settings)
    s.commit()
    events = queries.list_events(s, lot.id)
    assert [e.kind for e in events] == [
        "published",
        "bid",
        "sold",
        "confirmation",
        "payment",
        "confirmed",
    ]
    assert all(e.article for e in events)
    assert "竞买人" not in json.dumps([e.detail for e in events], ensure_ascii=False)
    assert events[-1].hash == lot.chain_head and events[1].prev_hash == events[0].hash
    assert audit.verify(s, lot.id) is None

    s.execute(
        update(Event).where(Event.lot_id == lot.id, Event.seq == 2).values(detail='{"amount":1}')
    )
    s.commit()
    finding = audit.verify(s, lot.id)
    assert (finding.seq, finding.problem) == (2, "altered")
    assert "第 2 个事件内容被改动" in finding.describe()
    s.rollback()

    s.execute(delete(Event).where(Event.lot_id == lot.id, Event.seq == 2))
    s.commit()
    assert (audit.verify(s, lot.id).seq, audit.verify(s, lot.id).problem) == (3, "removed")
    s.execute(delete(Event).where(Event.lot_id == lot.id, Event.seq >= 3))
    s.commit()
    assert audit.verify(s, lot.id).problem == "head"  # the lot's head names what was cut


def test_applicant_creditor_bids_without_a_deposit_up_to_its_claim_art_17(world):
    """拍卖规定 第十七条: the applicant creditor bids without a deposit; where its claim is
    smaller than the deposit it pays the difference. Named before bidding starts."""
    s, lot, now = world.session, world.lot, world.clock.now()
    with pytest.raises(RuleViolation) as err:
        engine.set_applicant_creditor(s, lot.id, world.bidders[0].id, 0, now)
    assert (err.value.field, err.value.article) == ("claim", "拍卖规定 第十七条")
    s.rollback()
    engine.set_applicant_creditor(s, lot.id, world.bidders[0].id, 50_000 * YUAN, now)
    s.commit()
    world.register(0)
    world.register(1)
    regs = {r.user_id: r for r in s.scalars(select(Registration))}
    assert regs[world.bidders[0].id].deposit == 20_000 * YUAN  # ¥70,000 − its ¥50,000 claim
    assert regs[world.bidders[1].id].deposit == 70_000 * YUAN
    engine.set_applicant_creditor(s, lot.id, world.bidders[2].id, 1_000_000 * YUAN, now)
    s.commit()
    world.register(2)
    reg = s.scalars(select(Registration).where(Registration.user_id == world.bidders[2].id)).one()
    assert (reg.deposit, reg.deposit_status, reg.bidder_code) == (0, "paid", "B0003")
    world.start_bidding()
    with pytest.raises(RuleViolation):
        engine.set_applicant_creditor(s, lot.id, world.bidders[1].id, 1, world.clock.now())
