"""Deposit payments (拍卖规定 第十七条: the deposit is paid before bidding).

The engine talks to a :class:`PaymentAdapter`; a court plugs in its bank ("one case, one
account"). The default :class:`RecordedPayments` records the deposit as paid.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class PaymentDeclined(Exception):
    """The payment provider refused the deposit."""


class PaymentAdapter(Protocol):
    def collect_deposit(self, lot_id: int, user_id: int, amount_fen: int, now: datetime) -> str:
        """Take the deposit; return the provider's payment reference or raise PaymentDeclined."""
        ...


class RecordedPayments:
    """Records the deposit as paid (no money moves): the default for a court's own ledger."""

    def collect_deposit(self, lot_id: int, user_id: int, amount_fen: int, now: datetime) -> str:
        return f"recorded:{lot_id}:{user_id}:{amount_fen}:{now:%Y%m%dT%H%M%S}"
