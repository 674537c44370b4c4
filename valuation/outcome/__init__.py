"""The auction-outcome model: chance of sale and expected final price by start ratio.

For a lot with a reference price, each lawful start price ``s`` has a start ratio
``r = s / reference``. The model gives, along a grid of ratios in the lawful range:

- ``chance_of_sale(r)``: non-increasing in r. Sold-only history cannot teach it, so it starts
  from a stated prior and is updated by observed finished rounds, sold and failed
  (:mod:`valuation.outcome.chance`);
- ``expected_final(r)``: the expected final price given a sale, non-decreasing in r and never
  below the start (bids below the start are invalid, 拍卖规定 第二十条): a gradient-boosting
  regressor with a monotone constraint on r (:mod:`valuation.outcome.regressor`), trained on
  sold lots (:mod:`valuation.outcome.history`, :mod:`valuation.outcome.train`);
- ``expected_recovery(r) = chance_of_sale(r) × expected_final(r)``; the proposal is the lawful
  start that maximises it (:mod:`valuation.outcome.curve`).

What the model reads of the world is :class:`~valuation.outcome.records.FinishedRound`: the
auction room and the crawled results hand those in; this package never reads their tables.
Artifacts live in the one model registry (:mod:`valuation.registry`) as kind ``outcome``.
"""

from valuation.outcome.curve import OutcomeCurve, OutcomeModel, lawful_start_range
from valuation.outcome.history import crawled_rounds, load_history
from valuation.outcome.records import FinishedRound, Lot
from valuation.outcome.train import MODEL_NAME, train_outcome

__all__ = [
    "MODEL_NAME",
    "FinishedRound",
    "Lot",
    "OutcomeCurve",
    "OutcomeModel",
    "crawled_rounds",
    "lawful_start_range",
    "load_history",
    "train_outcome",
]
