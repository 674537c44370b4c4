"""The auction-outcome model: chance of sale and expected final price by start ratio.

For a lot with a reference price, each lawful start price ``s`` has a start ratio
``r = s / reference``. The model gives, along a grid of ratios in the lawful range:

- ``chance_of_sale(r)``: non-increasing in r. Sold-only history cannot teach it, so it starts
  from a stated prior (:class:`SalePrior`) and is updated by the project's own finished rounds
  (sold and failed) once there are at least :data:`MIN_OWN_ROUNDS` of them;
- ``expected_final(r)``: the expected final price given a sale, non-decreasing in r and never
  below the start (bids below the start are invalid, 拍卖规定 第二十条). A gradient-boosting
  regressor with a monotone constraint on r, trained on sold lots (the shipped history, the
  project's own sold rounds and crawled results);
- ``expected_recovery(r) = chance_of_sale(r) × expected_final(r)``, the money this round is
  expected to bring in; a failed round brings nothing now and leads to a re-auction
  (拍卖规定 第二十六条).

The proposal is the start price in the lawful range that maximises expected recovery:
round 1 from 70% of the reference (拍卖规定 第十条), round 2 from 80% of the previous start
(a cut of at most 20%, 拍卖规定 第二十六条), both up to :data:`MAX_START_RATIO`.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import math
import platform
import threading
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.isotonic import IsotonicRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from sqlalchemy import select
from sqlalchemy.orm import Session

from fapai.clock import ensure_utc
from fapai.law import min_start_price
from fapai.money import fen_to_yuan, ratio_of
from fapai.settings import Settings
from valuation.auction_history.derive import HISTORY_FILE
from valuation.registry import ModelRegistry

log = logging.getLogger(__name__)

MODEL_NAME = "outcome"
# The history has no first-round start above the reference price worth learning from (18 of
# 16,140 rows): a higher start is lawful but outside the data, so it is not proposed.
MAX_START_RATIO = Decimal("1.00")
GRID_STEP = Decimal("0.01")
# The prior: DOMAIN.md, Zhejiang courts on Taobao, first 17 months (2012–13): "over 90% sold".
# Read as: 90% of lots sell within their first two rounds.
SOLD_WITHIN_TWO_ROUNDS = 0.90
# Own finished rounds needed before they update the prior, and the weight of the prior in
# pseudo-rounds per ratio bin when they do (a Beta prior of strength PRIOR_STRENGTH).
MIN_OWN_ROUNDS = 30
PRIOR_STRENGTH = 20.0
OWN_BIN_WIDTH = 0.05
# Sold lots of the lot's own city needed before the expected-price curve is trusted for it.
MIN_CITY_ROWS = 50
LOW_TRUST_WEIGHT = 0.5  # rows the archive filled with a language model (is_ai_fixed)
HOLDOUT_SHARE = 0.2

FALLBACK_PRIOR = (
    "chance of sale from the stated prior (no own results learned yet): a logistic curve in "
    "the start ratio through the round-1 and round-2 sale rates implied by the history's round "
    "mix and the Zhejiang figure of 90% of lots sold"
)
FALLBACK_FLOOR = (
    "the lowest lawful start: 70% of the reference in round 1 (拍卖规定 第十条), 80% of the "
    "previous start in round 2 (拍卖规定 第二十六条)"
)
FEATURES = ("city", "start_ratio", "log_area", "log_reference", "year")
HISTORY_COLUMNS = (
    "city",
    "sold_on",
    "area_m2",
    "reference_fen",
    "start_fen",
    "final_fen",
    "round_hint",
    "weight",
)


class OutcomeModelError(RuntimeError):
    """An outcome artifact that cannot be used (missing, or saved by another scikit-learn)."""


@dataclass(frozen=True, slots=True)
class Lot:
    """What the outcome model needs of a lot. Money in integer fen."""

    city: str
    reference_fen: int
    when: date
    area_m2: float | None = None
    district: str | None = None


@dataclass(frozen=True, slots=True)
class FinishedRound:
    """One finished round from the project's own auctions (sold or failed) or a crawl."""

    lot: Lot
    start_fen: int
    sold: bool
    final_fen: int | None = None

    @property
    def start_ratio(self) -> float:
        return self.start_fen / self.lot.reference_fen


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


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


