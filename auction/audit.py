"""The audit trail of a lot: every state change as an append-only event in a hash chain.

Each event's hash is sha256 over the previous event's hash and the event's own canonical
content (lot, sequence number, time, kind, actor role, article, detail), so altering, inserting
or removing an event breaks the chain from there on; the lot row keeps the chain's head (the
last hash) and the event count, so removing the last events is caught too. The engine records
events inside its own transaction while it holds the lot's lock, so the sequence has no gaps.
Bidders appear only by their bidder code (拍卖规定 第十八条).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.store import Event, Lot
from fapai.clock import ensure_utc

GENESIS = "0" * 64

# Machine code → what people read.
EVENT_LABELS: dict[str, str] = {
    "published": "发布拍卖公告",
    "priority_holder": "确认优先购买权人",
    "creditor": "确认申请执行人",
    "registered": "竞买人报名",
    "bid": "出价",
    "extended": "延时",
    "sale_bidding": "变卖进入竞价期",
    "sold": "成交",
    "failed": "流拍",
    "confirmation": "生成成交确认书",
    "payment": "交纳尾款",
    "confirmed": "尾款付清",
    "reneged": "悔拍",
    "forfeit_applied": "悔拍保证金处理",
    "relisted": "再次拍卖",
    "reauction": "重新拍卖",
    "sale_opened": "变卖",
    "suspended": "暂缓拍卖",
    "stopped": "中止拍卖",
    "resumed": "恢复拍卖",
    "withdrawn": "撤回拍卖",
}


def _canonical(
    lot_id: int, seq: int, at: datetime, kind: str, actor: str, article: str | None, detail: str
) -> bytes:
    at_text = ensure_utc(at).isoformat(timespec="microseconds")
    return json.dumps(
        [lot_id, seq, at_text, kind, actor, article, json.loads(detail)],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def event_hash(
    prev_hash: str,
    lot_id: int,
    seq: int,
    at: datetime,
    kind: str,
    actor: str,
    article: str | None,
    detail: str,
) -> str:
    """sha256(previous hash ‖ canonical content), hex."""
    digest = hashlib.sha256(prev_hash.encode())
    digest.update(_canonical(lot_id, seq, at, kind, actor, article, detail))
    return digest.hexdigest()


def record(
    session: Session,
    lot: Lot,
    kind: str,
    at: datetime,
    actor: str,
    article: str | None = None,
    **detail: object,
) -> Event:
    """Append one event to the lot's chain (the caller holds the lot's lock)."""
    assert kind in EVENT_LABELS, kind
    seq = (lot.event_count or 0) + 1
    prev = lot.chain_head or GENESIS
    text = json.dumps(detail, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    event = Event(
        lot_id=lot.id,
        seq=seq,
        at=at,
        kind=kind,
        actor_role=actor,
        article=article,
        detail=text,
        prev_hash=prev,
        hash=event_hash(prev, lot.id, seq, at, kind, actor, article, text),
    )
    session.add(event)
    lot.event_count, lot.chain_head = seq, event.hash
    return event


@dataclass(frozen=True)
class Finding:
    """The first place a lot's chain does not hold: the event (by sequence number) and why."""

    lot_id: int
    seq: int
    problem: str  # altered, inserted, removed, head

    def describe(self) -> str:
        words = {
            "altered": "内容被改动",
            "inserted": "是插入的事件",
            "removed": "之前有事件被删除",
            "head": "之后的事件被删除（与标的记录的链头不符）",
        }[self.problem]
        return f"标的 {self.lot_id} 第 {self.seq} 个事件{words}"


def verify(session: Session, lot_id: int) -> Finding | None:
    """Recompute the lot's chain; the first event altered, inserted or removed, else None.

    An event whose stored hash does not match its content was altered; one whose ``prev_hash``
    is not its predecessor's hash, or whose sequence number repeats, was inserted; a gap in the
    sequence numbers means one was removed; a chain shorter than the lot's count or whose last
    hash is not the lot's head lost its last events.
    """
    lot = session.get(Lot, lot_id)
    events = session.scalars(
        select(Event).where(Event.lot_id == lot_id).order_by(Event.seq, Event.id)
    ).all()
    prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq < expected_seq:
            return Finding(lot_id, event.seq, "inserted")
        if event.seq > expected_seq:
            return Finding(lot_id, event.seq, "removed")
        content = event_hash(
            event.prev_hash,
            lot_id,
            event.seq,
            event.at,
            event.kind,
            event.actor_role,
            event.article,
            event.detail,
        )
        if content != event.hash:
            return Finding(lot_id, event.seq, "altered")
        if event.prev_hash != prev:
            return Finding(lot_id, event.seq, "inserted")
        prev, expected_seq = event.hash, expected_seq + 1
    if lot is not None and (lot.event_count != len(events) or (lot.chain_head or GENESIS) != prev):
        return Finding(lot_id, len(events) + 1, "head")
    return None


def lot_ids(session: Session) -> list[int]:
    """Every lot with an audit trail, in order."""
    return list(session.scalars(select(Lot.id).where(Lot.event_count > 0).order_by(Lot.id)))
