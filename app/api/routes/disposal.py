"""The court's disposal of a lot after publication: the applicant creditor, suspend (暂缓) or
stop (中止), resume, withdraw (撤回), the balance payment, the confirmation (成交确认书) and the
public audit trail.
Routes parse, call the engine or a read model, and shape the answer; writes commit before they
return (see ``app.api.routes.lots``)."""

from __future__ import annotations

from fastapi import APIRouter

from app import queries
from app.deps import ClockDep, LotId, OwnLotId, SessionDep, SettingsDep, WriterSessionDep
from app.schemas import (
    ConfirmationView,
    CreditorCreate,
    EventView,
    LotView,
    PaymentCreate,
    PaymentView,
    ResumeRequest,
    SuspendRequest,
    WithdrawRequest,
)
from auction import engine
from fapai.crypto import keys
from fapai.money import to_fen

router = APIRouter(tags=["disposal"])


@router.post("/lots/{lot_id}/creditor", response_model=LotView)
def set_creditor(
    lot_id: OwnLotId,
    body: CreditorCreate,
    session: WriterSessionDep,
    clock: ClockDep,
) -> LotView:
    """Name the applicant creditor and its claim before bidding starts (court; 拍卖规定
    第十七条): it registers without a deposit, or pays what its claim does not cover."""
    now = clock.now()
    engine.set_applicant_creditor(session, lot_id, body.bidder_id, to_fen(body.claim), now)
    view = queries.get_lot(session, lot_id, now)
    session.commit()
    return view


@router.post("/lots/{lot_id}/suspend", response_model=LotView)
def suspend(
    lot_id: OwnLotId,
    body: SuspendRequest,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> LotView:
    """Suspend (暂缓, ``mode=suspend``) or stop (中止, ``mode=stop``) an open auction or 变卖
    (court; 拍卖规定 第二十八条): bidding stops at once, the reason is published, deposits are
    marked for refund."""
    now = clock.now()
    engine.suspend(
        session, lot_id, body.reason, now, settings, stop=body.mode == "stop", article=body.article
    )
    view = queries.get_lot(session, lot_id, now)
    session.commit()
    return view


@router.post("/lots/{lot_id}/resume", response_model=LotView)
def resume(
    lot_id: OwnLotId,
    body: ResumeRequest,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> LotView:
    """Resume a suspended or stopped lot on a new schedule (court; 第二十八条: within 5 days)."""
    now = clock.now()
    engine.resume(session, lot_id, body.starts_at, body.ends_at, now, settings)
    view = queries.get_lot(session, lot_id, now)
    session.commit()
    return view


@router.post("/lots/{lot_id}/withdraw", response_model=LotView)
def withdraw(
    lot_id: OwnLotId,
    body: WithdrawRequest,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> LotView:
    """Withdraw the lot (撤回; court), e.g. the debt was paid: bidding stops, deposits refunded."""
    now = clock.now()
    engine.withdraw(session, lot_id, body.reason, now, settings, article=body.article)
    view = queries.get_lot(session, lot_id, now)
    session.commit()
    return view


@router.get("/lots/{lot_id}/payments", response_model=PaymentView)
def get_payments(lot_id: OwnLotId, session: SessionDep) -> PaymentView:
    """The balance of a sold lot: price, deposit applied, paid, outstanding, deadline (court)."""
    return queries.payment_view(session, lot_id)


@router.post("/lots/{lot_id}/payments", response_model=PaymentView, status_code=201)
def record_payment(
    lot_id: OwnLotId,
    body: PaymentCreate,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> PaymentView:
    """Record the buyer's balance payment (court; 拍卖规定 第二十五条). Paid in full by the
    deadline, the lot is ``confirmed``; unpaid at the deadline, the closing loop records a
    renege (第二十四条)."""
    engine.record_payment(session, lot_id, to_fen(body.amount), clock.now(), settings)
    view = queries.payment_view(session, lot_id)
    session.commit()
    return view


@router.get("/lots/{lot_id}/confirmation", response_model=ConfirmationView)
def get_confirmation(lot_id: LotId, session: SessionDep, settings: SettingsDep) -> ConfirmationView:
    """成交确认书 (拍卖规定 第二十二条), public once the round sold: the buyer's real name, ID
    number and phone masked. 409 before the sale (identities stay secret, 第十八条)."""
    return queries.confirmation(session, lot_id, keys(settings))


@router.get("/lots/{lot_id}/events", response_model=list[EventView])
def list_events(lot_id: LotId, session: SessionDep) -> list[EventView]:
    """The lot's audit trail, oldest first, each event with the hash of the one before it
    (bidders by bidder code only). ``fapai audit verify`` recomputes the chain."""
    return queries.list_events(session, lot_id)
