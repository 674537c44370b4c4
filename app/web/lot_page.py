"""What the lot page shows beyond the public lot: the viewer's own registration, whether the
end was extended, the next valid bid. Reads only; the rules are :mod:`fapai.law`'."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import queries, schemas
from app.deps import stored_id
from app.web import display
from app.web.announcement import bidding_rules, notice_items
from app.web.desk import STANDING_WORDS, has_bid, standing
from auction.attachments import KINDS, PHOTO, Attachment, lot_attachments
from auction.follows import follows, latest_reminder
from auction.store import CONFIRMED, SALE, SALE_BIDDING, SOLD, Lot, Registration, Round, User
from fapai import law
from fapai.errors import NotFound
from fapai.money import fen_to_yuan, to_fen
from fapai.settings import Settings

BID_RECORD_ROWS = 50
SOLD_STATES = (SOLD, CONFIRMED)


@dataclass(frozen=True)
class LotPage:
    lot: schemas.LotView
    bids: list[schemas.BidView]
    registration: Registration | None
    extended: bool
    next_bid: Decimal | None
    standing: str = ""  # the viewer's own: lead, outbid, won, lost (see app.web.desk)
    following: bool = False
    reminder: str | None = None  # the latest reminder made for the viewer about this lot
    attachments: tuple[Attachment, ...] = ()

    @property
    def price_label(self) -> str:
        """What the big number is: the start price before bidding, the final price after."""
        return {
            "announced": "起拍价",
            "sale": "变卖价",
            "sold": "成交价",
            "confirmed": "成交价",
        }.get(self.lot.status, "当前价")

    @property
    def my_deposit(self) -> Decimal | None:
        return None if self.registration is None else fen_to_yuan(self.registration.deposit)

    @property
    def balance_due(self) -> Decimal | None:
        """What the winner still owes: the price less the deposit applied to it (第二十五条)."""
        if self.standing != "won" or self.my_deposit is None:
            return None
        return self.lot.current_price - self.my_deposit

    def context(self, settings: Settings, now: datetime) -> dict[str, object]:
        """The template context of ``lot.html`` and its live fragments."""
        return {
            "lot": self.lot,
            "bids": self.bids,
            "registration": self.registration,
            "extended": self.extended,
            "next_bid": self.next_bid,
            "price_label": self.price_label,
            "winner_code": self.lot.leading_bidder_code if self.lot.status in SOLD_STATES else None,
            "rules": bidding_rules(self.lot, settings),
            "disclosures": notice_items(self.lot),
            "extension_words": display.duration_words(settings.extension_seconds),
            "reauction_days": settings.reauction_within_days,
            "standing": self.standing,
            "standing_text": STANDING_WORDS.get(self.standing, ""),
            "my_deposit": self.my_deposit,
            "balance_due": self.balance_due,
            "following": self.following,
            "reminder": self.reminder,
            "documents": [a for a in self.attachments if a.kind != PHOTO],
            "photos": [a for a in self.attachments if a.kind == PHOTO],
            "attachment_kinds": KINDS,
            "idempotency_key": uuid.uuid4().hex,
            "now": now,
        }

    def live(self, now: datetime) -> dict[str, object]:
        """What the lot page's script updates every few seconds (with the rendered bid
        record, result and bidding panel added by the route)."""
        lot = self.lot
        return {
            "status": lot.status,
            "status_text": display.label(display.STATUSES, lot.status),
            "price_label": self.price_label,
            "current_price_text": display.yuan(lot.current_price),
            "bid_count": lot.bid_count,
            "registration_count": lot.registration_count,
            "starts_at": lot.starts_at.isoformat(),
            "ends_at": lot.ends_at.isoformat(),
            "ends_at_text": display.local_time(lot.ends_at),
            "extended": self.extended,
            "server_now": now.isoformat(),
            "next_bid": None if self.next_bid is None else str(self.next_bid),
            "next_bid_text": display.yuan(self.next_bid),
            "standing": self.standing,
            "standing_text": STANDING_WORDS.get(self.standing, ""),
        }


def next_valid_bid(lot: schemas.LotView) -> Decimal | None:
    """The least amount that bid would be accepted now (拍卖规定 第二十条): the start price
    first, then the current price plus the increment; in a 变卖 the fixed price."""
    if lot.status not in ("bidding", SALE, SALE_BIDDING):
        return None
    if lot.status == SALE:
        return lot.start_price  # 衔接通知: the first bid is at least the 变卖 price
    leader = (
        None
        if lot.leading_bidder_code is None
        else law.Leader(to_fen(lot.current_price), priority_rank=None)
    )
    minimum = law.minimum_bid(to_fen(lot.start_price), to_fen(lot.increment), leader)
    return fen_to_yuan(minimum)


def load_lot_page(session: Session, lot_id: int, user: User | None, now: datetime) -> LotPage:
    """The lot (``NotFound`` if there is none), its latest bids, and the viewer's view of it."""
    if not stored_id(lot_id):
        raise NotFound(f"没有编号为 {lot_id} 的标的", "lot_id")
    lot = queries.get_lot(session, lot_id, now)
    bids = queries.list_bids(session, lot_id, limit=BID_RECORD_ROWS)
    round_id, scheduled_end = session.execute(
        select(Lot.round_id, Round.scheduled_end)
        .join(Round, Round.id == Lot.round_id)
        .where(Lot.id == lot_id)
    ).one()
    registration = None
    if user is not None and user.role == "bidder":
        registration = session.scalars(
            select(Registration).where(
                Registration.round_id == round_id, Registration.user_id == user.id
            )
        ).first()
    return LotPage(
        lot=lot,
        bids=[b for b in bids if b.round == lot.round],
        registration=registration,
        extended=lot.ends_at > scheduled_end,
        next_bid=next_valid_bid(lot),
        standing=standing(lot, registration, has_bid(session, registration)),
        following=user is not None and follows(session, user.id, lot_id),
        reminder=None if user is None else latest_reminder(session, user.id, lot_id),
        attachments=tuple(lot_attachments(session, lot_id)),
    )
