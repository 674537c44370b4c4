"""State transitions of a lot and its rounds. No HTTP, no SQL strings, no clock of its own.

Every function takes the session, the server's receipt time ``now`` and the settings; it
flushes but never commits: the caller's transaction (``fapai.db.session_scope``) decides.
Writers that must serialise per lot (:func:`place_bid`, :func:`register_bidder`, closing) lock
the lot row first: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the caller's session comes
from ``fapai.db.writer_engine`` so the transaction holds the write lock from BEGIN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auction import audit
from auction.payments import PaymentAdapter, PaymentDeclined, payment_adapter
from auction.store import (
    ANNOUNCED,
    CONFIRMED,
    DEPOSIT_APPLIED,
    DEPOSIT_FORFEITED,
    DEPOSIT_PAID,
    DEPOSIT_PENDING,
    DEPOSIT_REFUND_DUE,
    FAILED,
    HALTED_STATUSES,
    OPEN_STATUSES,
    RENEGED,
    ROUND_ORDER,
    SALE,
    SALE_BIDDING,
    SOLD,
    STOPPED,
    SUSPENDED,
    WITHDRAWN,
    Bid,
    Case,
    IdempotencyKey,
    Lot,
    PriorityHolder,
    Registration,
    Round,
    User,
)
from fapai import law
from fapai.errors import Conflict, Forbidden, NotFound, RuleViolation
from fapai.regions import normalize_city, normalize_district
from fapai.settings import Settings


@dataclass(frozen=True)
class LotData:
    """What a court publishes; money in fen. The reference price with its method, or an
    ``inquiry_id`` with that inquiry's price and ``reference_valid_until`` filled in."""

    case_number: str
    court: str
    title: str
    property_type: str
    city: str
    start_price: int
    deposit: int
    increment: int
    starts_at: datetime
    ends_at: datetime
    reference_price: int | None = None
    reference_method: str | None = None
    inquiry_id: int | None = None
    reference_valid_until: datetime | None = None
    district: str | None = None
    address: str | None = None
    area_m2: float | None = None
    description: str | None = None
    created_by: int | None = None
    court_id: int | None = None
    # The notice's contents (拍卖规定 第十三条、第十四条、第三十条); see law.NOTICE_FIELDS.
    defects: str | None = None
    occupancy: str | None = None
    encumbrances: str | None = None
    taxes_borne_by: str | None = None
    viewing: str | None = None
    purchase_restrictions: str | None = None
    special_conditions: str | None = None

    def notice(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in law.NOTICE_FIELDS}


assert {f.name for f in fields(LotData)} >= set(law.NOTICE_FIELDS)


@dataclass(frozen=True)
class RelistTerms:
    """Terms of the next round; money in fen. ``ends_at`` may be omitted for a 变卖 (it is
    the sale period after ``starts_at``); ``increment`` defaults to the previous round's."""

    start_price: int
    deposit: int
    starts_at: datetime
    ends_at: datetime | None = None
    increment: int | None = None


def _lot(session: Session, lot_id: int, *, lock: bool = False) -> Lot:
    stmt = select(Lot).where(Lot.id == lot_id).execution_options(populate_existing=True)
    lot = session.scalars(stmt.with_for_update() if lock else stmt).first()
    if lot is None:
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    return lot


def court_lot(session: Session, lot_id: int, court_id: int | None) -> Lot:
    """The lot if it belongs to the court ``court_id``; NotFound otherwise, exactly as for a
    lot that does not exist, so a court learns nothing of other courts' lots."""
    lot = session.scalars(select(Lot).where(Lot.id == lot_id, Lot.court_id == court_id)).first()
    if lot is None or court_id is None:
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    return lot


def _current_round(session: Session, lot: Lot) -> Round:
    rnd = session.get(Round, lot.round_id)
    assert rnd is not None, "a lot always has its current round"
    return rnd


def _reference(data: LotData) -> tuple[int, str, datetime | None]:
    """(reference price in fen, method, valid until) as the court gives them. A lot published
    from an inquiry carries the inquiry's price and validity (the app looks them up)."""
    if data.reference_price is None or data.reference_price <= 0:
        raise RuleViolation(
            "reference_price",
            "须给出大于零的参考价（或询价编号 inquiry_id）",
            law.REFERENCE_RULES,
        )
    method = "inquiry" if data.inquiry_id is not None else data.reference_method
    if method not in law.REFERENCE_METHODS:
        raise RuleViolation(
            "reference_method",
            f"参考价确定方式须为 {'、'.join(law.REFERENCE_METHODS)} 之一",
            "参考价规定 第二条",
        )
    return data.reference_price, method, data.reference_valid_until


