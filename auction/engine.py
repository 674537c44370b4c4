"""State transitions of a lot and its rounds. No HTTP, no SQL strings, no clock of its own.

Every function takes the session, the server's receipt time ``now`` and the settings; it
flushes but never commits: the caller's transaction (``fapai.db.session_scope``) decides.
Writers that must serialise per lot (:func:`place_bid`, :func:`register_bidder`, closing) lock
the lot row first: ``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the caller's session comes
from ``fapai.db.writer_engine`` so the transaction holds the write lock from BEGIN.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from auction.payments import PaymentAdapter, PaymentDeclined, RecordedPayments
from auction.store import (
    ANNOUNCED,
    DEPOSIT_APPLIED,
    DEPOSIT_FORFEITED,
    DEPOSIT_PAID,
    DEPOSIT_REFUND_DUE,
    FAILED,
    OPEN_STATUSES,
    RENEGED,
    ROUND_ORDER,
    SALE,
    SOLD,
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
    )
    session.add(rnd)
    session.flush()
    lot.round_id = rnd.id


def create_lot(session: Session, data: LotData, now: datetime, settings: Settings) -> Lot:
    """Publish a lot for its first auction, checking every rule of publication."""
    if data.property_type not in law.PROPERTY_TYPES:
        raise RuleViolation("property_type", f"财产类型须为 {'、'.join(law.PROPERTY_TYPES)} 之一")
    reference, method, valid_until = _reference(data)
    law.check_start_price(data.start_price, reference, settings)
    law.check_deposit(data.deposit, data.start_price, settings)
    law.check_increment(data.increment)
    law.check_bidding_window(data.starts_at, data.ends_at, settings)
    law.check_announcement(now, data.starts_at, data.property_type, settings)
    if valid_until is not None:
        law.check_reference_valid(valid_until, data.starts_at)
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
        inquiry_id=data.inquiry_id,
        created_by=data.created_by,
        created_at=now,
        registration_seq=0,
        **_round_state("1", terms, data.ends_at, data.increment, now),
    )
    session.add(lot)
    session.flush()
    _open_round(session, lot, 1, "1", terms, data.ends_at, data.increment, now)
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
    """拍卖规定 第十九条: the court confirms a priority purchaser with a rank (1 = first)."""
    if rank < 1:
        raise RuleViolation("rank", "优先购买权顺序须为 1 或以上（1 为最先）", law.ART_21)
    lot = _lot(session, lot_id, lock=True)
    _bidder(session, user_id)
    _check_open(lot, now, "确认优先购买权人")
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
    session.flush()
    return holder


def register_bidder(
    session: Session,
    lot_id: int,
    user_id: int,
    now: datetime,
    settings: Settings,
    payments: PaymentAdapter | None = None,
) -> Registration:
    """Admit a bidder to the current round: deposit paid (第十七条), a bidder code unique within
    the lot (第十八条). Registering twice returns the same registration. A buyer who reneged
    on this lot may not register again (第二十四条)."""
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
    rank = session.scalars(
        select(PriorityHolder.rank).where(
            PriorityHolder.lot_id == lot_id, PriorityHolder.user_id == user_id
        )
    ).first()
    try:
        reference = (payments or RecordedPayments()).collect_deposit(
            lot_id, user_id, lot.deposit, now
        )
    except PaymentDeclined as exc:
        raise Conflict(f"保证金未能交纳：{exc}", "deposit") from exc
    lot.registration_seq += 1
    # 第十九条: priority holders get priority codes (P…), others bidder codes (B…).
    code = f"{'P' if rank is not None else 'B'}{lot.registration_seq:04d}"
    reg = Registration(
        lot_id=lot_id,
        round_id=lot.round_id,
        user_id=user_id,
        bidder_code=code,
        priority_rank=rank,
        deposit=lot.deposit,
        deposit_status=DEPOSIT_PAID,
        payment_reference=reference,
        paid_at=now,
    )
    session.add(reg)
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
    a priority holder may match the current price when that outranks the leader. A bid that a
    concurrent bid made too low gets Conflict ("outbid"). A retry with the same
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
        raise Forbidden(
            f"须先报名并交纳保证金，方可对标的 {lot_id} 出价（{law.ART_17}）",
            "lot_id",
        )
    if lot.status in OPEN_STATUSES and now < lot.starts_at:
        raise Conflict(
            f"标的 {lot_id} 的竞价于 {lot.starts_at:%Y-%m-%d %H:%M} (UTC) 开始", "lot_id"
        )
    _check_open(lot, now, "出价")
    if lot.status == SALE:
        law.check_sale_bid(amount_fen, lot.start_price)
    else:
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
    if lot.status == SALE:
        # 变卖: the first qualified buyer at the fixed price takes the lot at once.
        _close(session, lot, rnd, now, settings)
    else:
        lot.ends_at = law.extended_end(lot.ends_at, now, settings)
    session.flush()
    return bid


def _close(session: Session, lot: Lot, rnd: Round, now: datetime, settings: Settings) -> None:
    """Close the current round: sold to the leading bid (the highest valid one, ties broken
    by 第二十一条 when it was accepted) or failed; losers' deposits due for refund (第二十三条)."""
    winner_reg: int | None = None
    if lot.leading_bid_id is not None:
        bid = session.get(Bid, lot.leading_bid_id)
        assert bid is not None
        winner_reg = bid.registration_id
        rnd.outcome, rnd.final_price, rnd.winner_registration_id = SOLD, bid.amount, winner_reg
        lot.status = SOLD
    else:
        rnd.outcome = FAILED
        lot.status = FAILED
    rnd.closed_at = now
    if winner_reg is not None:
        session.execute(
            update(Registration)
            .where(Registration.id == winner_reg)
            .values(deposit_status=DEPOSIT_APPLIED)
        )
    session.execute(
        update(Registration)
        .where(
            Registration.round_id == rnd.id,
            Registration.deposit_status == DEPOSIT_PAID,
        )
        .values(deposit_status=DEPOSIT_REFUND_DUE, refund_due_by=law.refund_due_by(now, settings))
    )


