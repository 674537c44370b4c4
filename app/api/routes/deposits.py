"""Deposits, the court's side: confirm a deposit that arrived (one registration, or a bank
statement), record a refund, and the refunds due or overdue (拍卖规定 第二十三条). Thin: the
rules live in :mod:`auction.engine` and :mod:`auction.deposits`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query

from app import queries
from app.deps import (
    ClockDep,
    CourtUser,
    RegistrationId,
    SessionDep,
    SettingsDep,
    WriterSessionDep,
)
from app.schemas import RefundView, RegistrationView, StatementResult
from auction import deposits, engine
from fapai.money import fen_to_yuan

router = APIRouter(tags=["deposits"])


@router.post("/registrations/{registration_id}/confirm", response_model=RegistrationView)
def confirm(
    registration_id: RegistrationId,
    user: CourtUser,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> RegistrationView:
    """The deposit arrived in the court's account: the bidder gets a bidder code and may bid
    (court; 拍卖规定 第十七条). Another court's registration is 404."""
    reg = engine.confirm_deposit(session, registration_id, user.court_id, clock.now(), settings)
    view = queries.registration_view(session, reg)
    session.commit()
    return view


@router.post("/registrations/{registration_id}/refund", response_model=RegistrationView)
def refund(
    registration_id: RegistrationId, user: CourtUser, session: WriterSessionDep, clock: ClockDep
) -> RegistrationView:
    """Record that the deposit was refunded (court; 拍卖规定 第二十三条)."""
    reg = deposits.record_refund(session, registration_id, user.court_id, clock.now())
    view = queries.registration_view(session, reg)
    session.commit()
    return view


@router.get("/deposits/refunds", response_model=list[RefundView])
def due_refunds(
    user: CourtUser,
    session: SessionDep,
    clock: ClockDep,
    overdue: Annotated[bool, Query(description="Only those past the 24-hour deadline")] = True,
) -> list[RefundView]:
    """Your court's deposits still to refund, oldest deadline first; by default only those
    past 第二十三条's deadline."""
    return [
        RefundView(**{**vars(r), "deposit": fen_to_yuan(r.deposit)})
        for r in deposits.due_refunds(session, user.court_id, clock.now(), overdue)
    ]


@router.post("/deposits/statement", response_model=StatementResult)
def import_statement(
    user: CourtUser,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    statement: Annotated[str, Body(media_type="text/csv", description="The bank's CSV")],
) -> StatementResult:
    """Confirm every pending deposit of your court a bank statement (CSV) shows arrived."""
    result = deposits.import_statement(session, statement, user.court_id, clock.now(), settings)
    session.commit()
    return StatementResult(confirmed=result.confirmed, skipped=result.skipped)