def _place(data: LotData) -> tuple[str, str | None]:
    """Canonical (city, district) when the gazetteer knows them, else as given."""
    city = normalize_city(data.city) or data.city.strip()
    if data.district:
        pair = normalize_district(city, data.district)
        return pair if pair else (city, data.district.strip())
    return city, None


def _case(session: Session, case_number: str, court: str) -> Case:
    case = session.scalars(
        select(Case).where(Case.case_number == case_number, Case.court == court)
    ).first()
    if case is None:
        case = Case(case_number=case_number, court=court)
        session.add(case)
        session.flush()
    return case


def _round_state(
    kind: str, terms: RelistTerms, ends_at: datetime, increment: int, now: datetime
) -> dict[str, object]:
    """The lot's columns that describe a freshly opened round."""
    return {
        "round": kind,
        "status": SALE if kind == "sale" else ANNOUNCED,
        "start_price": terms.start_price,
        "deposit": terms.deposit,
        "increment": increment,
        "published_at": now,
        "starts_at": terms.starts_at,
        "ends_at": ends_at,
        "current_price": terms.start_price,
        "bid_count": 0,
        "leading_bid_id": None,
        "balance_due_at": None,
        "halt_reason": None,
        "halt_article": None,
    }


def _open_round(
    session: Session,
    lot: Lot,
    seq: int,
    kind: str,
    terms: RelistTerms,
    ends_at: datetime,
    increment: int,
    now: datetime,
) -> None:
    for column, value in _round_state(kind, terms, ends_at, increment, now).items():
        setattr(lot, column, value)
    rnd = Round(
        lot_id=lot.id,
        seq=seq,
        kind=kind,
        start_price=terms.start_price,
        deposit=terms.deposit,
        increment=increment,
        published_at=now,
        starts_at=terms.starts_at,
        scheduled_end=ends_at,
        bid_count=0,
        balance_paid=0,
    )
    session.add(rnd)
    session.flush()
    lot.round_id = rnd.id


def _round_terms(lot: Lot) -> dict[str, object]:
    """What an event says about the round just opened (money in fen, times ISO)."""
    return {
        "round": lot.round,
        "start_price": lot.start_price,
        "deposit": lot.deposit,
        "increment": lot.increment,
        "starts_at": lot.starts_at.isoformat(),
        "ends_at": lot.ends_at.isoformat(),
    }


def create_lot(session: Session, data: LotData, now: datetime, settings: Settings) -> Lot:
    """Publish a lot for its first auction, checking every rule of publication."""
    if data.property_type not in law.PROPERTY_TYPES:
        raise RuleViolation("property_type", f"财产类型须为 {'、'.join(law.PROPERTY_TYPES)} 之一")
    reference, method, valid_until = _reference(data)
    law.check_start_price(data.start_price, reference, settings)
    law.check_deposit(data.deposit, data.start_price, settings)
    law.check_increment(data.increment)
    if valid_until is not None:
        law.check_reference_valid(valid_until, now, data.starts_at, settings, first=True)
    law.check_bidding_window(data.starts_at, data.ends_at, settings)
    law.check_announcement(now, data.starts_at, data.property_type, settings)
    notice = {k: (v.strip() if v else None) for k, v in data.notice().items()}
    law.check_notice(data.property_type, notice)
    city, district = _place(data)
    case = _case(session, data.case_number.strip(), data.court.strip())
    terms = RelistTerms(data.start_price, data.deposit, data.starts_at, data.ends_at)
    lot = Lot(
        case_id=case.id,
        title=data.title.strip(),
        property_type=data.property_type,
        city=city,
        district=district,
        address=data.address,
        area_m2=data.area_m2,
        description=data.description,
        reference_price=reference,
        reference_method=method,
        reference_valid_until=valid_until,
        inquiry_id=data.inquiry_id,
        court_id=data.court_id,
        created_by=data.created_by,
        created_at=now,
        registration_seq=0,
        event_count=0,
        **notice,
        **_round_state("1", terms, data.ends_at, data.increment, now),
    )
    session.add(lot)
    session.flush()
    _open_round(session, lot, 1, "1", terms, data.ends_at, data.increment, now)
    audit.record(
        session,
        lot,
        "published",
        now,
        "court",
        law.ART_12,
        reference_price=reference,
        reference_method=method,
        **_round_terms(lot),
    )
    return lot


