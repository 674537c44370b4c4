"""Read queries shared by the JSON API and the web pages: search, lot detail, bid records,
results. They return the view models of :mod:`app.schemas` (money as Decimal yuan; bidders
only by their bidder code, 拍卖规定 第十八条: identities stay confidential).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    any_,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.market import market_view
from app.schemas import (
    OUTCOMES,
    SORT_KEYS,
    BidReceipt,
    BidView,
    ConfirmationView,
    CourtRegistrationView,
    CourtView,
    EventView,
    LotQuery,
    LotSummary,
    LotView,
    Page,
    PaymentView,
    RegistrationView,
    ResultQuery,
    ResultView,
    RoundLabel,
)
from auction.audit import EVENT_LABELS
from auction.store import (
    ANNOUNCED,
    BIDDING,
    CONFIRMED,
    DEPOSIT_PENDING,
    LOT_STATUSES,
    OPEN_STATUSES,
    SOLD,
    Bid,
    Case,
    Court,
    Event,
    Lot,
    Registration,
    Round,
    User,
    effective_status,
)
from fapai.crypto import Keys
from fapai.errors import Conflict, NotFound, RuleViolation
from fapai.law import ART_22, NOTICE_FIELDS
from fapai.money import fen_to_yuan, to_fen
from fapai.regions import normalize_city
from valuation.estimate_store import MarketEstimate, estimates_of

# 起拍价 ÷ fapai's market estimate (NULL where the lot has none: those sort last).
_MARKET_RATIO = cast(Lot.start_price, Float) / MarketEstimate.estimate
_UNPRICED = case((MarketEstimate.estimate.is_(None), 1), else_=0)
# Lots still open to bidders (announced, bidding, 变卖) before finished ones: the open ones
# ending soonest first, then the finished ones most recent first.
_OPEN = Lot.status.in_(OPEN_STATUSES)
SORTS: dict[str, tuple[ColumnElement, ...]] = {
    "live": (
        case((_OPEN, 0), else_=1),
        case((_OPEN, Lot.ends_at)).asc(),
        Lot.ends_at.desc(),
        Lot.id.asc(),
    ),
    "ends_at": (Lot.ends_at.asc(), Lot.id.asc()),
    "-ends_at": (Lot.ends_at.desc(), Lot.id.desc()),
    "price": (Lot.current_price.asc(), Lot.id.asc()),
    "-price": (Lot.current_price.desc(), Lot.id.desc()),
    "bids": (Lot.bid_count.desc(), Lot.id.desc()),
    "newest": (Lot.id.desc(),),
    "market_ratio": (_UNPRICED, _MARKET_RATIO.asc(), Lot.id.asc()),
    "-market_ratio": (_UNPRICED, _MARKET_RATIO.desc(), Lot.id.desc()),
}
# The sorts and filters that read the stored market estimates (the others read lots alone).
MARKET_SORTS = ("market_ratio", "-market_ratio")
RATIO_SCALE = 10_000  # market ratios have at most 4 decimals (app.schemas.MarketRatio)
assert tuple(SORTS) == SORT_KEYS, "every sort the API accepts has its SQL order here"


def round_label(kind: str) -> RoundLabel:
    """``"1"`` → 1, ``"2"`` → 2, ``"sale"`` → ``"sale"``."""
    return kind if kind == "sale" else int(kind)


def status_condition(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL for ``effective_status(...) == status``."""
    if status not in LOT_STATUSES:
        raise RuleViolation("status", f"拍卖状态须为 {'、'.join(LOT_STATUSES)} 之一")
    if status == ANNOUNCED:
        return and_(Lot.status == ANNOUNCED, Lot.starts_at > now)
    if status == BIDDING:
        return and_(Lot.status == ANNOUNCED, Lot.starts_at <= now)
    return Lot.status == status