@dataclass(frozen=True, slots=True)
class ChanceOfSale:
    """Chance of sale on a ratio grid, non-increasing; ``learned`` when own rounds updated it."""

    ratios: tuple[float, ...]
    chances: tuple[float, ...]
    own_rounds: int
    own_sold: int
    learned: bool

    def __call__(self, ratio: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(ratio, float), self.ratios, self.chances)


def _ratio_bin(ratio: np.ndarray | float) -> np.ndarray:
    # The epsilon keeps 0.70 / 0.05 (13.999…9 in floating point) in bin 14.
    return np.floor(np.asarray(ratio, float) / OWN_BIN_WIDTH + 1e-9).astype(int)


def chance_of_sale(prior: SalePrior, own: Sequence[FinishedRound]) -> ChanceOfSale:
    """The prior, updated per ratio bin by the own rounds when there are enough of them.

    Per bin the posterior mean is ``(PRIOR_STRENGTH·prior + sold) / (PRIOR_STRENGTH + n)``;
    an isotonic fit then keeps the curve non-increasing in the ratio.
    """
    grid = np.round(np.arange(0.30, 1.5001, 0.01), 2)
    prior_p = prior(grid)
    sold = sum(r.sold for r in own)
    learned = len(own) >= MIN_OWN_ROUNDS and 0 < sold < len(own)
    if not learned:
        return ChanceOfSale(tuple(grid), tuple(prior_p), len(own), sold, False)
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
    return ChanceOfSale(tuple(grid), tuple(fitted), len(own), sold, True)


# --- training data -------------------------------------------------------------------------


