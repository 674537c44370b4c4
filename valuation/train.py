"""Training the price model: one scikit-learn Pipeline, calibrated intervals, a model card.

The pipeline (all of it saved in one artifact, so serving transforms exactly as training did)::

    feature_frame → ColumnTransformer(LocationEncoder on city/district/bizcircle/community
                                      and metro_station,
                                      NeighbourEncoder: the nearest homes of the community,
                                      of the business circle and of the metro station,
                                      numeric passthrough)
    → NeighbourOffsetRegressor(HistGradientBoostingRegressor)

predicting log yuan/m²: the district's level in the row's year plus the community neighbours'
relative price (else the station neighbours'), plus what the trees learn of how far the home
stands from them. Rows are split at random into a check set (10%; none when an evaluation holds
its own rows out), calibration (10% of the rest; up to 25% of a small file, at least 500 rows)
and fit rows. A first pipeline fits the fit rows (plus shortened copies of some, see
:func:`valuation.features.mask_inputs`); the conformal calibration scores its errors on the
calibration rows it never saw. The served pipeline is then refit on fit + calibration rows:
it is a little more accurate than the one calibrated, so the intervals err on the wide side, and
their coverage is measured on the check rows (and by ``fapai evaluate`` on a later hold-out),
never assumed. ``random_state`` fixes every draw.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version as pkg_version
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from valuation.comparables import ComparablesIndex
from valuation.evaluate import compare, district_median_baseline, time_ordered_split, total_price
from valuation.features import (
    LOCATION_COLUMNS,
    MODEL_FEATURES,
    NUMERIC_FEATURES,
    feature_frame,
    log_unit_price,
    mask_inputs,
    observed_at,
    period_years,
)
from valuation.intervals import calibrate
from valuation.location_encoding import OUTPUT_NAMES as LOCATION_OUTPUTS
from valuation.location_encoding import LocationEncoder
from valuation.market_index import DAMPING_YEARS, fit_market_index
from valuation.model import PRICED_PROPERTY_TYPES, PriceModel
from valuation.neighbours import (
    GROUPS,
    NEIGHBOUR_INPUTS,
    NeighbourEncoder,
    NeighbourOffsetRegressor,
)
from valuation.neighbours import OUTPUT_NAMES as NEIGHBOUR_OUTPUTS
from valuation.schema import LISTING_FIELDS

DEFAULT_PARAMS: dict[str, Any] = {
    # The median in log price, not the mean: asking prices carry heavy-tailed noise (a 2,500-
    # listing Shenzhen file 5-fold: MdAPE 14.9% → 13.7%; Guangzhou 2021–22 7.1% → 6.9%).
    "loss": "absolute_error",
    "max_iter": 400,
    "learning_rate": 0.08,
    "max_leaf_nodes": 63,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
}
# A single city's own file of a few thousand listings: fewer, smaller trees, learning slower.
# Chosen by the rows the model learns from. Leaves keep DEFAULT_PARAMS' 20 rows: leaves of 10
# were a little better on one sample of 2,500 Shenzhen listings, but on a few hundred rows they
# made a described home's σ(x) wider than a bare one's.
SMALL_DATA_ROWS = 5_000
SMALL_DATA_PARAMS: dict[str, Any] = {"learning_rate": 0.03, "max_iter": 300, "max_leaf_nodes": 15}
CHECK_SHARE = 0.10  # random rows that check the model for its card
CALIBRATION_SHARE = 0.1  # of the rest: conformal calibration; the others fit the pipeline
# ... but at least this many rows where the data allow (at most MAX_CALIBRATION_SHARE): a
# small file's 10% is too few for a steady quantile. It costs the served model nothing (it is
# refit on fit + calibration rows), and a weaker calibrating pipeline errs on the wide side.
MIN_CALIBRATION_ROWS = 500
MAX_CALIBRATION_SHARE = 0.25
LATER_SHARE = 0.1  # each city's latest rows: the interval's multipliers past the data
MASKED_SHARE = 0.15  # shortened copies added to the fit rows
AREA_MARGIN = 1.5  # priceable areas: [p0.5 / 1.5, p99.5 × 1.5] of the city's data

DEFAULT_DATA_ORIGIN = (
    "real public listings and deals, none generated: valuation/market_data/DATA_CARD.md"
)

Progress = Callable[[str, float], None]


def _no_progress(step: str, done: float) -> None:
    return None


def known_numeric_columns(X: pd.DataFrame) -> list[str]:
    """The numeric features the training rows state at least once (a source without, say,
    bathrooms gives the trees nothing to split on); resolved once, at fit time."""
    return [c for c in NUMERIC_FEATURES if X[c].notna().any()]


def default_params(rows: int) -> dict[str, Any]:
    """The trees' settings for a model learning from ``rows`` listings."""
    return {**DEFAULT_PARAMS, **(SMALL_DATA_PARAMS if rows < SMALL_DATA_ROWS else {})}