def _summary_fields(lot: Lot, case: Case, now: datetime) -> dict[str, object]:
    return {
        "id": lot.id,
        "title": lot.title,
        "property_type": lot.property_type,
        "city": lot.city,
        "district": lot.district,
        "status": effective_status(lot.status, lot.starts_at, now),
        "round": round_label(lot.round),
        "reference_price": fen_to_yuan(lot.reference_price),
        "start_price": fen_to_yuan(lot.start_price),
        "current_price": fen_to_yuan(lot.current_price),
        "deposit": fen_to_yuan(lot.deposit),
        "increment": fen_to_yuan(lot.increment),
        "bid_count": lot.bid_count,
        "starts_at": lot.starts_at,
        "ends_at": lot.ends_at,
        "case_number": case.case_number,
        "court": case.court,
    }


def _market_fields(lot: Lot, estimate: MarketEstimate | None) -> dict[str, object]:
    """A search item's market estimate and 起拍价 ÷ 市场估价 (None where there is none)."""
    view = market_view(estimate, lot.start_price)
    return {"market_estimate": view.estimate, "market_ratio": view.market_ratio}


def lot_summary(lot: Lot, case: Case, now: datetime) -> LotSummary:
    """A lot row and its case as the summary search returns (for other read models)."""
    return LotSummary(**_summary_fields(lot, case, now))


def _paged(session: Session, stmt: Select, page: int, page_size: int) -> tuple[list, int]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).all()
    return rows, int(total or 0)


