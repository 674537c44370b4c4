"""Following a lot (关注) and the reminders its followers get before bidding starts and before
it ends: the tables, and the pass that finds due reminders and records each once (several
server processes may run it: a reminder is unique per person, round and kind). Sending is
:mod:`auction.notifier`'s. No HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from auction.store import ANNOUNCED, SALE, Lot
from fapai.clock import to_display
from fapai.db import Base, UTCDateTime
from fapai.errors import NotFound, RuleViolation
from fapai.settings import Settings

STARTS, ENDS = "starts", "ends"


class Follow(Base):
    """A person follows a lot (关注)."""

    __tablename__ = "auction_follows"
    __table_args__ = (UniqueConstraint("user_id", "lot_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auction_users.id", ondelete="CASCADE"))
    lot_id: Mapped[int] = mapped_column(
        ForeignKey("auction_lots.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Reminder(Base):
    """A reminder made for a follower: shown on their pages, and sent where configured."""

    __tablename__ = "auction_reminders"
    __table_args__ = (UniqueConstraint("user_id", "round_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("auction_users.id", ondelete="CASCADE"), index=True
    )
    lot_id: Mapped[int] = mapped_column(ForeignKey("auction_lots.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))  # starts, ends
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivery: Mapped[str | None] = mapped_column(String(200))  # channels and outcome


def follow(session: Session, user_id: int, lot_id: int, now: datetime) -> Follow:
    """Follow a lot; following twice is the same follow."""
    if session.get(Lot, lot_id) is None:
        raise NotFound(f"没有编号为 {lot_id} 的拍品", "lot_id")
    row = session.scalars(
        select(Follow).where(Follow.user_id == user_id, Follow.lot_id == lot_id)
    ).first()
    if row is None:
        row = Follow(user_id=user_id, lot_id=lot_id, created_at=now)
        session.add(row)
        session.flush()
    return row


def unfollow(session: Session, user_id: int, lot_id: int) -> None:
    session.execute(delete(Follow).where(Follow.user_id == user_id, Follow.lot_id == lot_id))


def follows(session: Session, user_id: int, lot_id: int) -> bool:
    return (
        session.scalars(
            select(Follow.id).where(Follow.user_id == user_id, Follow.lot_id == lot_id)
        ).first()
        is not None
    )


def reminder_text(kind: str, title: str, at: datetime, settings: Settings) -> str:
    """The reminder in words: which lot, what happens, when (Beijing time)."""
    when = to_display(at, settings.display_timezone).strftime("%Y-%m-%d %H:%M")
    what = "开始竞价" if kind == STARTS else "竞价结束"
    return f"您关注的拍品「{title}」将于 {when}（北京时间）{what}。"


@dataclass(frozen=True)
class Due:
    """A reminder to make: whom, which lot and round, which kind, and when the event is."""

    user_id: int
    lot_id: int
    round_id: int
    kind: str
    title: str
    at: datetime


def due_reminders(session: Session, now: datetime, settings: Settings) -> list[Due]:
    """Followers' reminders whose time has come and that were not made yet: ``starts`` within
    ``remind_before_seconds`` before bidding starts, ``ends`` as long before it ends."""
    lead = timedelta(seconds=settings.remind_before_seconds)
    rows = session.execute(
        select(Follow.user_id, Lot.id, Lot.round_id, Lot.title, Lot.starts_at, Lot.ends_at)
        .join(Lot, Lot.id == Follow.lot_id)
        .where(Lot.status.in_((ANNOUNCED, SALE)), Lot.ends_at > now, Lot.starts_at <= now + lead)
    ).all()
    made = {
        (u, r, k)
        for u, r, k in session.execute(
            select(Reminder.user_id, Reminder.round_id, Reminder.kind).where(
                Reminder.round_id.in_({row.round_id for row in rows})
            )
        )
    }
    due = []
    for user_id, lot_id, round_id, title, starts_at, ends_at in rows:
        if now < starts_at:
            kind, at = STARTS, starts_at
        elif now >= ends_at - lead:
            kind, at = ENDS, ends_at
        else:
            continue
        if (user_id, round_id, kind) not in made:
            due.append(Due(user_id, lot_id, round_id, kind, title, at))
    return due


def make_reminders(session: Session, now: datetime, settings: Settings) -> list[Reminder]:
    """Record every due reminder (flushed, each in its own savepoint: one another process
    made first is skipped); return the new ones."""
    made = []
    for due in due_reminders(session, now, settings):
        row = Reminder(
            user_id=due.user_id,
            lot_id=due.lot_id,
            round_id=due.round_id,
            kind=due.kind,
            message=reminder_text(due.kind, due.title, due.at, settings),
            created_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            continue
        made.append(row)
    return made


def latest_reminder(session: Session, user_id: int, lot_id: int) -> str | None:
    """The newest reminder made for this person about this lot, in words."""
    return session.scalar(
        select(Reminder.message)
        .where(Reminder.user_id == user_id, Reminder.lot_id == lot_id)
        .order_by(Reminder.id.desc())
        .limit(1)
    )


def user_reminders(session: Session, user_id: int, limit: int = 20) -> list[Reminder]:
    """A person's reminders, newest first."""
    return list(
        session.scalars(
            select(Reminder)
            .where(Reminder.user_id == user_id)
            .order_by(Reminder.id.desc())
            .limit(limit)
        )
    )


class Contact(Base):
    """Where a person wants reminders by e-mail (set on 我的竞拍)."""

    __tablename__ = "auction_contacts"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("auction_users.id", ondelete="CASCADE"), primary_key=True
    )
    email: Mapped[str | None] = mapped_column(String(200))


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_email(session: Session, user_id: int, email: str | None) -> None:
    """Set (or with an empty value, clear) a person's reminder e-mail address."""
    email = (email or "").strip() or None
    if email is not None and (len(email) > 200 or not EMAIL.match(email)):
        raise RuleViolation("email", "请填写有效的电子邮箱地址")
    row = session.get(Contact, user_id)
    if row is None:
        session.add(Contact(user_id=user_id, email=email))
    else:
        row.email = email
    session.flush()


def email_of(session: Session, user_id: int) -> str | None:
    row = session.get(Contact, user_id)
    return None if row is None else row.email
