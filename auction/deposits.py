"""The court's deposit ledger: confirming deposits from a bank statement, recording refunds
against the payment reference, and the refunds that are overdue (拍卖规定 第二十三条: losers'
deposits are refunded within 24 hours of the auction's end, ``FAPAI_REFUND_HOURS``).

A bank statement is a CSV file with a header row. The payment reference is looked for in any
column (banks put the payer's memo in 摘要, 附言, 用途 or 备注); the amount is read from a
column named 金额, 交易金额, 贷方金额, 收入金额 or amount. A line whose reference names a pending
registration and whose amount is at least its deposit confirms it.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction import engine
from auction.payments import REFERENCE_LENGTH, REFERENCE_PREFIX
from auction.store import (
    DEPOSIT_PENDING,
    DEPOSIT_REFUND_DUE,
    DEPOSIT_REFUNDED,
    Case,
    Lot,
    Registration,
)
from fapai.errors import Conflict, NotFound
from fapai.money import to_fen
from fapai.settings import Settings

AMOUNT_COLUMNS = ("金额", "交易金额", "贷方金额", "收入金额", "贷方发生额", "amount")
_REFERENCE = re.compile(rf"{REFERENCE_PREFIX}[2-9A-HJKMNP-Z]{{{REFERENCE_LENGTH}}}")


def _own_registration(session: Session, reference: str, court_id: int | None) -> Registration:
    reg = session.scalars(
        select(Registration)
        .join(Lot, Lot.id == Registration.lot_id)
        .where(Registration.payment_reference == reference.strip(), Lot.court_id == court_id)
    ).first()
    if reg is None or court_id is None:
        raise NotFound(f"没有付款参考号为 {reference} 的报名", "reference")
    return reg


def record_refund(
    session: Session, registration_id: int, court_id: int | None, now: datetime
) -> Registration:
    """The court refunded the deposit of a registration of its own lot (第二十三条)."""
    reg = session.get(Registration, registration_id, populate_existing=True)
    if reg is None:
        raise NotFound(f"没有编号为 {registration_id} 的报名", "registration_id")
    engine.court_lot(session, reg.lot_id, court_id)
    if reg.deposit_status == DEPOSIT_REFUNDED:
        return reg
    if reg.deposit_status != DEPOSIT_REFUND_DUE:
        raise Conflict(f"该保证金不在待退还状态（{reg.deposit_status}）", "registration_id")
    reg.deposit_status, reg.refunded_at = DEPOSIT_REFUNDED, now
    session.flush()
    return reg


def refund_by_reference(
    session: Session, reference: str, court_id: int | None, now: datetime
) -> Registration:
    """:func:`record_refund` of the registration with this payment reference."""
    return record_refund(session, _own_registration(session, reference, court_id).id, court_id, now)


@dataclass(frozen=True)
class DueRefund:
    registration_id: int
    lot_id: int
    case_number: str
    bidder_code: str | None
    payment_reference: str | None
    deposit: int  # fen
    refund_due_by: datetime


def due_refunds(
    session: Session, court_id: int | None, now: datetime, overdue_only: bool = True
) -> list[DueRefund]:
    """Deposits of the court's lots still to refund, oldest deadline first; with
    ``overdue_only`` just those whose 第二十三条 deadline has passed."""
    stmt = (
        select(Registration, Case.case_number)
        .join(Lot, Lot.id == Registration.lot_id)
        .join(Case, Case.id == Lot.case_id)
        .where(Lot.court_id == court_id, Registration.deposit_status == DEPOSIT_REFUND_DUE)
        .order_by(Registration.refund_due_by, Registration.id)
    )
    if overdue_only:
        stmt = stmt.where(Registration.refund_due_by < now)
    return [
        DueRefund(
            reg.id,
            reg.lot_id,
            case_number,
            reg.bidder_code,
            reg.payment_reference,
            reg.deposit,
            reg.refund_due_by,
        )
        for reg, case_number in session.execute(stmt)
    ]


@dataclass
class StatementImport:
    """What a bank statement did: registrations confirmed, and lines set aside with why."""

    confirmed: list[str] = field(default_factory=list)  # payment references
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason in words)


def _amount_fen(row: dict[str, str]) -> int | None:
    for name in AMOUNT_COLUMNS:
        text = (row.get(name) or "").replace(",", "").replace("¥", "").strip()
        if text:
            try:
                return to_fen(Decimal(text))
            except (InvalidOperation, ValueError):
                return None
    return None


def import_statement(
    session: Session, text: str, court_id: int | None, now: datetime, settings: Settings
) -> StatementImport:
    """Confirm the pending deposits a bank statement shows arrived (see the module docstring).
    Only the court's own registrations are matched; the rest are reported, never guessed."""
    result = StatementImport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    for line, row in enumerate(reader, start=2):
        found = {m for v in row.values() if v for m in _REFERENCE.findall(str(v).upper())}
        if len(found) != 1:
            result.skipped.append((line, "没有付款参考号" if not found else "有多个付款参考号"))
            continue
        reference = found.pop()
        try:
            reg = _own_registration(session, reference, court_id)
        except NotFound:
            result.skipped.append((line, f"{reference}：不是本院的报名"))
            continue
        amount = _amount_fen(row)
        if amount is None or amount < reg.deposit:
            result.skipped.append((line, f"{reference}：金额不足或无法识别"))
            continue
        if reg.deposit_status != DEPOSIT_PENDING:
            result.skipped.append((line, f"{reference}：已确认过"))
            continue
        engine.confirm_deposit(session, reg.id, court_id, now, settings)
        result.confirmed.append(reference)
    return result