def _text_match(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """``column`` contains ``text``, ignoring case. A text without cased letters (Chinese, digits)
    matches the same with plain ``LIKE``, which needs no ``lower()`` of every row (PostgreSQL
    ``ILIKE``, SQLite ``lower(…)``) and can use a pg_trgm index."""
    if text.lower() == text.upper():
        return column.contains(text, autoescape=True)
    return column.icontains(text, autoescape=True)


def _text_condition(text: str, dialect: str) -> ColumnElement[bool]:
    """``q``: the lot's title, address or description, or its case number. The case number is
    matched through ``case_id`` rather than a join, so the count reads only the lots table; on
    PostgreSQL as ``case_id = ANY(<array of matching case ids>)``, which keeps every arm of the
    ``OR`` indexable (a bitmap OR of the trigram indexes and the ``case_id`` index)."""
    cases: ColumnElement[bool]
    if dialect == "postgresql":
        ids = select(func.array_agg(Case.id)).where(_text_match(Case.case_number, text))
        cases = Lot.case_id == any_(cast(ids.scalar_subquery(), ARRAY(Integer)))
    else:
        cases = Lot.case_id.in_(select(Case.id).where(_text_match(Case.case_number, text)))
    return or_(
        _text_match(Lot.title, text),
        _text_match(Lot.address, text),
        _text_match(Lot.description, text),
        cases,
    )


def _lot_conditions(query: LotQuery, now: datetime, dialect: str) -> list[ColumnElement[bool]]:
    conditions = []
    if query.status:
        conditions.append(status_condition(query.status, now))
    if query.city:
        conditions.append(Lot.city == (normalize_city(query.city) or query.city.strip()))
    if query.district:
        conditions.append(Lot.district == query.district.strip())
    if query.property_type:
        conditions.append(Lot.property_type == query.property_type)
    if query.min_price is not None:
        conditions.append(Lot.current_price >= to_fen(query.min_price))
    if query.max_price is not None:
        conditions.append(Lot.current_price <= to_fen(query.max_price))
    # Several words (separated by spaces, full-width ones too) must each match: 凤凰城 碧桂园.
    for word in (query.q or "").split():
        conditions.append(_text_condition(word, dialect))
    if query.court:
        court_id = select(Court.id).where(Court.code == query.court.strip()).scalar_subquery()
        conditions.append(Lot.court_id == court_id)
    # Exactly, in integers: start × 10⁴ against ratio × 10⁴ × estimate (fen).
    if query.min_market_ratio is not None:
        bound = int(query.min_market_ratio * RATIO_SCALE)
        conditions.append(Lot.start_price * RATIO_SCALE >= bound * MarketEstimate.estimate)
    if query.max_market_ratio is not None:
        bound = int(query.max_market_ratio * RATIO_SCALE)
        conditions.append(Lot.start_price * RATIO_SCALE <= bound * MarketEstimate.estimate)
    return conditions


def _reads_estimates(query: LotQuery) -> bool:
    return (
        query.sort in MARKET_SORTS
        or query.min_market_ratio is not None
        or query.max_market_ratio is not None
    )


def _with_estimates(stmt: Select, query: LotQuery) -> Select:
    """``stmt`` joined to the stored market estimates where the sort or a filter reads them."""
    if not _reads_estimates(query):
        return stmt
    return stmt.outerjoin(MarketEstimate, MarketEstimate.lot_id == Lot.id)


def search_lots(session: Session, query: LotQuery, now: datetime) -> Page[LotSummary]:
    """Lots matching the filters, one page, sorted by ``query.sort`` (see ``SORTS``).

    Every filter is on the lots table alone (see ``auction.store.Lot`` for the indexes that
    match them). The page is found by lot id first, from the index, and only its rows are read
    with their cases, so a deep page skips index entries rather than rows. ``total`` is a count
    over the same conditions, skipped when the page itself shows where the result ends."""
    if query.sort not in SORTS:
        raise RuleViolation("sort", f"排序须为 {'、'.join(SORTS)} 之一")
    order = SORTS[query.sort]
    conditions = _lot_conditions(query, now, session.get_bind().dialect.name)
    offset = (query.page - 1) * query.page_size
    page_ids = (
        _with_estimates(select(Lot.id), query)
        .where(*conditions)
        .order_by(*order)
        .limit(query.page_size)
        .offset(offset)
    )
    rows = session.execute(
        _with_estimates(select(Lot, Case).join(Case, Case.id == Lot.case_id), query)
        .where(Lot.id.in_(page_ids))
        .order_by(*order)
    ).all()
    if len(rows) < query.page_size and (rows or offset == 0):
        total = offset + len(rows)  # the page holds the end of the result
    else:
        count = _with_estimates(select(func.count(Lot.id)), query).where(*conditions)
        total = int(session.scalar(count) or 0)
    estimates = estimates_of(session, [lot.id for lot, _ in rows])
    items = [
        LotSummary(**_summary_fields(lot, case, now), **_market_fields(lot, estimates.get(lot.id)))
        for lot, case in rows
    ]
    return Page[LotSummary](items=items, total=total, page=query.page, page_size=query.page_size)


def get_lot(session: Session, lot_id: int, now: datetime) -> LotView:
    """One lot with its current round: price, bid count, round, status, end after extensions."""
    row = session.execute(
        select(Lot, Case).join(Case, Case.id == Lot.case_id).where(Lot.id == lot_id)
    ).first()
    if row is None:
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    lot, case = row
    leader = None
    if lot.leading_bid_id is not None:
        leader = session.scalar(
            select(Registration.bidder_code)
            .join(Bid, Bid.registration_id == Registration.id)
            .where(Bid.id == lot.leading_bid_id)
        )
    registrations = session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.round_id == lot.round_id, Registration.deposit_status != DEPOSIT_PENDING
        )
    )
    estimate = session.scalar(select(MarketEstimate).where(MarketEstimate.lot_id == lot_id))
    market = market_view(estimate, lot.start_price)
    return LotView(
        **_summary_fields(lot, case, now),
        address=lot.address,
        area_m2=lot.area_m2,
        description=lot.description,
        reference_method=lot.reference_method,
        reference_valid_until=lot.reference_valid_until,
        published_at=lot.published_at,
        leading_bidder_code=leader,
        registration_count=int(registrations or 0),
        balance_due_at=lot.balance_due_at,
        halt_reason=lot.halt_reason,
        halt_article=lot.halt_article,
        event_count=lot.event_count,
        chain_head=lot.chain_head,
        **{name: getattr(lot, name) for name in NOTICE_FIELDS},
        market_estimate=market.estimate,
        market_ratio=market.market_ratio,
        market=market,
    )


def list_events(session: Session, lot_id: int) -> list[EventView]:
    """The lot's audit trail, oldest first: the public record, bidders by code only."""
    if session.get(Lot, lot_id) is None:
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    events = session.scalars(select(Event).where(Event.lot_id == lot_id).order_by(Event.seq))
    return [
        EventView(
            seq=e.seq,
            at=e.at,
            kind=e.kind,
            label=EVENT_LABELS.get(e.kind, e.kind),
            actor_role=e.actor_role,
            article=e.article,
            detail=json.loads(e.detail),
            prev_hash=e.prev_hash,
            hash=e.hash,
        )
        for e in events
    ]


