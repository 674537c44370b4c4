"""Training the outcome model and writing its card (data, metrics, versions).

The expected-price regressor learns from the shipped sold-lot history plus the sold observed
rounds; the chance of sale from the prior and every observed round, sold and failed. Metrics
come from a time-ordered hold-out, each beside a baseline measured in the same run.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import sklearn

from valuation.outcome.chance import MIN_OWN_ROUNDS, SalePrior, chance_of_sale
from valuation.outcome.curve import OutcomeModel
from valuation.outcome.history import HISTORY_COLUMNS, load_history, sold_rows
from valuation.outcome.records import FinishedRound
from valuation.outcome.regressor import FEATURES, accuracy, features, pipeline

MODEL_NAME = "outcome"
HOLDOUT_SHARE = 0.2


def train_outcome(
    history: pd.DataFrame,
    own: Sequence[FinishedRound],
    now: datetime,
    extra_sources: dict[str, int] | None = None,
) -> OutcomeModel:
    """Fit the expected-price regressor on sold lots and the chance of sale on observed rounds.

    ``history`` has the columns of :func:`~valuation.outcome.history.load_history`; ``own`` are
    the observed finished rounds (the project's own and crawled): their sales join the price
    data, and all of them, sold and failed, update the chance-of-sale prior.

    Metrics come from a time-ordered hold-out (the latest 20% of sold lots), each beside a
    baseline measured in the same run: final = start × the training median (and weighted mean)
    of final / start.
    """
    own_sold = sold_rows(own)
    data = pd.concat([history, own_sold], ignore_index=True) if len(own_sold) else history
    data = data.sort_values("sold_on", kind="stable").reset_index(drop=True)
    if len(data) < 10:
        raise ValueError(f"成交拍品太少，无法训练结果模型（{len(data)} 件）")
    x, y = features(data), (data["final_fen"] / data["reference_fen"]).to_numpy()
    w = data["weight"].to_numpy()
    cut = int(len(data) * (1 - HOLDOUT_SHARE))
    held = pipeline().fit(x.iloc[:cut], y[:cut], regress__sample_weight=w[:cut])
    actual = data["final_fen"].to_numpy()[cut:].astype(float)
    ref = data["reference_fen"].to_numpy()[cut:]
    predicted = np.maximum(held.predict(x.iloc[cut:]), x["start_ratio"].to_numpy()[cut:]) * ref
    premiums = y[:cut] / x["start_ratio"].to_numpy()[:cut]
    median_premium = float(np.median(premiums))
    mean_premium = float(np.average(premiums, weights=w[:cut]))
    held_starts = data["start_fen"].to_numpy()[cut:]
    fitted = pipeline().fit(x, y, regress__sample_weight=w)

    hints = history["round_hint"].value_counts()
    prior = SalePrior.from_round_mix(int(hints.get("1", 0)), int(hints.get("2", 0)))
    chance = chance_of_sale(prior, own)
    version = now.strftime("%Y%m%d%H%M%S")
    digest = hashlib.sha256(
        pd.util.hash_pandas_object(data[list(HISTORY_COLUMNS)], index=False).to_numpy()
    ).hexdigest()
    card = {
        "name": MODEL_NAME,
        "kind": MODEL_NAME,
        "version": version,
        "created_at": now.isoformat(),
        "task": "auction outcome: expected final price given a sale, and chance of sale, "
        "by start ratio (start / reference)",
        "data": {
            "sha256": digest,
            "rows": len(data),
            "date_range": [str(data["sold_on"].min().date()), str(data["sold_on"].max().date())],
            "sources": {
                "shipped_history": len(history),
                **(extra_sources or {}),
                "observed_sold_rounds": len(data) - len(history),
            },
            "observed_finished_rounds": len(own),
        },
        "features": list(FEATURES),
        "target": "final / reference, squared error; monotone non-decreasing in start_ratio",
        "metrics": {
            "holdout": "latest 20% of sold lots by date",
            "holdout_rows": len(data) - cut,
            "model": accuracy(actual, predicted),
            "baseline_start_times_median_premium": accuracy(actual, held_starts * median_premium),
            "baseline_start_times_mean_premium": accuracy(actual, held_starts * mean_premium),
            "premiums": {"median": round(median_premium, 4), "mean": round(mean_premium, 4)},
        },
        "chance_of_sale": {
            "source": "prior + own results" if chance.learned else "prior",
            "prior": prior.describe(),
            "min_own_rounds": MIN_OWN_ROUNDS,
            "own_rounds": chance.own_rounds,
            "own_sold": chance.own_sold,
            # Observed rounds by where they were seen (the project's own, crawled results).
            "learned_from": chance.by_origin,
            "shipped_history": "sold lots only: it cannot teach how often a lot fails",
        },
        "versions": {
            "scikit-learn": sklearn.__version__,
            "pandas": pd.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
    }
    return OutcomeModel(
        version=version,
        created_at=now,
        pipeline=fitted,
        chance=chance,
        prior=prior,
        city_rows={str(k): int(v) for k, v in data["city"].value_counts().items()},
        card=card,
    )


def train_default_outcome(now: datetime) -> OutcomeModel:
    """The outcome model from the shipped history alone (a second or two): what a fresh
    machine serves until ``fapai train-outcome`` learns from observed rounds."""
    return train_outcome(load_history(), [], now)