def close_due_rounds(session: Session, now: datetime, settings: Settings) -> list[int]:
    """Close every open round whose end (after extensions) has passed; return the lot ids.

    Idempotent: a closed round is no longer open. Several server processes may run it at once:
    on PostgreSQL rows another closer holds are skipped (``SKIP LOCKED``).
    """
    lots = session.scalars(
        select(Lot)
        .where(Lot.status.in_(OPEN_STATUSES), Lot.ends_at <= now)
        .order_by(Lot.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for lot in lots:
        _close(session, lot, _current_round(session, lot), now, settings)
    session.flush()
    return [lot.id for lot in lots]


def relist(
    session: Session, lot_id: int, terms: RelistTerms, now: datetime, settings: Settings
) -> Lot:
    """Open the next round of a failed or reneged lot (same lot id).

    After the 1st auction: a 2nd auction, start price cut at most 20%, announced 7/15 days
    before and, after a failure, held within 30 days (拍卖规定 第二十六条). After the 2nd: a
    fixed-price sale (变卖) at the 2nd auction's start price for the sale period.
    """
    lot = _lot(session, lot_id, lock=True)
    if lot.status not in (FAILED, RENEGED):
        raise Conflict(
            f"只有流拍或悔拍的标的可以再次拍卖；标的 {lot_id} 的状态为 {lot.status}",
            "lot_id",
        )
    previous = _current_round(session, lot)
    position = ROUND_ORDER.index(lot.round)
    if position + 1 == len(ROUND_ORDER):
        raise Conflict(f"标的 {lot_id} 已经变卖，之后没有下一轮", "lot_id")
    kind = ROUND_ORDER[position + 1]
    increment = terms.increment if terms.increment is not None else previous.increment
    law.check_deposit(terms.deposit, terms.start_price, settings)
    law.check_increment(increment)
    if kind == "sale":
        if terms.starts_at < now:
            raise RuleViolation("starts_at", "开始时间不得早于现在", law.SALE_NOTICE)
        ends_at = terms.ends_at or terms.starts_at + timedelta(days=settings.sale_period_days)
        law.check_sale_terms(
            terms.start_price, previous.start_price, terms.starts_at, ends_at, settings
        )
    else:
        if terms.ends_at is None:
            raise RuleViolation("ends_at", "拍卖轮次须给出竞价结束时间", law.ART_20)
        ends_at = terms.ends_at
        law.check_reauction_start_price(terms.start_price, previous.start_price, settings)
        law.check_bidding_window(terms.starts_at, ends_at, settings)
        law.check_announcement(now, terms.starts_at, lot.property_type, settings, reauction=True)
        ended = previous.reneged_at if lot.status == RENEGED else previous.closed_at
        if ended is not None:
            law.check_reauction_within(ended, now, settings)
    _open_round(session, lot, previous.seq + 1, kind, terms, ends_at, increment, now)
    session.flush()
    return lot


def renege(session: Session, lot_id: int, now: datetime, settings: Settings) -> Lot:
    """拍卖规定 第二十四条: the buyer did not pay. The deposit is forfeited, the round's outcome
    becomes ``reneged``, the lot can be relisted (within the re-auction period from ``now``,
    like a failed round: 第二十六条), and the buyer may not register for it again."""
    lot = _lot(session, lot_id, lock=True)
    if lot.status != SOLD:
        raise Conflict(
            f"只有已成交的标的可以记录悔拍；标的 {lot_id} 的状态为 {lot.status}", "lot_id"
        )
    rnd = _current_round(session, lot)
    rnd.outcome, rnd.reneged_at = RENEGED, now
    session.execute(
        update(Registration)
        .where(Registration.id == rnd.winner_registration_id)
        .values(deposit_status=DEPOSIT_FORFEITED)
    )
    lot.status = RENEGED
    session.flush()
    return lot