def _sold_round(session: Session, lot_id: int) -> tuple[Lot, Case, Round, Registration]:
    """The lot's current round if it sold (awaiting the balance or paid), with its buyer."""
    row = session.execute(
        select(Lot, Case).join(Case, Case.id == Lot.case_id).where(Lot.id == lot_id)
    ).first()
    if row is None:
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    lot, case = row
    if lot.status not in (SOLD, CONFIRMED):
        raise Conflict(f"标的 {lot_id} 尚未成交（状态：{lot.status}）", "lot_id")
    rnd = session.get(Round, lot.round_id)
    assert rnd is not None and rnd.winner_registration_id is not None
    reg = session.get(Registration, rnd.winner_registration_id)
    assert reg is not None
    return lot, case, rnd, reg


def payment_view(session: Session, lot_id: int) -> PaymentView:
    """The balance of a sold lot (拍卖规定 第二十五条)."""
    lot, _case, rnd, reg = _sold_round(session, lot_id)
    assert rnd.final_price is not None and rnd.balance_due_at is not None
    return PaymentView(
        lot_id=lot.id,
        status=lot.status,
        final_price=fen_to_yuan(rnd.final_price),
        deposit_applied=fen_to_yuan(reg.deposit),
        balance_paid=fen_to_yuan(rnd.balance_paid),
        outstanding=fen_to_yuan(rnd.final_price - reg.deposit - rnd.balance_paid),
        balance_due_at=rnd.balance_due_at,
        paid_at=rnd.paid_at,
    )


def _masked_phone(phone: str | None) -> str | None:
    return None if not phone else phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:]


def confirmation(session: Session, lot_id: int, keys: Keys) -> ConfirmationView:
    """成交确认书 (拍卖规定 第二十二条): after the sale, the buyer's real name is published; the ID
    number and phone stay masked. Before the end there is none (identities secret, 第十八条)."""
    lot, case, rnd, reg = _sold_round(session, lot_id)
    buyer = session.get(User, reg.user_id)
    assert buyer is not None and rnd.final_price is not None and rnd.closed_at is not None
    return ConfirmationView(
        number=f"{lot.id}-{rnd.seq}",
        lot_id=lot.id,
        title=lot.title,
        case_number=case.case_number,
        court=case.court,
        round=round_label(rnd.kind),
        final_price=fen_to_yuan(rnd.final_price),
        bidder_code=reg.bidder_code,
        buyer_name=buyer.name,
        buyer_id_number=buyer.id_number_masked,
        buyer_phone=_masked_phone(
            keys.decrypt(buyer.phone_encrypted) if buyer.phone_encrypted else None
        ),
        closed_at=rnd.closed_at,
        balance_due_at=rnd.balance_due_at,
        paid_at=rnd.paid_at,
        status=lot.status,
        article=ART_22,
    )


def list_bids(session: Session, lot_id: int, limit: int | None = None) -> list[BidView]:
    """The lot's public bid record, newest first: bidder codes, amounts, receipt times."""
    if session.get(Lot, lot_id) is None:
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    stmt = (
        select(Bid, Registration.bidder_code, Round.kind)
        .join(Registration, Registration.id == Bid.registration_id)
        .join(Round, Round.id == Bid.round_id)
        .where(Bid.lot_id == lot_id)
        .order_by(Bid.id.desc())
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        BidView(
            id=bid.id,
            bidder_code=code,
            amount=fen_to_yuan(bid.amount),
            placed_at=bid.placed_at,
            round=round_label(kind),
        )
        for bid, code, kind in session.execute(stmt)
    ]


def bid_receipt(session: Session, bid: Bid) -> BidReceipt:
    """An accepted bid with its lot's current price and end. Right after ``place_bid`` the rows
    are already in the session, so this reads nothing more from the database."""
    reg = session.get(Registration, bid.registration_id)
    rnd = session.get(Round, bid.round_id)
    lot = session.get(Lot, bid.lot_id)
    assert reg is not None and rnd is not None and lot is not None, "a bid's rows exist"
    return BidReceipt(
        id=bid.id,
        bidder_code=reg.bidder_code,
        amount=fen_to_yuan(bid.amount),
        placed_at=bid.placed_at,
        round=round_label(rnd.kind),
        lot_id=bid.lot_id,
        current_price=fen_to_yuan(lot.current_price),
        ends_at=lot.ends_at,
    )