def build_pipeline(params: Mapping[str, Any] | None = None, random_state: int = 0) -> Pipeline:
    """The untrained price pipeline (log yuan/m²)."""
    columns = ColumnTransformer(
        [
            ("location", LocationEncoder(), [*LOCATION_COLUMNS, "period"]),
            *(
                (f"{group}_neighbours", NeighbourEncoder(group), list(NEIGHBOUR_INPUTS))
                for group in GROUPS
            ),
            ("numeric", "passthrough", known_numeric_columns),
        ],
        verbose_feature_names_out=False,
    )
    trees = NeighbourOffsetRegressor(
        HistGradientBoostingRegressor(
            **{**DEFAULT_PARAMS, **(params or {})}, early_stopping=False, random_state=random_state
        ),
        level=LOCATION_OUTPUTS.index("district_year_level"),
        # The community neighbours' relative price, else the station neighbours'.
        relative=tuple(
            len(LOCATION_OUTPUTS)
            + GROUPS.index(group) * len(NEIGHBOUR_OUTPUTS)
            + NEIGHBOUR_OUTPUTS.index("nb_rel")
            for group in ("community", "metro_station")
        ),
    )
    return Pipeline(
        [
            ("features", FunctionTransformer(feature_frame)),
            ("columns", columns),
            ("trees", trees),
        ]
    )


def prepare_training_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, Counter[str]]:
    """The rows a price model can learn from, and the count of the others by reason.

    Kept: residential (or untyped) homes with city, a place in it (district or business
    circle: some cities' files name only the circle), area, unit price and a date.
    """
    frame = frame.copy()
    for col in LISTING_FIELDS:
        if col not in frame:
            frame[col] = None
    skipped: Counter[str] = Counter()
    rules = {
        "property_type:not_residential": ~frame["property_type"].isna()
        & ~frame["property_type"].isin(PRICED_PROPERTY_TYPES),
        "city:missing": frame["city"].isna(),
        "district:missing (and no bizcircle)": frame["district"].isna() & frame["bizcircle"].isna(),
        "area_m2:missing": frame["area_m2"].isna(),
        "unit_price:missing": frame["unit_price"].isna(),
    }
    when = observed_at(frame)
    rules["date:missing"] = when.isna()
    keep = pd.Series(True, index=frame.index)
    for reason, bad in rules.items():
        bad = bad & keep
        if bad.any():
            skipped[reason] = int(bad.sum())
        keep &= ~bad
    frame = frame[keep].copy()
    frame["period"] = period_years(when[keep])
    frame["observed_on"] = when[keep].dt.date
    return frame.reset_index(drop=True), skipped


