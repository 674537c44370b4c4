"""What the two desks read: the court's lots by state with what each awaits, a lot's
management view (rounds, registrations, priority holders, files), the court's inquiries; and
the bidder's registrations, standing and wins. Reads only; the rules stay in :mod:`fapai.law`
and the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import ROUND_CEILING, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from app import queries, schemas
from auction.attachments import Attachment, lot_attachments
from auction.follows import Follow
from auction.store import (
    ANNOUNCED,
    CONFIRMED,
    FAILED,
    HALTED_STATUSES,
    RENEGED,
    SALE,
    SALE_BIDDING,
    SOLD,
    Bid,
    Case,
    Lot,
    PriorityHolder,
    Registration,
    Round,
    User,
)
from fapai import law
from fapai.errors import FapaiError
from fapai.money import fen_to_yuan, ratio_of
from fapai.settings import Settings
from valuation.inquiry_store import Inquiry

DESK_ROWS = 100  # lots shown per state on the desk (newest first)
BIDDING_OPENS = time(10, 0)  # a morning start, Beijing time, as the platforms schedule it

# The desk's groups, in order: (key, heading, the lot states in it). A state the engine adds
# later (suspended, withdrawn…) lands in its group by name, or in 其他.
GROUPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("announced", "预告", ("announced",)),
    ("live", "进行中", ("bidding", "sale", "sale_bidding")),
    ("sold", "已成交 待付尾款", ("sold",)),
    ("failed", "流拍 待处置", ("failed", "reneged")),
    ("paused", "暂缓/中止", ("suspended", "stopped", "paused")),
    ("withdrawn", "已撤回", ("withdrawn",)),
    ("closed", "已结案", ("paid", "confirmed", "completed", "done")),
]


def owned_by(user: User) -> ColumnElement[bool]:
    """The lots a court user manages: their court's (whoever of its clerks published them)."""
    return and_(Lot.court_id.is_not(None), Lot.court_id == user.court_id)


@dataclass
class DeskGroup:
    key: str
    heading: str
    lots: list[schemas.LotSummary] = field(default_factory=list)


def court_desk(session: Session, user: User, now: datetime) -> list[DeskGroup]:
    """The court user's lots grouped by state (see ``GROUPS``), newest first in each."""
    rows = session.execute(
        select(Lot, Case)
        .join(Case, Case.id == Lot.case_id)
        .where(owned_by(user))
        .order_by(Lot.id.desc())
        .limit(DESK_ROWS * len(GROUPS))
    ).all()
    groups = {key: DeskGroup(key, heading) for key, heading, _ in GROUPS}
    other = DeskGroup("other", "其他")
    for lot, case in rows:
        summary = queries.lot_summary(lot, case, now)
        key = next((k for k, _, states in GROUPS if summary.status in states), None)
        target = groups[key] if key else other
        if len(target.lots) < DESK_ROWS:
            target.lots.append(summary)
    return [*groups.values(), *([other] if other.lots else [])]


