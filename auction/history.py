"""The project's own finished rounds, as plain records for whoever learns from them.

The outcome model (valuation) learns the chance of sale from rounds that sold and rounds that
failed; this room hands them out without knowing who reads them (the CLI turns them into
valuation's records). Money in integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from auction.store import Lot, Round
from fapai.clock import ensure_utc


@dataclass(frozen=True, slots=True)
class FinishedRoundRecord:
    """A round 1 or 2 that closed sold or failed, with its lot's place, size and reference."""

    city: str
    district: str | None
    area_m2: float | None
    reference_fen: int
    closed_on: date  # UTC date of the close
    start_fen: int
    sold: bool
    final_fen: int | None


def finished_rounds(session: Session) -> list[FinishedRoundRecord]:
    """Finished rounds 1 and 2 (sold or failed) of lots with a reference price.

    Reneged rounds (悔拍) are neither a sale nor a failure to attract a bid, so they are left
    out; so are 变卖 periods (a fixed price, not a start price).
    """
    rows = session.execute(
        select(Round, Lot)
        .join(Lot, Round.lot_id == Lot.id)
        .where(
            Round.closed_at.is_not(None),
            Round.outcome.in_(("sold", "failed")),
            Round.kind.in_(("1", "2")),
            Lot.reference_price > 0,
        )
    ).all()
    return [
        FinishedRoundRecord(
            city=lot.city,
            district=lot.district,
            area_m2=lot.area_m2,
            reference_fen=lot.reference_price,
            closed_on=ensure_utc(rnd.closed_at).date(),
            start_fen=rnd.start_price,
            sold=rnd.outcome == "sold",
            final_fen=rnd.final_price,
        )
        for rnd, lot in rows
    ]