def data_hash(frame: pd.DataFrame) -> str:
    """A fingerprint of the training rows (ids and prices), independent of row order."""
    keys = (
        frame["source"].astype(str)
        + "|"
        + frame["listing_id"].astype(str)
        + "|"
        + frame["unit_price"].astype(str)
    )
    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def _latest_of_each_city(data: pd.DataFrame, among: np.ndarray) -> np.ndarray:
    """Rows (of ``among``) later than the city's LATER_SHARE quantile date: held out of the
    calibrating pipeline's fit so their errors show how the market moves past the data. A
    city seen on one day has none."""
    period = data["period"].to_numpy(float)
    cutoff = data[among].groupby("city")["period"].quantile(1 - LATER_SHARE).reindex(data["city"])
    return among & (period > cutoff.to_numpy(float))


def _coverage_by_city(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    out = {}
    for city, g in frame.groupby("city"):
        latest = g["period"].max()
        out[city] = {
            "districts": sorted(g["district"].dropna().unique()),
            "bizcircles": sorted(g["bizcircle"].dropna().unique()),
            "area_m2": [
                round(float(g["area_m2"].quantile(0.005)) / AREA_MARGIN, 1),
                round(float(g["area_m2"].quantile(0.995)) * AREA_MARGIN, 1),
            ],
            "as_of_period": float(latest),
            "as_of": str(g.loc[g["period"] == latest, "observed_on"].iloc[0]),
            "rows": int(len(g)),
        }
    return out


@dataclass
class TrainedModel:
    """A trained model ready to save: the artifact (pickled) and its card (JSON)."""

    artifact: dict[str, Any]
    card: dict[str, Any]

    def as_price_model(self) -> PriceModel:
        return PriceModel(self.artifact, self.card)


def check_metrics(model: PriceModel, rows: pd.DataFrame, train_rows: pd.DataFrame) -> dict:
    """The model beside the district-median baseline on ``rows``, priced as they were seen."""
    log_unit, widths = model.price_rows(rows)
    area = rows["area_m2"].to_numpy(dtype=float)
    predicted = np.exp(log_unit) * area
    intervals = {
        f"{round(c * 100)}": (np.exp(log_unit - w) * area, np.exp(log_unit + w) * area)
        for c, w in widths.items()
    }
    return compare(
        total_price(rows), predicted, district_median_baseline(train_rows, rows), intervals
    )


def train_price_model(
    frame: pd.DataFrame,
    *,
    now: datetime,
    name: str = "price",
    source: str = "default",
    params: Mapping[str, Any] | None = None,
    random_state: int = 0,
    check_share: float = CHECK_SHARE,
    progress: Progress = _no_progress,
) -> TrainedModel:
    """Train, calibrate and check a price model on listing rows (schema columns)."""
    progress("preparing data", 0.0)
    data, skipped = prepare_training_frame(frame)
    if len(data) < 200:
        raise ValueError(f"可用的挂牌数据太少，无法训练价格模型：{len(data)} 条（至少 200 条）")
    params = {**default_params(len(data)), **(params or {})}
    rng = np.random.default_rng(random_state)
    draw = rng.random(len(data))
    check_rows = data[draw >= 1 - check_share]
    rest = draw < 1 - check_share
    share = min(max(CALIBRATION_SHARE, MIN_CALIBRATION_ROWS / rest.sum()), MAX_CALIBRATION_SHARE)
    later = rest & _latest_of_each_city(data, rest)
    fit_rows = data[~later & (draw < (1 - check_share) * (1 - share))]
    cal_rows = data[~later & rest & (draw >= (1 - check_share) * (1 - share))]
    later_rows = data[later]

    def with_masked_copies(rows: pd.DataFrame) -> pd.DataFrame:
        copies = mask_inputs(rows.sample(frac=MASKED_SHARE, random_state=random_state), rng)
        return pd.concat([rows, copies], ignore_index=True)

    progress("fitting the pipeline to calibrate", 0.05)
    fit_aug = with_masked_copies(fit_rows)
    pipeline = build_pipeline(params, random_state).fit(fit_aug, log_unit_price(fit_aug))
    progress("calibrating the intervals", 0.4)
    cal_aug = pd.concat([cal_rows, mask_inputs(cal_rows, rng)], ignore_index=True)
    later_aug = pd.concat([later_rows, mask_inputs(later_rows, rng)], ignore_index=True)
    calibration = calibrate(
        pipeline,
        cal_aug,
        log_unit_price(cal_aug),
        random_state,
        later_aug,
        log_unit_price(later_aug),
    )
    progress("refitting on fit + calibration rows", 0.45)
    served_aug = with_masked_copies(pd.concat([fit_rows, cal_rows, later_rows]))
    pipeline = build_pipeline(params, random_state).fit(served_aug, log_unit_price(served_aug))
    progress("indexing comparables and the market index", 0.85)
    index = ComparablesIndex(data, pipeline.predict(data))
    market_index = fit_market_index(pipeline, data, random_state)
    coverage = _coverage_by_city(data)
    when = observed_at(data)
    created = now.isoformat()
    digest = data_hash(data)
    version = f"{now:%Y%m%d%H%M%S}-{digest[:6]}"
    artifact = {
        "pipeline": pipeline,
        "calibration": calibration,
        "index": index,
        "coverage": coverage,
        "market_index": market_index,
    }
    card: dict[str, Any] = {
        "name": name,
        "version": version,
        "kind": "price",
        "created_at": created,
        "target": "log unit price (yuan/m²), its median given the features (absolute error "
        "loss); estimate = exp(prediction) × area",
        "estimator": "HistGradientBoostingRegressor in a Pipeline with a hierarchical, "
        "period-adjusted target encoding of city/district/bizcircle/community and of the "
        "metro station the listing names, and the nearest homes of the same community "
        "(repeat listings, sister units), business circle and metro station, out-of-fold in "
        "training; the trees fit the target less an offset (the district's level in the row's "
        "year plus the community neighbours' relative price, else the station neighbours'), "
        "added back at prediction",
        "params": {**params, "random_state": random_state},
        "features": list(MODEL_FEATURES),
        "encoded_features": list(pipeline.named_steps["columns"].get_feature_names_out()),
        "data": {
            "source": source,
            "origin": DEFAULT_DATA_ORIGIN if source == "default" else source,
            "hash": digest,
            "rows": int(len(data)),
            "rows_by_source": {k: int(v) for k, v in data["source"].value_counts().items()},
            "skipped": dict(skipped),
            "date_range": [str(when.min().date()), str(when.max().date())],
            "split": {
                "fit": len(fit_rows),
                "calibration": len(cal_rows),
                "latest_rows_for_dates_past_the_data": len(later_rows),
                "served_fit_with_masked_copies": len(served_aug),
                "calibration_with_masked_copies": len(cal_aug),
                "check": len(check_rows),
            },
        },
        "coverage": {
            c: {k: v for k, v in d.items() if k not in ("districts", "bizcircles")}
            | {"districts": len(d["districts"]), "bizcircles": len(d["bizcircles"])}
            for c, d in coverage.items()
        },
        "market_index": {
            "method": "hedonic: a fixed basket of each city's homes priced by the model at the "
            "centre of every half-year with enough rows; 100 = the latest half-year; between "
            "half-years linear in log price, before the first flat, past the latest data the "
            "model's trend over its last year of data, damped (shift → trend × "
            f"{DAMPING_YEARS} years); the interval widened by the index's own yearly "
            "volatility (drift) × √years and by the extrapolated shift",
            "cities": {
                c: {
                    "drift_per_sqrt_year": round(i.drift, 4),
                    "trend_per_year": round(i.trend, 4),
                    "half_years": i.table(),
                }
                for c, i in market_index.items()
            },
        },
        "interval": {
            "method": "normalised split-conformal (σ(x) from a boosted model of |error|, its "
            "leaves at least 1/8 of the rows), calibrated before the refit on fit + "
            "calibration rows",
            "quantiles": {str(k): v for k, v in calibration.quantiles.items()},
            "quantiles_past_the_data": {
                str(k): v for k, v in (calibration.unseen_quantiles or {}).items()
            },
        },
        "versions": {
            "scikit-learn": pkg_version("scikit-learn"),
            "pandas": pkg_version("pandas"),
            "numpy": pkg_version("numpy"),
        },
    }
    trained = TrainedModel(artifact, card)
    progress("checking on held-out rows", 0.9)
    if len(check_rows):
        card["metrics"] = {
            "check_rows_random_10pct": check_metrics(trained.as_price_model(), check_rows, fit_rows)
        }
    progress("done", 1.0)
    return trained


def evaluate_time_ordered(
    frame: pd.DataFrame,
    *,
    now: datetime,
    test_share: float = 0.2,
    params: Mapping[str, Any] | None = None,
    random_state: int = 0,
    progress: Progress = _no_progress,
) -> dict[str, Any]:
    """Train on the earlier rows, test on the latest ``test_share``, beside the baseline.

    The test rows are priced as they were seen (their own date); the baseline's district
    medians come from the same training rows.
    """
    data, _ = prepare_training_frame(frame)
    train_rows, test_rows = time_ordered_split(data, test_share)
    trained = train_price_model(
        train_rows,
        now=now,
        params=params,
        random_state=random_state,
        check_share=0.0,
        progress=lambda step, done: progress(step, done * 0.9),
    )
    progress("scoring the hold-out", 0.95)
    report = check_metrics(trained.as_price_model(), test_rows, train_rows)
    when = observed_at(test_rows)
    report["split"] = {
        "train_rows": len(train_rows),
        "test_rows": len(test_rows),
        "test_from": str(when.min().date()),
        "test_to": str(when.max().date()),
    }
    progress("done", 1.0)
    return report


def cross_validated_prices(
    frame: pd.DataFrame,
    *,
    now: datetime,
    folds: int = 5,
    params: Mapping[str, Any] | None = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """K-fold cross-validation's prices, one row per usable listing (random folds, as the data
    README's floor was measured): each priced once by a model that did not see it.

    Columns: ``fold``, ``actual``, ``predicted``, ``baseline`` (district median × area of the
    other folds) and the intervals' ``low80``, ``high80``, ``low90``, ``high90``, all yuan; the
    index is the prepared training frame's.
    """
    data, _ = prepare_training_frame(frame)
    fold = np.random.default_rng(random_state).integers(0, folds, len(data))
    parts = []
    for f in range(folds):
        train_rows, test_rows = data[fold != f], data[fold == f]
        model = train_price_model(
            train_rows, now=now, params=params, random_state=random_state, check_share=0.0
        ).as_price_model()
        log_unit, widths = model.price_rows(test_rows)
        area = test_rows["area_m2"].to_numpy(dtype=float)
        part = {
            "fold": f,
            "actual": total_price(test_rows),
            "predicted": np.exp(log_unit) * area,
            "baseline": district_median_baseline(train_rows, test_rows),
        }
        for c, w in widths.items():
            part[f"low{round(c * 100)}"] = np.exp(log_unit - w) * area
            part[f"high{round(c * 100)}"] = np.exp(log_unit + w) * area
        parts.append(pd.DataFrame(part, index=test_rows.index))
    return pd.concat(parts).reindex(data.index)


def evaluate_cross_validated(
    frame: pd.DataFrame,
    *,
    now: datetime,
    folds: int = 5,
    params: Mapping[str, Any] | None = None,
    random_state: int = 0,
) -> dict[str, Any]:
    """K-fold cross-validation (:func:`cross_validated_prices`); metrics pool all folds."""
    prices = cross_validated_prices(
        frame, now=now, folds=folds, params=params, random_state=random_state
    )
    levels = sorted({c[len("low") :] for c in prices if c.startswith("low")})
    report = compare(
        prices["actual"].to_numpy(),
        prices["predicted"].to_numpy(),
        prices["baseline"].to_numpy(),
        {k: (prices[f"low{k}"].to_numpy(), prices[f"high{k}"].to_numpy()) for k in levels},
    )
    report["split"] = {"folds": folds, "rows": len(prices)}
    return report
