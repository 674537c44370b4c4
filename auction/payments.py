"""Deposit payments (拍卖规定 第十七条: the deposit is paid before bidding).

The engine asks a :class:`PaymentAdapter` for a deposit, chosen by ``FAPAI_PAYMENT_ADAPTER``
(:func:`payment_adapter`):

- :class:`CourtAccountPayments` (the default): how courts work without a payment processor.
  The bidder gets a payment reference to quote when paying into the court's deposit account;
  the registration stays ``pending`` (no bidder code, no bids) until the court confirms the
  money arrived (``POST /api/registrations/{id}/confirm`` or ``fapai deposits import``).
- :class:`RecordedPayments`: records the deposit as paid at once, no money moves. For the demo
  and the tests only; every page says so while it is active.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from fapai.settings import Settings

# Letters and digits a person copies from a bank slip without confusing them (no 0/O, 1/I/L).
_REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_PREFIX = "FP"
REFERENCE_LENGTH = 10


class PaymentDeclined(Exception):
    """The payment provider refused the deposit."""


@dataclass(frozen=True)
class DepositRequest:
    """What the adapter answers: the payment reference and whether the money is already in."""

    reference: str
    confirmed: bool


class PaymentAdapter(Protocol):
    def collect_deposit(
        self, lot_id: int, user_id: int, amount_fen: int, now: datetime
    ) -> DepositRequest:
        """Ask for the deposit; return its reference (and whether it is confirmed) or raise
        PaymentDeclined."""
        ...


def new_reference() -> str:
    """``FP`` and 10 characters (about 50 bits), e.g. ``FP7KQ2M9XH4T``."""
    return REFERENCE_PREFIX + "".join(
        secrets.choice(_REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
    )


class CourtAccountPayments:
    """The bidder pays into the court's account quoting the reference; the court confirms."""

    def collect_deposit(
        self, lot_id: int, user_id: int, amount_fen: int, now: datetime
    ) -> DepositRequest:
        return DepositRequest(new_reference(), confirmed=False)


class RecordedPayments:
    """Records the deposit as paid (no money moves): the demo's and the tests' adapter."""

    def collect_deposit(
        self, lot_id: int, user_id: int, amount_fen: int, now: datetime
    ) -> DepositRequest:
        return DepositRequest(f"recorded:{new_reference()}", confirmed=True)


ADAPTERS: dict[str, type[CourtAccountPayments] | type[RecordedPayments]] = {
    "court_account": CourtAccountPayments,
    "recorded": RecordedPayments,
}


def payment_adapter(settings: Settings) -> PaymentAdapter:
    """The adapter named by ``FAPAI_PAYMENT_ADAPTER``."""
    return ADAPTERS[settings.payment_adapter]()


def deposits_are_recorded_only(settings: Settings) -> bool:
    """Whether deposits are recorded without money moving (the pages show a banner)."""
    return settings.payment_adapter == "recorded"
