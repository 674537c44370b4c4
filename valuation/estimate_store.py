"""fapai's market estimate of each auction lot, stored: what the lot page, ``GET /api/lots/{id}``
and the search's "起拍价 ÷ 市场估价" read.

One row per lot (``lot_id``: the auction room's lot id; no ORM link, valuation does not import
auction). Money in integer fen. A row records either the estimate (the price model's price and
its 80%/90% interval at ``as_of``, and the outcome model's expected final price at the lot's
start price) or why fapai cannot price the lot honestly (``refused``: ``field:code``, a key of
:data:`valuation.model.REFUSALS`, and ``reason``, the sentence a person reads). Each row names
the model versions that computed it and when, so a row left by a model no longer promoted is
found and computed again (:func:`stale_condition`).

This is fapai's independent estimate, never the legal reference price (参考价规定 第十三条).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime

from sqlalchemy import BigInteger, ColumnElement, Date, Integer, String, Text, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from fapai.db import Base, UTCDateTime


class MarketEstimate(Base):
    __tablename__ = "market_estimates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(Integer, unique=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    as_of: Mapped[date] = mapped_column(Date)  # the valuation date priced at
    model_version: Mapped[str] = mapped_column(String(80))
    outcome_model_version: Mapped[str] = mapped_column(String(80))
    # The lot's start price the ratio and the expected final price were computed for (fen).
    start_price: Mapped[int] = mapped_column(BigInteger)
    estimate: Mapped[int | None] = mapped_column(BigInteger)  # fen; None: refused
    low80: Mapped[int | None] = mapped_column(BigInteger)
    high80: Mapped[int | None] = mapped_column(BigInteger)
    low90: Mapped[int | None] = mapped_column(BigInteger)
    high90: Mapped[int | None] = mapped_column(BigInteger)
    expected_final: Mapped[int | None] = mapped_column(BigInteger)  # fen, given a sale
    refused: Mapped[str | None] = mapped_column(String(60))  # field:code
    reason: Mapped[str | None] = mapped_column(Text)  # why, in Chinese (refused or no outcome)


@dataclass(frozen=True)
class EstimateRow:
    """One lot's estimate as computed (money in fen), before it is stored."""

    lot_id: int
    computed_at: datetime
    as_of: date
    model_version: str
    outcome_model_version: str
    start_price: int
    estimate: int | None = None
    low80: int | None = None
    high80: int | None = None
    low90: int | None = None
    high90: int | None = None
    expected_final: int | None = None
    refused: str | None = None
    reason: str | None = None


_UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def save_estimates(session: Session, rows: Sequence[EstimateRow]) -> None:
    """Store ``rows``, replacing each lot's earlier estimate, in one statement: an upsert on
    ``lot_id``, so two servers storing the same lot at once both succeed. The caller owns the
    transaction."""
    if not rows:
        return
    insert = _UPSERTS[session.get_bind().dialect.name](MarketEstimate)
    values = [asdict(r) for r in rows]
    changed = {name: insert.excluded[name] for name in values[0] if name != "lot_id"}
    upsert = insert.on_conflict_do_update(index_elements=["lot_id"], set_=changed)
    session.execute(upsert, values)


def estimates_of(session: Session, lot_ids: Iterable[int]) -> dict[int, MarketEstimate]:
    """The stored estimates of these lots, by lot id (a lot without one is absent)."""
    ids = list(lot_ids)
    if not ids:
        return {}
    found = session.scalars(select(MarketEstimate).where(MarketEstimate.lot_id.in_(ids)))
    return {row.lot_id: row for row in found}


def stale_condition(model_version: str, outcome_model_version: str) -> ColumnElement[bool]:
    """SQL: a stored estimate computed by other models than these."""
    return or_(
        MarketEstimate.model_version != model_version,
        MarketEstimate.outcome_model_version != outcome_model_version,
    )