def recent_inquiries(session: Session, user: User, limit: int = 20) -> list[Inquiry]:
    """The court's own inquiries, newest first (other courts' are not shown)."""
    return list(
        session.scalars(
            select(Inquiry)
            .where(Inquiry.court_id.is_not(None), Inquiry.court_id == user.court_id)
            .order_by(Inquiry.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Proposal:
    """The next round a failed or reneged lot may have, with a lawful schedule proposed."""

    kind: str  # "2" or "sale"
    start_price: Decimal
    floor: Decimal | None  # the lowest lawful start price (第二十六条), None for a 变卖
    deposit: Decimal
    increment: Decimal
    starts_at: str  # datetime-local, Beijing time
    ends_at: str
    deadline: datetime | None  # last moment to announce it (第二十六条, 衔接通知)
    late: bool
    reneged: bool = False  # a 重新拍卖 of the same round after a renege (第二十四条)


def local_input(when: datetime, tz: str) -> str:
    return when.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")


def _whole_yuan(fen: int) -> int:
    """Rounded up to whole yuan (a start price so rounded stays within the 20% cut)."""
    return -(-fen // 100) * 100


def _schedule(earliest: datetime, kind: str, settings: Settings) -> tuple[datetime, datetime]:
    """Bidding from 10:00 (Beijing time) on the first morning at or after ``earliest``, for the
    minimum bidding time (at least a day), or the 变卖期 for a 变卖."""
    tz = ZoneInfo(settings.display_timezone)
    first = earliest.astimezone(tz)
    starts = datetime.combine(first.date(), BIDDING_OPENS, tz)
    if starts < first:
        starts += timedelta(days=1)
    if kind == "sale":
        return starts, starts + timedelta(days=settings.sale_period_days)
    return starts, starts + timedelta(seconds=max(settings.min_bidding_seconds, 86400))


@dataclass(frozen=True)
class ResumeProposal:
    """A lawful new schedule for a suspended or stopped lot (拍卖规定 第二十八条)."""

    starts_at: str  # datetime-local, Beijing time
    ends_at: str
    latest_start: datetime  # bidding must start within the resume period


def resume_proposal(lot: Lot, now: datetime, settings: Settings) -> ResumeProposal | None:
    """For a halted lot: bidding from the next 10:00, well within the days 第二十八条 allows."""
    if lot.status not in HALTED_STATUSES:
        return None
    starts, ends = _schedule(now, lot.round, settings)
    tz = settings.display_timezone
    latest = now + timedelta(days=settings.resume_within_days)
    return ResumeProposal(local_input(starts, tz), local_input(ends, tz), latest)


def proposal(session: Session, lot: Lot, now: datetime, settings: Settings) -> Proposal | None:
    """Terms for the next round of ``lot`` (failed or reneged) that the law allows today.

    After a renege, the same round again at the same start price (拍卖规定 第二十四条); after a
    failed 1st auction, a 2nd with the start price cut by the most 第二十六条 allows; after a
    failed 2nd, a 变卖 at its start price with the whole price as deposit (衔接通知). Bidding from
    10:00 on the first morning after the notice period, for the minimum time (or the 变卖期)."""
    if lot.status not in (FAILED, RENEGED) or (lot.status == FAILED and lot.round == "sale"):
        return None
    previous = session.get(Round, lot.round_id)
    assert previous is not None
    reneged = lot.status == RENEGED
    kind = lot.round if reneged else {"1": "2", "2": "sale"}[lot.round]
    floor = None
    if reneged or kind == "sale":
        start = previous.start_price
    else:
        cut = Decimal(1) - settings.reauction_max_cut_ratio
        start = _whole_yuan(ratio_of(previous.start_price, cut, rounding=ROUND_CEILING))
        floor = fen_to_yuan(start)
    if kind == "sale":
        deposit = start  # the whole 变卖 price (衔接通知)
        days = law.sale_announcement_days(lot.property_type, settings)
    else:
        share = Decimal(previous.deposit) / Decimal(previous.start_price)
        share = min(max(share, settings.deposit_min_ratio), settings.deposit_max_ratio)
        deposit = _whole_yuan(ratio_of(start, share, rounding=ROUND_CEILING))
        deposit = min(deposit, ratio_of(start, settings.deposit_max_ratio) // 100 * 100)
        days = law.announcement_days(lot.property_type, settings, reauction=True)
    starts, ends = _schedule(now + timedelta(days=days), kind, settings)
    deadline = None
    if not reneged and previous.closed_at is not None:
        within = settings.sale_announce_within_days if kind == "sale" else None
        deadline = (
            previous.closed_at + timedelta(days=within)
            if within is not None
            else law.reauction_deadline(previous.closed_at, settings)
        )
    return Proposal(
        kind=kind,
        start_price=fen_to_yuan(start),
        floor=floor,
        deposit=fen_to_yuan(deposit),
        increment=fen_to_yuan(previous.increment),
        starts_at=local_input(starts, settings.display_timezone),
        ends_at=local_input(ends, settings.display_timezone),
        deadline=deadline,
        late=deadline is not None and now > deadline,
        reneged=reneged,
    )


@dataclass(frozen=True)
class RegistrationRow:
    id: int
    bidder_code: str | None  # None while the deposit is pending
    payment_reference: str | None
    name: str
    round: str
    deposit: Decimal
    deposit_status: str
    priority_rank: int | None


@dataclass(frozen=True)
class HolderRow:
    name: str
    id_number_masked: str | None
    rank: int


@dataclass
class LotDesk:
    """One lot as its court manages it."""

    lot: schemas.LotView
    rounds: list[Round]
    registrations: list[RegistrationRow]
    holders: list[HolderRow]
    attachments: list[Attachment]
    proposal: Proposal | None
    followers: int
    resume: ResumeProposal | None = None  # a halted lot's proposed new schedule (第二十八条)
    payment: schemas.PaymentView | None = None  # a sold lot's balance (第二十五条)
    events: list[schemas.EventView] = field(default_factory=list)


def lot_desk(
    session: Session, user: User, lot_id: int, now: datetime, settings: Settings
) -> LotDesk | None:
    """The lot if the court user manages it, else None (another court's lot is not found)."""
    lot = session.scalars(select(Lot).where(Lot.id == lot_id, owned_by(user))).first()
    if lot is None:
        return None
    rounds = list(session.scalars(select(Round).where(Round.lot_id == lot_id).order_by(Round.seq)))
    kinds = {r.id: r.kind for r in rounds}
    regs = [
        RegistrationRow(
            reg.id,
            reg.bidder_code,
            reg.payment_reference,
            name,
            kinds.get(reg.round_id, ""),
            fen_to_yuan(reg.deposit),
            reg.deposit_status,
            reg.priority_rank,
        )
        for reg, name in session.execute(
            select(Registration, User.name)
            .join(User, User.id == Registration.user_id)
            .where(Registration.lot_id == lot_id)
            .order_by(Registration.id)
        )
    ]
    holders = [
        HolderRow(name, masked, rank)
        for name, masked, rank in session.execute(
            select(User.name, User.id_number_masked, PriorityHolder.rank)
            .join(User, User.id == PriorityHolder.user_id)
            .where(PriorityHolder.lot_id == lot_id)
            .order_by(PriorityHolder.rank)
        )
    ]
    followers = session.scalar(select(func.count()).where(Follow.lot_id == lot_id)) or 0
    return LotDesk(
        lot=queries.get_lot(session, lot_id, now),
        rounds=rounds,
        registrations=regs,
        holders=holders,
        attachments=lot_attachments(session, lot_id),
        proposal=proposal(session, lot, now, settings),
        followers=int(followers),
        resume=resume_proposal(lot, now, settings),
        payment=balance(session, lot_id),
        events=queries.list_events(session, lot_id),
    )


def balance(session: Session, lot_id: int) -> schemas.PaymentView | None:
    """The balance of a sold lot (price, deposit applied, paid, owed, deadline), else None."""
    try:
        return queries.payment_view(session, lot_id)
    except FapaiError:
        return None


# --- the bidder's desk --------------------------------------------------------------------


def standing(lot: schemas.LotView, registration: Registration | None, bid_before: bool) -> str:
    """The bidder's own standing on a lot: ``lead`` (领先), ``outbid`` (已出局), ``won``,
    ``lost``, or ``""`` (no bid in this round)."""
    if registration is None or not bid_before:
        return ""
    mine = lot.leading_bidder_code == registration.bidder_code
    if lot.status in (SOLD, CONFIRMED):
        return "won" if mine else "lost"
    if lot.status in ("bidding", SALE, SALE_BIDDING):
        return "lead" if mine else "outbid"
    return ""


STANDING_WORDS = {"lead": "领先", "outbid": "已出局", "won": "您已竞得", "lost": "未竞得"}


def has_bid(session: Session, registration: Registration | None) -> bool:
    if registration is None:
        return False
    return (
        session.scalar(select(Bid.id).where(Bid.registration_id == registration.id).limit(1))
        is not None
    )


@dataclass(frozen=True)
class MyRegistration:
    lot: schemas.LotSummary
    bidder_code: str
    round: str
    deposit: Decimal
    deposit_status: str
    refund_due_by: datetime | None
    standing: str
    final_price: Decimal | None
    balance: Decimal | None  # the price less the deposit applied, for a win
    payment: schemas.PaymentView | None = None  # the win's balance and its deadline


def my_registrations(session: Session, user: User, now: datetime) -> list[MyRegistration]:
    """Every registration of the bidder, newest first, with the lot and their standing."""
    rows = session.execute(
        select(Registration, Round, Lot, Case)
        .join(Round, Round.id == Registration.round_id)
        .join(Lot, Lot.id == Registration.lot_id)
        .join(Case, Case.id == Lot.case_id)
        .where(Registration.user_id == user.id)
        .order_by(Registration.id.desc())
        .limit(200)
    ).all()
    leaders = dict(
        session.execute(
            select(Bid.id, Bid.registration_id).where(
                Bid.id.in_([lot.leading_bid_id for _, _, lot, _ in rows if lot.leading_bid_id])
            )
        ).all()
    )
    bid_regs = set(
        session.scalars(
            select(Bid.registration_id).where(Bid.registration_id.in_([reg.id for reg, *_ in rows]))
        )
    )
    out = []
    for reg, rnd, lot, case in rows:
        summary = queries.lot_summary(lot, case, now)
        current = rnd.id == lot.round_id
        if rnd.winner_registration_id == reg.id and rnd.outcome == SOLD:
            state = "won"
        elif rnd.closed_at is not None:
            state = "lost" if reg.id in bid_regs else ""
        elif current and reg.id in bid_regs:
            state = "lead" if leaders.get(lot.leading_bid_id) == reg.id else "outbid"
        else:
            state = ""
        final = fen_to_yuan(rnd.final_price) if rnd.final_price is not None else None
        out.append(
            MyRegistration(
                lot=summary,
                bidder_code=reg.bidder_code,
                round=rnd.kind,
                deposit=fen_to_yuan(reg.deposit),
                deposit_status=reg.deposit_status,
                refund_due_by=reg.refund_due_by,
                standing=state,
                final_price=final if state == "won" else None,
                balance=final - fen_to_yuan(reg.deposit) if state == "won" and final else None,
                payment=balance(session, lot.id) if state == "won" and current else None,
            )
        )
    return out


def followed_lots(session: Session, user: User, now: datetime) -> list[schemas.LotSummary]:
    rows = session.execute(
        select(Lot, Case)
        .join(Case, Case.id == Lot.case_id)
        .join(Follow, and_(Follow.lot_id == Lot.id, Follow.user_id == user.id))
        .order_by(or_(Lot.status == ANNOUNCED, Lot.status == SALE).desc(), Lot.ends_at)
        .limit(200)
    ).all()
    return [queries.lot_summary(lot, case, now) for lot, case in rows]
