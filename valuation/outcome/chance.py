"""The chance of sale by start ratio: a stated prior, updated by observed finished rounds.

Sold-only history cannot teach how often a lot fails, so the curve starts from
:class:`SalePrior` (the Zhejiang figure of 90% of lots sold within two rounds) and is updated
per ratio bin by observed rounds, sold and failed, once there are :data:`MIN_OWN_ROUNDS`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression

from valuation.outcome.records import ORIGINS, FinishedRound

# The prior: DOMAIN.md, Zhejiang courts on Taobao, first 17 months (2012–13): "over 90% sold".
# Read as: 90% of lots sell within their first two rounds.
SOLD_WITHIN_TWO_ROUNDS = 0.90
# Observed finished rounds needed before they update the prior, and the weight of the prior in
# pseudo-rounds per ratio bin when they do (a Beta prior of strength PRIOR_STRENGTH).
MIN_OWN_ROUNDS = 30
PRIOR_STRENGTH = 20.0
OWN_BIN_WIDTH = 0.05


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class SalePrior:
    """``P(sale | r) = 1 / (1 + exp(-(a + b·r)))``, b < 0: a higher start sells less often.

    It passes through (0.70, p1) and (0.56, p2), the round-1 and round-2 sale rates solved from
    ``p1 + (1 - p1)·p2 = SOLD_WITHIN_TWO_ROUNDS`` and ``(1 - p1)·p2 / p1 = n2 / n1``, where n1
    and n2 are the history's lots sold at a round-1 and at a round-2 start ratio.
    """

    intercept: float
    slope: float
    p_round1: float
    p_round2: float
    sold_round1: int
    sold_round2: int

    @classmethod
    def from_round_mix(cls, sold_round1: int, sold_round2: int) -> SalePrior:
        mix = sold_round2 / sold_round1
        p1 = SOLD_WITHIN_TWO_ROUNDS / (1 + mix)
        p2 = (SOLD_WITHIN_TWO_ROUNDS - p1) / (1 - p1)
        slope = (_logit(p1) - _logit(p2)) / (0.70 - 0.56)
        # A prior that rose with the start price would be absurd; the data never gives one,
        # but a hand-made history could: then the curve is flat at p1.
        slope = min(slope, 0.0)
        return cls(_logit(p1) - slope * 0.70, slope, p1, p2, sold_round1, sold_round2)

    def __call__(self, ratio: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.intercept + self.slope * np.asarray(ratio, float))))

    def describe(self) -> str:
        return (
            f"P(sale) = logistic({self.intercept:.2f} {self.slope:+.2f}·ratio): "
            f"{self.p_round1:.0%} at 0.70, {self.p_round2:.0%} at 0.56; from {self.sold_round1} "
            f"lots sold at a round-1 and {self.sold_round2} at a round-2 start ratio and 90% of "
            "lots sold within two rounds (Zhejiang courts on Taobao, 2012–13)"
        )


@dataclass(frozen=True, slots=True)
class ChanceOfSale:
    """Chance of sale on a ratio grid, non-increasing; ``learned`` when observed rounds updated
    it. ``own_rounds``/``own_sold`` count every observed round; ``by_origin`` splits them by
    where they were observed (:data:`~valuation.outcome.records.ORIGINS`: the project's own
    auctions, the platforms' crawled results) as ``{origin: {"rounds": n, "sold": s}}``."""

    ratios: tuple[float, ...]
    chances: tuple[float, ...]
    own_rounds: int
    own_sold: int
    learned: bool
    by_origin: dict[str, dict[str, int]] = field(default_factory=dict)

    def __call__(self, ratio: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(ratio, float), self.ratios, self.chances)


def _ratio_bin(ratio: np.ndarray | float) -> np.ndarray:
    # The epsilon keeps 0.70 / 0.05 (13.999…9 in floating point) in bin 14.
    return np.floor(np.asarray(ratio, float) / OWN_BIN_WIDTH + 1e-9).astype(int)


def chance_of_sale(prior: SalePrior, own: Sequence[FinishedRound]) -> ChanceOfSale:
    """The prior, updated per ratio bin by the observed rounds when there are enough of them.

    Per bin the posterior mean is ``(PRIOR_STRENGTH·prior + sold) / (PRIOR_STRENGTH + n)``;
    an isotonic fit then keeps the curve non-increasing in the ratio.
    """
    grid = np.round(np.arange(0.30, 1.5001, 0.01), 2)
    prior_p = prior(grid)
    sold = sum(r.sold for r in own)
    learned = len(own) >= MIN_OWN_ROUNDS and 0 < sold < len(own)
    by_origin = {
        origin: {
            "rounds": sum(r.origin == origin for r in own),
            "sold": sum(r.origin == origin and r.sold for r in own),
        }
        for origin in ORIGINS
    }
    if not learned:
        return ChanceOfSale(tuple(grid), tuple(prior_p), len(own), sold, False, by_origin)
    bins = _ratio_bin(grid)
    n = np.zeros(len(grid))
    s = np.zeros(len(grid))
    for r in own:
        hit = bins == _ratio_bin(r.start_ratio)
        n[hit] += 1
        s[hit] += r.sold
    post = (PRIOR_STRENGTH * prior_p + s) / (PRIOR_STRENGTH + n)
    iso = IsotonicRegression(increasing=False, y_min=0.0, y_max=1.0)
    fitted = iso.fit_transform(grid, post, sample_weight=PRIOR_STRENGTH + n)
    return ChanceOfSale(tuple(grid), tuple(fitted), len(own), sold, True, by_origin)