def load_history(path: Path = HISTORY_FILE) -> pd.DataFrame:
    """The shipped sold-lot history (see valuation/auction_history/DATA_CARD.md)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        df = pd.DataFrame(list(csv.DictReader(fh)))
    return pd.DataFrame(
        {
            "city": df["city"],
            "sold_on": pd.to_datetime(df["sold_on"]),
            "area_m2": pd.to_numeric(df["area_m2"].replace("", None), errors="coerce"),
            "reference_fen": df["reference_fen"].astype("int64"),
            "start_fen": df["start_fen"].astype("int64"),
            "final_fen": df["final_fen"].astype("int64"),
            "round_hint": df["round_hint"],
            "weight": np.where(df["low_trust"] == "1", LOW_TRUST_WEIGHT, 1.0),
        }
    )


def sold_rows(rounds: Iterable[FinishedRound]) -> pd.DataFrame:
    """Sold rounds as history rows (the same columns as :func:`load_history`)."""
    rows = [
        {
            "city": r.lot.city,
            "sold_on": pd.Timestamp(r.lot.when),
            "area_m2": r.lot.area_m2,
            "reference_fen": r.lot.reference_fen,
            "start_fen": r.start_fen,
            "final_fen": r.final_fen,
            "round_hint": "",
            "weight": 1.0,
        }
        for r in rounds
        if r.sold and r.final_fen is not None
    ]
    return pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))


def features(df: pd.DataFrame) -> pd.DataFrame:
    """Model inputs: city, start ratio, log area (m²), log reference (yuan), fractional year."""
    when = pd.to_datetime(df["sold_on"])
    return pd.DataFrame(
        {
            "city": df["city"].astype(str),
            "start_ratio": df["start_fen"].astype(float) / df["reference_fen"].astype(float),
            "log_area": np.log(pd.to_numeric(df["area_m2"], errors="coerce").astype(float)),
            "log_reference": np.log(df["reference_fen"].astype(float) / 100.0),
            "year": when.dt.year + (when.dt.day_of_year - 1) / 365.25,
        },
        index=df.index,
    )


def _pipeline() -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "city",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                ["city"],
            ),
            ("numbers", "passthrough", ["start_ratio", "log_area", "log_reference", "year"]),
        ]
    )
    # Monotone +1 in the start ratio: a higher start never lowers the expected final price.
    gbr = HistGradientBoostingRegressor(
        categorical_features=[0],
        monotonic_cst=[0, 1, 0, 0, 0],
        max_iter=300,
        learning_rate=0.05,
        min_samples_leaf=40,
        random_state=0,
    )
    return Pipeline([("encode", encode), ("regress", gbr)])


def _accuracy(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MdAPE and shares within ±10% / ±20% per lot; ``total_ratio`` = Σ predicted / Σ actual,
    the check that matters for an *expected* price (1.0 = unbiased in money)."""
    ape = np.abs(predicted / actual - 1.0)
    return {
        "mdape": round(float(np.median(ape)), 4),
        "within_10pct": round(float(np.mean(ape <= 0.10)), 4),
        "within_20pct": round(float(np.mean(ape <= 0.20)), 4),
        "total_ratio": round(float(predicted.sum() / actual.sum()), 4),
    }


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CurvePoint:
    start_ratio: Decimal
    start_price: Decimal  # yuan
    chance_of_sale: Decimal  # 0..1, 3 decimals
    expected_final_price: Decimal  # yuan, given a sale
    expected_recovery: Decimal  # yuan = chance × expected final

    def to_json(self) -> dict[str, Any]:
        return {k: json_number(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class OutcomeCurve:
    """The curve over the lawful range and the start price it proposes."""

    round_no: int
    lawful_min: Decimal  # yuan
    lawful_max: Decimal  # yuan
    points: tuple[CurvePoint, ...]
    proposed: CurvePoint
    chance_source: str  # "prior" or "prior + own results"
    fallback: tuple[str, ...]  # the fallback policies in force, with why; empty if none
    history: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round_no,
            "lawful_range": [json_number(self.lawful_min), json_number(self.lawful_max)],
            "proposed": self.proposed.to_json(),
            "chance_source": self.chance_source,
            "fallback": list(self.fallback),
            "history": dict(self.history),
            "curve": [p.to_json() for p in self.points],
        }


def json_number(v: Decimal) -> float | int:
    """Decimal → a JSON number with the digits it has (money ≤ 2 decimals)."""
    return int(v) if v == v.to_integral_value() else float(v)


@dataclass
class OutcomeModel:
    version: str
    created_at: datetime
    pipeline: Pipeline
    chance: ChanceOfSale
    prior: SalePrior
    city_rows: dict[str, int]
    card: dict[str, Any]

    # -- prediction ---------------------------------------------------------------------------

    def curve(
        self,
        lot: Lot,
        settings: Settings,
        round_no: int = 1,
        previous_start_fen: int | None = None,
    ) -> OutcomeCurve:
        """Chance, expected final and expected recovery over the lawful start range."""
        lo_fen, hi_fen = lawful_start_range(
            lot.reference_fen, settings, round_no, previous_start_fen
        )
        starts = _grid(lot.reference_fen, lo_fen, hi_fen)
        ratios = np.array([s / lot.reference_fen for s in starts])
        frame = features(
            pd.DataFrame(
                {
                    "city": lot.city,
                    "sold_on": pd.Timestamp(lot.when),
                    "area_m2": lot.area_m2,
                    "reference_fen": lot.reference_fen,
                    "start_fen": starts,
                }
            )
        )
        final_ratio = np.maximum(self.pipeline.predict(frame), ratios)
        # The regressor is monotone within a city; the running maximum removes the ties a tree
        # can leave between grid points, so "never lower at a higher start" holds exactly.
        final_ratio = np.maximum.accumulate(final_ratio)
        chance = self.chance(ratios)
        points = tuple(
            _point(lot.reference_fen, start, float(c), float(f))
            for start, c, f in zip(starts, chance, final_ratio, strict=True)
        )
        fallback: list[str] = []
        if not self.chance.learned:
            fallback.append(
                f"too little own history ({self.chance.own_rounds} finished rounds, "
                f"{MIN_OWN_ROUNDS} needed with both sales and failures): {FALLBACK_PRIOR}"
            )
        city_n = self.city_rows.get(lot.city, 0)
        if city_n < MIN_CITY_ROWS:
            fallback.append(
                f"too little sold history for {lot.city} ({city_n} lots, {MIN_CITY_ROWS} "
                f"needed): proposed start is {FALLBACK_FLOOR}"
            )
            proposed = points[0]
        else:
            # Highest expected recovery; on a tie the lower start (the likelier sale).
            proposed = max(points, key=lambda p: (p.expected_recovery, -p.start_price))
        return OutcomeCurve(
            round_no=round_no,
            lawful_min=fen_to_yuan(lo_fen),
            lawful_max=fen_to_yuan(hi_fen),
            points=points,
            proposed=proposed,
            chance_source="prior + own results" if self.chance.learned else "prior",
            fallback=tuple(fallback),
            history={
                "sold_lots": int(self.card["data"]["rows"]),
                "sold_lots_in_city": city_n,
                "own_finished_rounds": self.chance.own_rounds,
                "own_sold_rounds": self.chance.own_sold,
            },
        )

    # -- persistence --------------------------------------------------------------------------

    def save(self, models_dir: Path) -> Path:
        """Write ``outcome-VERSION.joblib`` and its card ``outcome-VERSION.json``."""
        models_dir.mkdir(parents=True, exist_ok=True)
        path = models_dir / f"{MODEL_NAME}-{self.version}.joblib"
        joblib.dump(self, path)
        path.with_suffix(".json").write_text(
            json.dumps(self.card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return path


def lawful_start_range(
    reference_fen: int, settings: Settings, round_no: int = 1, previous_start_fen: int | None = None
) -> tuple[int, int]:
    """The lawful start prices (fen, inclusive) that the proposal may choose from.

    Round 1: at least ``start_price_floor_ratio`` (70%) of the reference (拍卖规定 第十条).
    Round 2: at least 80% of the previous start, i.e. a cut of at most
    ``reauction_max_cut_ratio`` (拍卖规定 第二十六条), and not above the previous start.
    Both capped at :data:`MAX_START_RATIO` × reference. Fen are rounded toward the lawful side.
    """
    cap = ratio_of(reference_fen, MAX_START_RATIO, rounding=ROUND_FLOOR)
    if round_no == 1:
        lo, hi = min_start_price(reference_fen, settings), cap
    elif round_no == 2:
        if previous_start_fen is None:
            raise ValueError("round 2 needs the previous round's start price")
        cut = Decimal(1) - settings.reauction_max_cut_ratio
        lo = ratio_of(previous_start_fen, cut, rounding=ROUND_CEILING)
        hi = min(previous_start_fen, cap)
    else:
        raise ValueError("the outcome model proposes start prices for rounds 1 and 2 only")
    if lo > hi:
        raise ValueError("no lawful start price in range")
    return lo, hi


def _grid(reference_fen: int, lo_fen: int, hi_fen: int) -> list[int]:
    """Start prices: both ends of the lawful range and every whole percent of the reference
    between them."""
    step = Decimal(reference_fen) * GRID_STEP
    k = math.ceil(Decimal(lo_fen) / step)
    inner = []
    while (s := int(k * step)) < hi_fen:
        if s > lo_fen:
            inner.append(s)
        k += 1
    return [lo_fen, *inner, hi_fen] if hi_fen > lo_fen else [lo_fen]


def _point(reference_fen: int, start_fen: int, chance: float, final_ratio: float) -> CurvePoint:
    final = Decimal(reference_fen) * Decimal(repr(round(final_ratio, 6)))
    final_fen = max(int(final.to_integral_value()), start_fen)
    c = Decimal(repr(round(chance, 3)))
    return CurvePoint(
        start_ratio=(Decimal(start_fen) / Decimal(reference_fen)).quantize(Decimal("0.0001")),
        start_price=fen_to_yuan(start_fen),
        chance_of_sale=c,
        expected_final_price=fen_to_yuan(final_fen),
        expected_recovery=fen_to_yuan(int((c * final_fen).to_integral_value())),
    )


# --- training -------------------------------------------------------------------------------


def train_outcome(
    history: pd.DataFrame,
    own: Sequence[FinishedRound],
    now: datetime,
    extra_sources: dict[str, int] | None = None,
) -> OutcomeModel:
    """Fit the expected-price regressor on sold lots and the chance of sale on observed rounds.

    ``history`` has the columns of :func:`load_history`; ``own`` are the observed finished
    rounds (the project's own and crawled, :func:`observed_rounds`): their sales join the
    price data, and all of them, sold and failed, update the chance-of-sale prior.

    Metrics come from a time-ordered hold-out (the latest 20% of sold lots), each beside a
    baseline measured in the same run: final = start × the training median (and weighted mean)
    of final / start.
    """
    own_sold = sold_rows(own)
    data = pd.concat([history, own_sold], ignore_index=True) if len(own_sold) else history
    data = data.sort_values("sold_on", kind="stable").reset_index(drop=True)
    if len(data) < 10:
        raise ValueError(f"too few sold lots to train on ({len(data)})")
    x, y = features(data), (data["final_fen"] / data["reference_fen"]).to_numpy()
    w = data["weight"].to_numpy()
    cut = int(len(data) * (1 - HOLDOUT_SHARE))
    held = _pipeline().fit(x.iloc[:cut], y[:cut], regress__sample_weight=w[:cut])
    actual = data["final_fen"].to_numpy()[cut:].astype(float)
    ref = data["reference_fen"].to_numpy()[cut:]
    predicted = np.maximum(held.predict(x.iloc[cut:]), x["start_ratio"].to_numpy()[cut:]) * ref
    premiums = y[:cut] / x["start_ratio"].to_numpy()[:cut]
    median_premium = float(np.median(premiums))
    mean_premium = float(np.average(premiums, weights=w[:cut]))
    held_starts = data["start_fen"].to_numpy()[cut:]
    pipeline = _pipeline().fit(x, y, regress__sample_weight=w)

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
            "model": _accuracy(actual, predicted),
            "baseline_start_times_median_premium": _accuracy(actual, held_starts * median_premium),
            "baseline_start_times_mean_premium": _accuracy(actual, held_starts * mean_premium),
            "premiums": {"median": round(median_premium, 4), "mean": round(mean_premium, 4)},
        },
        "chance_of_sale": {
            "source": "prior + own results" if chance.learned else "prior",
            "prior": prior.describe(),
            "min_own_rounds": MIN_OWN_ROUNDS,
            "own_rounds": chance.own_rounds,
            "own_sold": chance.own_sold,
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
        pipeline=pipeline,
        chance=chance,
        prior=prior,
        city_rows={str(k): int(v) for k, v in data["city"].value_counts().items()},
        card=card,
    )


# --- loading --------------------------------------------------------------------------------


def _major_minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def load_outcome_model(path: Path) -> OutcomeModel:
    """Load an artifact; refuse one saved by another scikit-learn major.minor, saying so."""
    card_path = path.with_suffix(".json")
    if not path.exists() or not card_path.exists():
        raise OutcomeModelError(f"outcome model {path.name} or its card is missing")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    saved = card.get("versions", {}).get("scikit-learn", "unknown")
    if _major_minor(saved) != _major_minor(sklearn.__version__):
        raise OutcomeModelError(
            f"{path.name} was saved with scikit-learn {saved}; this is {sklearn.__version__}. "
            "Retrain it: fapai train-outcome"
        )
    model = joblib.load(path)
    if not isinstance(model, OutcomeModel):
        raise OutcomeModelError(f"{path.name} is not an outcome model")
    return model


def current_outcome_path(models_dir: Path) -> Path | None:
    """The promoted outcome artifact (``promoted.json``, as ``fapai models promote`` writes it
    for the price model), else the newest one (versions sort by time), else None."""
    version = ModelRegistry(models_dir, MODEL_NAME).promoted_version()
    if version is not None:
        return models_dir / f"{MODEL_NAME}-{version}.joblib"
    found = sorted(models_dir.glob(f"{MODEL_NAME}-*.joblib"))
    return found[-1] if found else None


def ensure_outcome_model(settings: Settings, now: datetime) -> OutcomeModel:
    """The current outcome model in ``settings.models_dir``; trained from the shipped history
    (a second or two) when there is none or it is incompatible, so a fresh machine answers."""
    path = current_outcome_path(settings.models_dir)
    if path is not None:
        try:
            return load_outcome_model(path)
        except OutcomeModelError as exc:
            log.warning("%s; training a new outcome model from the shipped history", exc)
    model = train_outcome(load_history(), [], now)
    model.save(settings.models_dir)
    return model


class OutcomeModels:
    """The current outcome model, kept in memory and swapped when the current artifact changes
    (``fapai train-outcome`` wrote a newer one, or one was promoted): no restart needed.

    Each call costs a directory listing, not a load; the load happens once per new artifact.
    """

    def __init__(self, settings: Settings, model: OutcomeModel, path: Path | None) -> None:
        self.settings = settings
        self._model = model
        self._path = path
        self._lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings, now: datetime) -> OutcomeModels:
        model = ensure_outcome_model(settings, now)
        return cls(settings, model, current_outcome_path(settings.models_dir))

    def current(self) -> OutcomeModel:
        path = current_outcome_path(self.settings.models_dir)
        if path is None or path == self._path:
            return self._model
        with self._lock:
            if path != self._path:
                try:
                    self._model = load_outcome_model(path)
                except OutcomeModelError as exc:  # keep serving the model that works
                    log.warning("%s; still serving outcome model %s", exc, self._model.version)
                self._path = path
            return self._model


# --- observed rounds from the database ------------------------------------------------------


def observed_rounds(session: Session) -> dict[str, list[FinishedRound]]:
    """Finished rounds 1 and 2 (sold or failed) with a reference price, by source.

    ``own``: the project's auctions (``auction_rounds`` of ``auction_lots``); ``crawled``: the
    platforms' results (``auction_results``). Reneged rounds (悔拍) are neither a sale nor a
    failure to attract a bid, so they are left out.
    """
    from auction.store import Lot as LotRow
    from auction.store import Round
    from valuation.auction_results import AuctionResultRow

    own = [
        FinishedRound(
            Lot(
                lot.city,
                lot.reference_price,
                ensure_utc(rnd.closed_at).date(),
                lot.area_m2,
                lot.district,
            ),
            rnd.start_price,
            rnd.outcome == "sold",
            rnd.final_price,
        )
        for rnd, lot in session.execute(
            select(Round, LotRow)
            .join(LotRow, Round.lot_id == LotRow.id)
            .where(
                Round.closed_at.is_not(None),
                Round.outcome.in_(("sold", "failed")),
                Round.kind.in_(("1", "2")),
                LotRow.reference_price > 0,
            )
        ).all()
    ]
    crawled = [
        FinishedRound(
            Lot(r.city, r.appraisal_price_fen, ensure_utc(r.end_at).date(), r.area_m2, r.district),
            r.start_price_fen,
            r.status == "sold",
            r.final_price_fen,
        )
        for r in session.scalars(
            select(AuctionResultRow).where(
                AuctionResultRow.status.in_(("sold", "failed")),
                AuctionResultRow.round.in_((1, 2)),
                AuctionResultRow.appraisal_price_fen > 0,
                AuctionResultRow.start_price_fen > 0,
                AuctionResultRow.city.is_not(None),
                AuctionResultRow.end_at.is_not(None),
            )
        ).all()
    ]
    return {"own": own, "crawled": crawled}
