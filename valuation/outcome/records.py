"""What the outcome model reads of the world: a lot and its finished rounds (money in fen).

These records are the interface: the auction room turns its own finished rounds into
:class:`FinishedRound` (``auction.history.finished_rounds``), the crawled results do the same
(:func:`valuation.outcome.history.crawled_rounds`), and the CLI hands both to training.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Lot:
    """What the outcome model needs of a lot. Money in integer fen."""

    city: str
    reference_fen: int
    when: date
    area_m2: float | None = None
    district: str | None = None


# Where a finished round was observed: the project's own auctions or a platform's published
# results (crawled). The report says which the chance of sale learned from.
ORIGINS = ("own", "crawled")


@dataclass(frozen=True, slots=True)
class FinishedRound:
    """One finished round (sold or failed) of the project's own auctions or of a crawl."""

    lot: Lot
    start_fen: int
    sold: bool
    final_fen: int | None = None
    origin: str = "own"  # one of ORIGINS

    @property
    def start_ratio(self) -> float:
        return self.start_fen / self.lot.reference_fen
