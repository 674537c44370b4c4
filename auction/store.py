"""Auction tables. Money is integer fen (BigInteger); times are aware UTC (``UTCDateTime``).

Lot status, the one place it is defined (``Lot.status`` stores all but ``bidding``):

- ``announced``: published, bidding not started (``now < starts_at``); shown as ``bidding``
  from ``starts_at`` until the round is closed (see :func:`effective_status`);
- ``bidding``: derived, never stored: an announced round whose bidding has started;
- ``sale``: a 变卖期 is open, no bid yet (衔接通知);
- ``sale_bidding``: the first qualified bid opened the 24-hour 变卖 bidding period (变卖竞价中);
- ``sold``: the round closed with a winner; the balance is due (待付尾款, 第二十五条);
- ``confirmed``: the balance is paid: the sale is complete (已成交确认);
- ``failed``: the round closed without a valid bid (流拍), or the 变卖 found no buyer;
- ``reneged``: the buyer did not pay (悔拍); the lot is re-auctioned in the same round (第二十四条);
- ``suspended`` / ``stopped``: the court suspended (暂缓) or stopped (中止) it (第二十八条);
- ``withdrawn``: the court withdrew the lot (撤回), e.g. the debt was paid. Final.

``Lot.round`` is ``"1"``, ``"2"`` or ``"sale"``; the API shows 1, 2 or "sale".

Every committed status change is logged, one structured line each (logger ``fapai.state``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from fapai.db import Base, UTCDateTime
from fapai.logs import STATE_CHANGES

ANNOUNCED, BIDDING, SOLD, FAILED, SALE, RENEGED = (
    "announced",
    "bidding",
    "sold",
    "failed",
    "sale",
    "reneged",
)
SALE_BIDDING, CONFIRMED, SUSPENDED, STOPPED, WITHDRAWN = (
    "sale_bidding",
    "confirmed",
    "suspended",
    "stopped",
    "withdrawn",
)
OPEN_STATUSES = (ANNOUNCED, SALE, SALE_BIDDING)
HALTED_STATUSES = (SUSPENDED, STOPPED)
LOT_STATUSES = (
    ANNOUNCED,
    BIDDING,
    SALE,
    SALE_BIDDING,
    SOLD,
    CONFIRMED,
    FAILED,
    RENEGED,
    SUSPENDED,
    STOPPED,
    WITHDRAWN,
)
ROUND_ORDER = ("1", "2", "sale")

# Deposit states of a registration: ``pending`` until the court confirms the money arrived
# (no bidder code, may not bid), then ``paid``; after the round ``refund_due`` (losers,
# 第二十三条) until ``refunded``, ``applied`` to the price (the buyer) or ``forfeited`` (悔拍).
(
    DEPOSIT_PENDING,
    DEPOSIT_PAID,
    DEPOSIT_REFUND_DUE,
    DEPOSIT_REFUNDED,
    DEPOSIT_APPLIED,
    DEPOSIT_FORFEITED,
) = ("pending", "paid", "refund_due", "refunded", "applied", "forfeited")
DEPOSIT_STATUSES = (
    DEPOSIT_PENDING,
    DEPOSIT_PAID,
    DEPOSIT_REFUND_DUE,
    DEPOSIT_REFUNDED,
    DEPOSIT_APPLIED,
    DEPOSIT_FORFEITED,
)


class Court(Base):
    """A court: its users publish and manage its lots and read its inquiries, no others'."""

    __tablename__ = "auction_courts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class User(Base):
    """A court clerk (of one court) or a bidder. A bidder's ID number is kept as a keyed hash
    (HMAC, for uniqueness), encrypted (for the court) and masked (for display); the phone
    number encrypted (see :mod:`fapai.crypto`)."""

    __tablename__ = "auction_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(10))
    court_id: Mapped[int | None] = mapped_column(ForeignKey("auction_courts.id"), index=True)
    id_number_hmac: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    id_number_masked: Mapped[str | None] = mapped_column(String(18))
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """A bearer token, stored as its sha256 only: the plain token is shown once. It ends at
    ``expires_at`` (``FAPAI_API_TOKEN_DAYS``) or when revoked (rotation, ``fapai users
    revoke``)."""

    __tablename__ = "auction_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auction_users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A web sign-in: the cookie holds a random session key (stored as its sha256), never the
    API token. It ends at ``expires_at``, at sign-out, or when the user is revoked."""

    __tablename__ = "auction_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("auction_users.id", ondelete="CASCADE"), index=True
    )
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Case(Base):
    """An enforcement case, e.g. ``(2024)粤0106执1234号`` of a court."""

    __tablename__ = "auction_cases"
    __table_args__ = (UniqueConstraint("case_number", "court"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_number: Mapped[str] = mapped_column(String(60))
    court: Mapped[str] = mapped_column(String(100))  # the court's name, as announced


class Lot(Base):
    """A property on sale and the state of its current round (denormalised for fast reads)."""

    __tablename__ = "auction_lots"
    # Matching the filters and sorts of ``app.queries.search_lots``: equality filters
    # first, then the sort column and ``id`` (its tie-break), then columns a filter reads, so
    # counts and pages read the index only (revision a0003, which also adds pg_trgm indexes
    # for text search on PostgreSQL where the extension can be created).
    __table_args__ = (
        Index("ix_auction_lots_status_ends_at_id", "status", "ends_at", "id", "starts_at", "city"),
        Index("ix_auction_lots_status_starts_at", "status", "starts_at"),
        Index("ix_auction_lots_status_city_starts_at", "status", "city", "starts_at", "ends_at"),
        Index(
            "ix_auction_lots_place_type_price",
            "city",
            "district",
            "property_type",
            "current_price",
            "id",
        ),
        Index("ix_auction_lots_type_status_ends_at", "property_type", "status", "ends_at", "id"),
        Index("ix_auction_lots_ends_at_id", "ends_at", "id"),
        Index("ix_auction_lots_price", "current_price"),
        Index("ix_auction_lots_case_id", "case_id"),
        Index("ix_auction_lots_court_id_id", "court_id", "id"),
        # The closing loop's sweep for unpaid balances past their deadline (第二十五条).
        Index("ix_auction_lots_status_balance_due_at", "status", "balance_due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("auction_cases.id"))
    title: Mapped[str] = mapped_column(String(200))
    property_type: Mapped[str] = mapped_column(String(20))
    city: Mapped[str] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    area_m2: Mapped[float | None] = mapped_column(Float)
    description: Mapped[str | None] = mapped_column(Text)
    reference_price: Mapped[int] = mapped_column(BigInteger)
    reference_method: Mapped[str] = mapped_column(String(20))
    inquiry_id: Mapped[int | None] = mapped_column(Integer)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("auction_courts.id"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("auction_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The current round.
    status: Mapped[str] = mapped_column(String(20))
    round: Mapped[str] = mapped_column(String(5))
    round_id: Mapped[int | None] = mapped_column(Integer)
    start_price: Mapped[int] = mapped_column(BigInteger)
    deposit: Mapped[int] = mapped_column(BigInteger)
    increment: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)  # after extensions
    current_price: Mapped[int] = mapped_column(BigInteger)  # leading bid, or the start price
    bid_count: Mapped[int] = mapped_column(Integer, default=0)
    leading_bid_id: Mapped[int | None] = mapped_column(Integer)
    registration_seq: Mapped[int] = mapped_column(Integer, default=0)  # for bidder codes
    # 参考价规定 第二十七条: the reference price's validity, checked at every round.
    reference_valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 拍卖规定 第二十五条: when the buyer of the current round must have paid the balance.
    balance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 第二十八条: why the court suspended, stopped or withdrew it, and under which article.
    halt_reason: Mapped[str | None] = mapped_column(Text)
    halt_article: Mapped[str | None] = mapped_column(String(60))
    # 拍卖规定 第十三条、第十四条、第三十条: what the notice discloses.
    defects: Mapped[str | None] = mapped_column(Text)
    occupancy: Mapped[str | None] = mapped_column(Text)
    encumbrances: Mapped[str | None] = mapped_column(Text)
    taxes_borne_by: Mapped[str | None] = mapped_column(Text)
    viewing: Mapped[str | None] = mapped_column(Text)
    purchase_restrictions: Mapped[str | None] = mapped_column(Text)
    special_conditions: Mapped[str | None] = mapped_column(Text)
    # 拍卖规定 第十七条: the applicant creditor (a bidder account) and what the debtor owes it.
    creditor_id: Mapped[int | None] = mapped_column(ForeignKey("auction_users.id"))
    creditor_claim: Mapped[int | None] = mapped_column(BigInteger)
    # The audit trail (auction.audit): how many events and the hash of the last one.
    event_count: Mapped[int] = mapped_column(Integer, default=0)
    chain_head: Mapped[str | None] = mapped_column(String(64))


class Round(Base):
    """One auction round of a lot (1st, 2nd, 变卖) and, once closed, its outcome."""

    __tablename__ = "auction_rounds"
    __table_args__ = (UniqueConstraint("lot_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lots.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… in order, whatever the kind
    kind: Mapped[str] = mapped_column(String(5))  # "1", "2" or "sale"
    start_price: Mapped[int] = mapped_column(BigInteger)
    deposit: Mapped[int] = mapped_column(BigInteger)
    increment: Mapped[int] = mapped_column(BigInteger)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    scheduled_end: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    outcome: Mapped[str | None] = mapped_column(String(10))  # sold, failed, reneged, suspended…
    reneged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_price: Mapped[int | None] = mapped_column(BigInteger)
    bid_count: Mapped[int] = mapped_column(Integer, default=0)
    winner_registration_id: Mapped[int | None] = mapped_column(Integer)
    # After a sale (第二十五条): the balance due, when, what has been paid and when it was.
    balance_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    balance_paid: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # After a renege (第二十四条): the forfeited deposit, the costs the court recorded, and,
    # once the re-auction sells, where the deposit went (JSON: costs, shortfall, debt).
    forfeited: Mapped[int | None] = mapped_column(BigInteger)
    renege_costs: Mapped[int | None] = mapped_column(BigInteger)
    forfeit_use: Mapped[str | None] = mapped_column(Text)


class PriorityHolder(Base):
    """拍卖规定 第十九条: a priority purchaser confirmed by the court, with a rank."""

    __tablename__ = "auction_priority_holders"
    __table_args__ = (UniqueConstraint("lot_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lots.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("auction_users.id"))
    rank: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Registration(Base):
    """A bidder's registration for one round: the deposit with its payment reference and, once
    the deposit is confirmed, the bidder code (第十七、十八条)."""

    __tablename__ = "auction_registrations"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id"),
        UniqueConstraint("lot_id", "bidder_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lots.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("auction_users.id"), index=True)
    bidder_code: Mapped[str | None] = mapped_column(String(12))  # None while pending
    priority_rank: Mapped[int | None] = mapped_column(Integer)
    deposit: Mapped[int] = mapped_column(BigInteger)
    deposit_status: Mapped[str] = mapped_column(String(12))
    payment_reference: Mapped[str | None] = mapped_column(String(100), index=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # confirmed by the court
    refund_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Event(Base):
    """One state change of a lot, append-only: the public "sunshine" record. Each event carries
    the hash of the one before it (a hash chain per lot, :mod:`auction.audit`); bidders appear
    only by their bidder code (第十八条)."""

    __tablename__ = "auction_events"
    __table_args__ = (UniqueConstraint("lot_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lots.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… within the lot
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    actor_role: Mapped[str] = mapped_column(String(10))  # court, bidder, system
    article: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Bid(Base):
    """An accepted bid. Rejected bids are not stored; every row here took the lead when made."""

    __tablename__ = "auction_bids"
    __table_args__ = (Index("ix_auction_bids_lot_id_id", "lot_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lots.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("auction_rounds.id", ondelete="CASCADE"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("auction_registrations.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """A client's ``Idempotency-Key`` for a bid: a retry returns the stored bid."""

    __tablename__ = "auction_idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auction_users.id"))
    key: Mapped[str] = mapped_column(String(100))
    lot_id: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)
    bid_id: Mapped[int] = mapped_column(ForeignKey("auction_bids.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def effective_status(status: str, starts_at: datetime, now: datetime) -> str:
    """The status people see: an announced round whose bidding has started is ``bidding``
    (until the closing loop closes it); the statuses are listed above."""
    return BIDDING if status == ANNOUNCED and now >= starts_at else status


# --- the state-change log: one line per lot status transition, once its transaction commits --

_state_log = logging.getLogger(STATE_CHANGES)
_PENDING = "fapai_lot_transitions"


@event.listens_for(Session, "after_flush")
def _collect_transitions(session: Session, _context: object) -> None:
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Lot):
            continue
        history = inspect(obj).attrs.status.history
        before = history.deleted[0] if history.deleted else None
        if history.added and history.added[0] != before:
            transition = (obj.id, before, obj.status, obj.round)
            session.info.setdefault(_PENDING, []).append(transition)


@event.listens_for(Session, "after_commit")
def _log_transitions(session: Session) -> None:
    for lot_id, before, after, round_kind in session.info.pop(_PENDING, ()):
        fields = {"event": "lot_state", "lot_id": lot_id, "from": before, "to": after}
        _state_log.info(
            "lot %s: %s -> %s (round %s)",
            lot_id,
            before or "new",
            after,
            round_kind,
            extra={"fields": {**fields, "round": round_kind}},
        )


@event.listens_for(Session, "after_rollback")
def _forget_transitions(session: Session) -> None:
    session.info.pop(_PENDING, None)