def _bidder(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != "bidder":
        raise NotFound(f"没有编号为 {user_id} 的竞买人", "bidder_id")
    return user


def _check_open(lot: Lot, now: datetime, action: str) -> None:
    if lot.status not in OPEN_STATUSES or now >= lot.ends_at:
        raise Conflict(f"标的 {lot.id} 现在不能{action}（状态：{lot.status}）", "lot_id")


def add_priority_holder(
    session: Session, lot_id: int, user_id: int, rank: int, now: datetime
) -> PriorityHolder:
    """拍卖规定 第十九条: the court confirms a priority purchaser with a rank (1 = first),
    before bidding starts (the ranks are fixed then, 第二十七条)."""
    if rank < 1:
        raise RuleViolation("rank", "优先购买权顺序须为 1 或以上（1 为最先）", law.ART_21)
    lot = _lot(session, lot_id, lock=True)
    _bidder(session, user_id)
    _check_open(lot, now, "确认优先购买权人")
    law.check_priority_change(now, lot.starts_at)
    exists = session.scalars(
        select(PriorityHolder).where(
            PriorityHolder.lot_id == lot_id, PriorityHolder.user_id == user_id
        )
    ).first()
    if exists is not None:
        raise Conflict(f"竞买人 {user_id} 已是标的 {lot_id} 的优先购买权人", "bidder_id")
    holder = PriorityHolder(lot_id=lot_id, user_id=user_id, rank=rank, added_at=now)
    session.add(holder)
    # A holder who registered before being confirmed gets the rank on that registration too.
    session.execute(
        update(Registration)
        .where(Registration.round_id == lot.round_id, Registration.user_id == user_id)
        .values(priority_rank=rank)
    )
    audit.record(session, lot, "priority_holder", now, "court", law.ART_19, rank=rank)
    session.flush()
    return holder


def set_applicant_creditor(
    session: Session, lot_id: int, user_id: int, claim_fen: int, now: datetime
) -> Lot:
    """拍卖规定 第十七条: the court names the applicant creditor (申请执行人) of the lot and what
    the debtor owes it; the creditor may then bid without a deposit, paying the difference where
    its claim is smaller than the deposit. Fixed before bidding starts, like priority ranks."""
    if claim_fen <= 0:
        raise RuleViolation("claim", "申请执行人的债权数额须大于零", law.ART_17)
    lot = _lot(session, lot_id, lock=True)
    _bidder(session, user_id)
    _check_open(lot, now, "确认申请执行人")
    if now >= lot.starts_at:
        raise RuleViolation("claim", "申请执行人须在竞价开始前确认", law.ART_17)
    lot.creditor_id, lot.creditor_claim = user_id, claim_fen
    audit.record(session, lot, "creditor", now, "court", law.ART_17, claim=claim_fen)
    session.flush()
    return lot


def register_bidder(
    session: Session,
    lot_id: int,
    user_id: int,
    now: datetime,
    settings: Settings,
    payments: PaymentAdapter | None = None,
    *,
    accepts_conditions: bool = False,
) -> Registration:
    """Register a bidder for the current round with a deposit request from the payment adapter
    (``FAPAI_PAYMENT_ADAPTER``, 第十七条; for a 变卖 the whole 变卖 price, 衔接通知). A deposit the
    adapter confirms at once admits the bidder with a bidder code unique within the lot
    (第十八条); otherwise the registration is ``pending`` (no code, no bids) until
    :func:`confirm_deposit`. Registering twice returns the same registration. A buyer who
    reneged on this lot may not register again (第二十四条). A lot with special conditions or
    purchase restrictions needs ``accepts_conditions`` (第十四条)."""
    lot = _lot(session, lot_id, lock=True)
    _bidder(session, user_id)
    mine = session.scalars(
        select(Registration).where(Registration.lot_id == lot_id, Registration.user_id == user_id)
    ).all()
    if any(r.deposit_status == DEPOSIT_FORFEITED for r in mine):
        raise Forbidden(
            f"悔拍的买受人不得参加标的 {lot_id} 的重新拍卖（{law.ART_24}）",
            "lot_id",
        )
    for reg in mine:
        if reg.round_id == lot.round_id:
            return reg
    _check_open(lot, now, "报名")
    law.check_conditions_accepted(
        lot.special_conditions, lot.purchase_restrictions, accepts_conditions
    )
    rank = session.scalars(
        select(PriorityHolder.rank).where(
            PriorityHolder.lot_id == lot_id, PriorityHolder.user_id == user_id
        )
    ).first()
    # 第十七条: the applicant creditor pays only what its claim does not cover.
    deposit = lot.deposit
    if lot.creditor_id == user_id and lot.creditor_claim is not None:
        deposit = law.creditor_deposit(lot.deposit, lot.creditor_claim)
    reference, confirmed = None, deposit == 0
    if deposit > 0:
        try:
            request = (payments or payment_adapter(settings)).collect_deposit(
                lot_id, user_id, deposit, now
            )
        except PaymentDeclined as exc:
            raise Conflict(f"保证金未能交纳：{exc}", "deposit") from exc
        reference, confirmed = request.reference, request.confirmed
    reg = Registration(
        lot_id=lot_id,
        round_id=lot.round_id,
        user_id=user_id,
        priority_rank=rank,
        deposit=deposit,
        deposit_status=DEPOSIT_PENDING,
        payment_reference=reference,
        registered_at=now,
    )
    if confirmed:
        _admit(lot, reg, now)
    session.add(reg)
    session.flush()
    return reg


def _admit(lot: Lot, reg: Registration, now: datetime) -> None:
    """The deposit is in: the registration qualifies, with its bidder code (第十八条;
    第十九条: priority holders get priority codes P…, others bidder codes B…)."""
    lot.registration_seq += 1
    reg.bidder_code = f"{'P' if reg.priority_rank is not None else 'B'}{lot.registration_seq:04d}"
    reg.deposit_status = DEPOSIT_PAID
    reg.paid_at = now


def confirm_deposit(
    session: Session, registration_id: int, court_id: int | None, now: datetime, settings: Settings
) -> Registration:
    """The court confirms that a pending deposit arrived in its account. While the round is
    open the bidder is admitted (bidder code, may bid); a deposit that arrives after the round
    closed is due for refund within the 第二十三条 period. Confirming twice is harmless.
    Another court's registration is NotFound, like one that does not exist."""
    reg = session.get(Registration, registration_id, populate_existing=True)
    if reg is None:
        raise NotFound(f"没有编号为 {registration_id} 的报名", "registration_id")
    court_lot(session, reg.lot_id, court_id)
    lot = _lot(session, reg.lot_id, lock=True)
    reg = session.get(Registration, registration_id, populate_existing=True)
    assert reg is not None
    if reg.deposit_status != DEPOSIT_PENDING:
        return reg
    if reg.round_id == lot.round_id and lot.status in OPEN_STATUSES and now < lot.ends_at:
        _admit(lot, reg, now)
    else:
        reg.deposit_status = DEPOSIT_REFUND_DUE
        reg.paid_at = now
        reg.refund_due_by = law.refund_due_by(now, settings)
    session.flush()
    return reg


def _replayed_bid(
    session: Session, lot_id: int, user_id: int, key: str, amount_fen: int
) -> Bid | None:
    row = session.scalars(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).first()
    if row is None:
        return None
    if row.lot_id != lot_id or row.amount != amount_fen:
        raise Conflict("该 Idempotency-Key 已用于另一次出价，请换一个新的", "Idempotency-Key")
    return session.get(Bid, row.bid_id)


def _leader(session: Session, lot: Lot) -> law.Leader | None:
    if lot.leading_bid_id is None:
        return None
    amount, rank = session.execute(
        select(Bid.amount, Registration.priority_rank)
        .join(Registration, Registration.id == Bid.registration_id)
        .where(Bid.id == lot.leading_bid_id)
    ).one()
    return law.Leader(amount, rank)


def place_bid(
    session: Session,
    lot_id: int,
    user_id: int,
    amount_fen: int,
    now: datetime,
    settings: Settings,
    idempotency_key: str | None = None,
) -> Bid:
    """Accept a bid or refuse it, with the lot row locked for the whole transaction.

    拍卖规定 第二十条: first bid ≥ start price, then ≥ current price + increment; server receipt
    time (``now``) counts; a bid in the last ``extension_seconds`` moves the end. 第十九、二十一条:
    a priority holder may match the current price when that outranks the leader. 变卖 (衔接通知):
    the first bid (at least the 变卖 price) opens a 24-hour bidding period under the same rules.
    A bid that a concurrent bid made too low gets Conflict ("outbid"). A retry with the same
    ``idempotency_key`` returns the bid already stored.
    """
    lot = _lot(session, lot_id, lock=True)
    if idempotency_key is not None:
        replay = _replayed_bid(session, lot_id, user_id, idempotency_key, amount_fen)
        if replay is not None:
            return replay
    reg = session.scalars(
        select(Registration).where(
            Registration.round_id == lot.round_id, Registration.user_id == user_id
        )
    ).first()
    if reg is None:
        raise Forbidden(f"须先报名并交纳保证金，方可对标的 {lot_id} 出价（{law.ART_17}）", "lot_id")
    if lot.status in OPEN_STATUSES and now < lot.starts_at:
        raise Conflict(
            f"标的 {lot_id} 的竞价于 {lot.starts_at:%Y-%m-%d %H:%M} (UTC) 开始", "lot_id"
        )
    _check_open(lot, now, "出价")
    if reg.deposit_status == DEPOSIT_PENDING:
        raise Forbidden(
            f"法院尚未确认保证金到账，暂不能对标的 {lot_id} 出价（{law.ART_17}）", "lot_id"
        )
    leader = _leader(session, lot)
    if leader is None:
        law.check_first_bid(amount_fen, lot.start_price)
    if not law.bid_takes_lead(
        amount_fen, lot.start_price, lot.increment, leader, reg.priority_rank
    ):
        minimum = law.minimum_bid(lot.start_price, lot.increment, leader)
        raise Conflict(
            f"出价已被超过：当前价 {law.format_yuan(lot.current_price)}，"
            f"出价须不低于 {law.format_yuan(minimum)}（{law.ART_20}）",
            "amount",
        )
    bid = Bid(
        lot_id=lot_id,
        round_id=lot.round_id,
        registration_id=reg.id,
        amount=amount_fen,
        placed_at=now,
    )
    session.add(bid)
    session.flush()
    if idempotency_key is not None:
        session.add(
            IdempotencyKey(
                user_id=user_id,
                key=idempotency_key,
                lot_id=lot_id,
                amount=amount_fen,
                bid_id=bid.id,
                created_at=now,
            )
        )
    lot.leading_bid_id = bid.id
    lot.current_price = amount_fen
    lot.bid_count += 1
    rnd = _current_round(session, lot)
    rnd.bid_count += 1
    audit.record(
        session, lot, "bid", now, "bidder", law.ART_20, code=reg.bidder_code, amount=amount_fen
    )
    if lot.status == SALE:
        # 衔接通知: the first qualified bid opens the 24-hour bidding period.
        lot.status = SALE_BIDDING
        lot.ends_at = law.sale_bidding_end(now, settings)
        audit.record(
            session,
            lot,
            "sale_bidding",
            now,
            "system",
            law.SALE_NOTICE,
            ends_at=lot.ends_at.isoformat(),
        )
    else:
        end = law.extended_end(lot.ends_at, now, settings)
        if end != lot.ends_at:
            lot.ends_at = end
            audit.record(
                session, lot, "extended", now, "system", law.ART_20, ends_at=end.isoformat()
            )
    session.flush()
    return bid


def _refund_deposits(session: Session, round_id: int, now: datetime, settings: Settings) -> None:
    """拍卖规定 第二十三条 (and 第二十八条 for a halted round): deposits still held are due for
    refund within 24 hours."""
    session.execute(
        update(Registration)
        .where(Registration.round_id == round_id, Registration.deposit_status == DEPOSIT_PAID)
        .values(deposit_status=DEPOSIT_REFUND_DUE, refund_due_by=law.refund_due_by(now, settings))
    )


def _close(session: Session, lot: Lot, rnd: Round, now: datetime, settings: Settings) -> None:
    """Close the current round: sold to the leading bid (the highest valid one, ties broken
    by 第二十一条 when it was accepted) or failed; losers' deposits due for refund (第二十三条).
    A sale generates the confirmation (第二十二条) and starts the balance deadline (第二十五条);
    a re-auction that sells settles the reneger's forfeited deposit (第二十四条)."""
    rnd.closed_at = now
    if lot.leading_bid_id is None:
        rnd.outcome = FAILED
        lot.status = FAILED
        audit.record(
            session,
            lot,
            "failed",
            now,
            "system",
            law.SALE_NOTICE if lot.round == "sale" else law.ART_26,
        )
        _refund_deposits(session, rnd.id, now, settings)
        return
    bid = session.get(Bid, lot.leading_bid_id)
    assert bid is not None
    winner = session.get(Registration, bid.registration_id)
    assert winner is not None
    rnd.outcome, rnd.final_price, rnd.winner_registration_id = SOLD, bid.amount, winner.id
    due = law.balance_due_by(now, settings)
    rnd.balance_due_at = lot.balance_due_at = due
    lot.status = SOLD
    winner.deposit_status = DEPOSIT_APPLIED
    _refund_deposits(session, rnd.id, now, settings)
    audit.record(
        session, lot, "sold", now, "system", law.ART_20, code=winner.bidder_code, price=bid.amount
    )
    audit.record(
        session,
        lot,
        "confirmation",
        now,
        "system",
        law.ART_22,
        code=winner.bidder_code,
        price=bid.amount,
        balance_due_at=due.isoformat(),
    )
    _settle_forfeit(session, lot, rnd, now)


def _settle_forfeit(session: Session, lot: Lot, rnd: Round, now: datetime) -> None:
    """第二十四条: the last reneged round's forfeited deposit pays its costs, then the shortfall
    of this re-auction's price below the reneged price, then the debt."""
    reneged = session.scalars(
        select(Round)
        .where(Round.lot_id == lot.id, Round.outcome == RENEGED, Round.forfeit_use.is_(None))
        .order_by(Round.seq.desc())
    ).first()
    if reneged is None or reneged.forfeited is None:
        return
    shortfall = max((reneged.final_price or 0) - (rnd.final_price or 0), 0)
    use = law.apply_forfeit(reneged.forfeited, reneged.renege_costs or 0, shortfall)
    reneged.forfeit_use = json.dumps(use.as_dict())
    audit.record(
        session,
        lot,
        "forfeit_applied",
        now,
        "system",
        law.ART_24,
        forfeited=reneged.forfeited,
        **use.as_dict(),
    )


def _renege(session: Session, lot: Lot, now: datetime, actor: str, costs_fen: int = 0) -> None:
    rnd = _current_round(session, lot)
    winner = session.get(Registration, rnd.winner_registration_id)
    assert winner is not None
    rnd.outcome, rnd.reneged_at = RENEGED, now
    rnd.forfeited, rnd.renege_costs = winner.deposit, costs_fen
    winner.deposit_status = DEPOSIT_FORFEITED
    lot.status = RENEGED
    lot.balance_due_at = None
    audit.record(
        session,
        lot,
        "reneged",
        now,
        actor,
        law.ART_24,
        code=winner.bidder_code,
        forfeited=winner.deposit,
        costs=costs_fen,
    )


def close_due_rounds(session: Session, now: datetime, settings: Settings) -> list[int]:
    """Close every open round whose end (after extensions) has passed, and record as a renege
    every sale whose balance deadline passed unpaid (第二十四条、第二十五条); return the lot ids.

    Idempotent: a closed round is no longer open, a reneged sale no longer due. A restarted
    server catches up on everything that fell due while it was down, with the times it fell
    due. Several server processes may run it at once: on PostgreSQL rows another closer holds
    are skipped (``SKIP LOCKED``).
    """
    lots = session.scalars(
        select(Lot)
        .where(Lot.status.in_(OPEN_STATUSES), Lot.ends_at <= now)
        .order_by(Lot.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for lot in lots:
        _close(session, lot, _current_round(session, lot), lot.ends_at, settings)
    unpaid = session.scalars(
        select(Lot)
        .where(Lot.status == SOLD, Lot.balance_due_at <= now)
        .order_by(Lot.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for lot in unpaid:
        assert lot.balance_due_at is not None
        _renege(session, lot, lot.balance_due_at, "system")
    session.flush()
    return [lot.id for lot in lots] + [lot.id for lot in unpaid]


def relist(
    session: Session, lot_id: int, terms: RelistTerms, now: datetime, settings: Settings
) -> Lot:
    """Open the next round of a failed or reneged lot (same lot id).

    After a failure (流拍): the 1st auction is followed by a 2nd, start price cut at most 20%,
    announced 7/15 days before and held within 30 days (拍卖规定 第二十六条); the 2nd by a 变卖
    at the 2nd auction's start price for the 变卖期, the deposit being the whole price, announced
    within 15 days of the failure and 7/15 days before the 变卖期 (衔接通知). After a renege
    (悔拍): the same round again (重新拍卖, 第二十四条) at the same start price, announced as that
    round was. Every round falls within the reference price's validity (参考价规定 第二十七条).
    """
    lot = _lot(session, lot_id, lock=True)
    if lot.status not in (FAILED, RENEGED):
        raise Conflict(
            f"只有流拍或悔拍的标的可以再次拍卖；标的 {lot_id} 的状态为 {lot.status}",
            "lot_id",
        )
    previous = _current_round(session, lot)
    reneged = lot.status == RENEGED
    position = ROUND_ORDER.index(lot.round)
    if not reneged and position + 1 == len(ROUND_ORDER):
        raise Conflict(f"标的 {lot_id} 已经变卖，之后没有下一轮", "lot_id")
    kind = lot.round if reneged else ROUND_ORDER[position + 1]
    increment = terms.increment if terms.increment is not None else previous.increment
    law.check_increment(increment)
    if terms.starts_at < now:
        raise RuleViolation("starts_at", "开始时间不得早于现在", law.ART_20)
    if reneged:
        law.check_renege_reauction_price(terms.start_price, previous.start_price)
    if kind == "sale":
        ends_at = terms.ends_at or terms.starts_at + timedelta(days=settings.sale_period_days)
        # 衔接通知: the 变卖 price is the 2nd auction's start price (a re-sale after a renege
        # keeps the 变卖 price, which is that same price).
        law.check_sale_terms(
            terms.start_price, previous.start_price, terms.starts_at, ends_at, settings
        )
        law.check_sale_deposit(terms.deposit, terms.start_price)
        law.check_sale_announcement(now, terms.starts_at, lot.property_type, settings)
        if not reneged and previous.closed_at is not None:
            law.check_sale_announced_within(previous.closed_at, now, settings)
    else:
        if terms.ends_at is None:
            raise RuleViolation("ends_at", "拍卖轮次须给出竞价结束时间", law.ART_20)
        ends_at = terms.ends_at
        law.check_deposit(terms.deposit, terms.start_price, settings)
        law.check_bidding_window(terms.starts_at, ends_at, settings)
        if not reneged:
            law.check_reauction_start_price(terms.start_price, previous.start_price, settings)
        # 第二十六条's 7/15 days for any auction after the first (a 重新拍卖 after a renege too:
        # the law sets no period of its own for it).
        law.check_announcement(now, terms.starts_at, lot.property_type, settings, reauction=True)
        if not reneged and previous.closed_at is not None:
            law.check_reauction_within(previous.closed_at, now, settings)
    if lot.reference_valid_until is not None:
        law.check_reference_valid(
            lot.reference_valid_until, now, terms.starts_at, settings, first=False
        )
    _open_round(session, lot, previous.seq + 1, kind, terms, ends_at, increment, now)
    if reneged:
        what, article = "reauction", law.ART_24
    else:
        what, article = (
            ("sale_opened", law.SALE_NOTICE) if kind == "sale" else ("relisted", law.ART_26)
        )
    audit.record(session, lot, what, now, "court", article, **_round_terms(lot))
    session.flush()
    return lot


def renege(
    session: Session, lot_id: int, now: datetime, settings: Settings, costs_fen: int = 0
) -> Lot:
    """拍卖规定 第二十四条: the buyer reneged (悔拍). The deposit is forfeited (it will pay the
    ``costs_fen`` the auction caused, then the re-auction's shortfall, then the debt), the
    round's outcome becomes ``reneged``, the lot is re-auctioned in the same round
    (:func:`relist`), and the buyer may not register for it again."""
    lot = _lot(session, lot_id, lock=True)
    if lot.status != SOLD:
        raise Conflict(
            f"只有已成交、待付尾款的标的可以记录悔拍；标的 {lot_id} 的状态为 {lot.status}",
            "lot_id",
        )
    if costs_fen < 0:
        raise RuleViolation("costs", "悔拍造成的费用损失不得为负", law.ART_24)
    _renege(session, lot, now, "court", costs_fen)
    session.flush()
    return lot


def balance_outstanding(session: Session, lot_id: int) -> int:
    """What the buyer of a sold lot still owes (fen): the price less the deposit (which counts
    towards it, 第二十三条) and the balance paid so far."""
    lot = _lot(session, lot_id)
    if lot.status != SOLD:
        raise Conflict(f"标的 {lot_id} 没有待付的尾款（状态：{lot.status}）", "lot_id")
    rnd = _current_round(session, lot)
    winner = session.get(Registration, rnd.winner_registration_id)
    assert winner is not None and rnd.final_price is not None
    return rnd.final_price - winner.deposit - rnd.balance_paid


def record_payment(
    session: Session, lot_id: int, amount_fen: int, now: datetime, settings: Settings
) -> Round:
    """拍卖规定 第二十五条: the court records a balance payment by the buyer, by the deadline the
    notice stated. Paid in full, the sale is complete (``confirmed``); the deposit counts
    towards the price (第二十三条)."""
    lot = _lot(session, lot_id, lock=True)
    outstanding = balance_outstanding(session, lot_id)
    rnd = _current_round(session, lot)
    assert rnd.balance_due_at is not None
    if now > rnd.balance_due_at:
        raise Conflict(
            f"尾款付款期限 {rnd.balance_due_at:%Y-%m-%d %H:%M} (UTC) 已过，买受人视为悔拍"
            f"（{law.ART_24}）",
            "lot_id",
        )
    law.check_balance_payment(amount_fen, outstanding)
    rnd.balance_paid += amount_fen
    audit.record(session, lot, "payment", now, "court", law.ART_25, amount=amount_fen)
    if amount_fen == outstanding:
        rnd.paid_at = now
        lot.status = CONFIRMED
        lot.balance_due_at = None
        audit.record(session, lot, "confirmed", now, "court", law.ART_25, price=rnd.final_price)
    session.flush()
    return rnd


def _reason(reason: str, article: str | None, default_article: str) -> tuple[str, str]:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation("reason", "须写明原因或理由，并在平台公告", law.ART_28)
    return reason, (article or "").strip() or default_article


def _halt_round(
    session: Session, lot: Lot, outcome: str, now: datetime, settings: Settings
) -> None:
    """Stop the current round at once: no more bids, deposits due for refund (第二十八条)."""
    rnd = _current_round(session, lot)
    rnd.outcome, rnd.closed_at = outcome, now
    _refund_deposits(session, rnd.id, now, settings)


def suspend(
    session: Session,
    lot_id: int,
    reason: str,
    now: datetime,
    settings: Settings,
    *,
    stop: bool = False,
    article: str | None = None,
) -> Lot:
    """拍卖规定 第二十八条: the court suspends (暂缓) or, with ``stop``, stops (中止) an open
    auction or 变卖: bidding stops at once, the reason is published, deposits are refunded."""
    reason, article = _reason(reason, article, law.ART_28)
    lot = _lot(session, lot_id, lock=True)
    if lot.status not in OPEN_STATUSES:
        raise Conflict(
            f"只有公告中或竞价中的标的可以暂缓或中止；标的 {lot_id} 的状态为 {lot.status}",
            "lot_id",
        )
    status = STOPPED if stop else SUSPENDED
    _halt_round(session, lot, status, now, settings)
    lot.status, lot.halt_reason, lot.halt_article = status, reason, article
    audit.record(session, lot, status, now, "court", article, reason=reason)
    session.flush()
    return lot


def resume(
    session: Session,
    lot_id: int,
    starts_at: datetime,
    ends_at: datetime | None,
    now: datetime,
    settings: Settings,
) -> Lot:
    """拍卖规定 第二十八条: a suspended or stopped lot continues: the same round again, same
    terms, bidding from the start price within 5 days, lasting at least 24 hours (a 变卖
    gets a new 变卖期); bidders register again (their deposits were refunded)."""
    lot = _lot(session, lot_id, lock=True)
    if lot.status not in HALTED_STATUSES:
        raise Conflict(
            f"只有暂缓或中止的标的可以恢复拍卖；标的 {lot_id} 的状态为 {lot.status}", "lot_id"
        )
    rnd = _current_round(session, lot)
    if ends_at is None:
        if lot.round != "sale":
            raise RuleViolation("ends_at", "拍卖轮次须给出竞价结束时间", law.ART_20)
        ends_at = starts_at + timedelta(days=settings.sale_period_days)
    law.check_resume_schedule(now, starts_at, ends_at, settings)
    if lot.reference_valid_until is not None:
        law.check_reference_valid(lot.reference_valid_until, now, starts_at, settings, first=False)
    terms = RelistTerms(rnd.start_price, rnd.deposit, starts_at, ends_at, rnd.increment)
    _open_round(session, lot, rnd.seq + 1, lot.round, terms, ends_at, rnd.increment, now)
    audit.record(session, lot, "resumed", now, "court", law.ART_28, **_round_terms(lot))
    session.flush()
    return lot


def withdraw(
    session: Session,
    lot_id: int,
    reason: str,
    now: datetime,
    settings: Settings,
    *,
    article: str | None = None,
) -> Lot:
    """The court withdraws the lot (撤回), e.g. the debt was paid and the case ends: bidding
    stops at once, deposits are refunded, the lot is shown as withdrawn from then on. A lot
    already sold (成交) cannot be withdrawn."""
    reason, article = _reason(reason, article, law.WITHDRAW_DEFAULT_ARTICLE)
    lot = _lot(session, lot_id, lock=True)
    if lot.status in (SOLD, CONFIRMED, WITHDRAWN):
        raise Conflict(f"标的 {lot_id} 已成交或已撤回，不能撤回（状态：{lot.status}）", "lot_id")
    if lot.status in OPEN_STATUSES:
        _halt_round(session, lot, WITHDRAWN, now, settings)
    lot.status, lot.halt_reason, lot.halt_article = WITHDRAWN, reason, article
    audit.record(session, lot, "withdrawn", now, "court", article, reason=reason)
    session.flush()
    return lot