def list_results(session: Session, query: ResultQuery) -> Page[ResultView]:
    """Finished rounds, most recently closed first: outcome and prices, for the public record
    and the outcome model."""
    if query.outcome is not None and query.outcome not in OUTCOMES:
        raise RuleViolation("outcome", f"结果须为 {'、'.join(OUTCOMES)} 之一")
    stmt = (
        select(Round, Lot, Registration.bidder_code)
        .join(Lot, Lot.id == Round.lot_id)
        .outerjoin(Registration, Registration.id == Round.winner_registration_id)
        .where(Round.closed_at.is_not(None))
    )
    if query.city:
        stmt = stmt.where(Lot.city == (normalize_city(query.city) or query.city.strip()))
    if query.property_type:
        stmt = stmt.where(Lot.property_type == query.property_type)
    if query.outcome:
        stmt = stmt.where(Round.outcome == query.outcome)
    stmt = stmt.order_by(Round.closed_at.desc(), Round.id.desc())
    rows, total = _paged(session, stmt, query.page, query.page_size)
    items = [
        ResultView(
            lot_id=lot.id,
            title=lot.title,
            city=lot.city,
            district=lot.district,
            property_type=lot.property_type,
            round=round_label(rnd.kind),
            outcome=rnd.outcome,
            final_price=None if rnd.final_price is None else fen_to_yuan(rnd.final_price),
            start_price=fen_to_yuan(rnd.start_price),
            reference_price=fen_to_yuan(lot.reference_price),
            bid_count=rnd.bid_count,
            winner_code=code,
            closed_at=rnd.closed_at,
        )
        for rnd, lot, code in rows
    ]
    return Page[ResultView](items=items, total=total, page=query.page, page_size=query.page_size)


def list_courts(session: Session) -> list[CourtView]:
    """Every court, by code: the public filters lots by these codes."""
    return [
        CourtView(code=c.code, name=c.name)
        for c in session.scalars(select(Court).order_by(Court.code))
    ]


def registration_view(session: Session, reg: Registration) -> RegistrationView:
    """A registration as its bidder sees it (the payment reference to quote while pending)."""
    rnd = session.get(Round, reg.round_id)
    assert rnd is not None
    return RegistrationView(
        id=reg.id,
        lot_id=reg.lot_id,
        round=round_label(rnd.kind),
        bidder_code=reg.bidder_code,
        deposit=fen_to_yuan(reg.deposit),
        deposit_status=reg.deposit_status,
        payment_reference=reg.payment_reference,
        refund_due_by=reg.refund_due_by,
    )


def court_registrations(session: Session, lot_id: int, keys: Keys) -> list[CourtRegistrationView]:
    """Every registration of a lot (all rounds, newest first) with who registered: the full ID
    number decrypted for the court (the mask where only that was kept) and the phone. The
    caller has checked that the lot is the court's own."""
    rows = session.execute(
        select(Registration, Round.kind, User)
        .join(Round, Round.id == Registration.round_id)
        .join(User, User.id == Registration.user_id)
        .where(Registration.lot_id == lot_id)
        .order_by(Registration.id.desc())
    ).all()

    def number(user: User) -> str | None:
        plain = keys.decrypt(user.id_number_encrypted) if user.id_number_encrypted else None
        return plain or user.id_number_masked

    return [
        CourtRegistrationView(
            id=reg.id,
            lot_id=reg.lot_id,
            round=round_label(kind),
            bidder_code=reg.bidder_code,
            deposit=fen_to_yuan(reg.deposit),
            deposit_status=reg.deposit_status,
            payment_reference=reg.payment_reference,
            refund_due_by=reg.refund_due_by,
            bidder_id=user.id,
            bidder_name=user.name,
            id_number=number(user),
            phone=keys.decrypt(user.phone_encrypted) if user.phone_encrypted else None,
            registered_at=reg.registered_at,
            paid_at=reg.paid_at,
            refunded_at=reg.refunded_at,
        )
        for reg, kind, user in rows
    ]
