"""The expected-final-price regressor: its features, its one scikit-learn Pipeline and the
accuracy measures its card reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

FEATURES = ("city", "start_ratio", "log_area", "log_reference", "year")


def feature_columns(df: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Model inputs as arrays: city, start ratio, log area (m²), log reference (yuan),
    fractional year. ``df``: a DataFrame, or column name → array (a lot's curve, no frame)."""
    when = pd.DatetimeIndex(pd.to_datetime(np.asarray(df["sold_on"])))
    reference = np.asarray(df["reference_fen"], dtype=float)
    area = pd.to_numeric(np.asarray(df["area_m2"]), errors="coerce")
    city = np.asarray(df["city"], dtype=object)
    if not all(type(c) is str for c in city):  # names already text need no conversion
        city = pd.Series(city).astype(str).to_numpy()
    day = np.asarray(when.day_of_year, dtype=float)
    return {
        "city": city,
        "start_ratio": np.asarray(df["start_fen"], dtype=float) / reference,
        "log_area": np.log(np.asarray(area, dtype=float)),
        "log_reference": np.log(reference / 100.0),
        "year": np.asarray(when.year, dtype=float) + (day - 1) / 365.25,
    }


def features(df: pd.DataFrame) -> pd.DataFrame:
    """Model inputs (:func:`feature_columns`) as a DataFrame."""
    return pd.DataFrame(feature_columns(df), index=df.index)


def pipeline() -> Pipeline:
    """City ordinal-encoded, the numbers passed through; a gradient-boosted regressor of
    final / reference, monotone +1 in the start ratio (a higher start never lowers it)."""
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
    gbr = HistGradientBoostingRegressor(
        categorical_features=[0],
        monotonic_cst=[0, 1, 0, 0, 0],
        max_iter=300,
        learning_rate=0.05,
        min_samples_leaf=40,
        random_state=0,
    )
    return Pipeline([("encode", encode), ("regress", gbr)])


def accuracy(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MdAPE and shares within ±10% / ±20% per lot; ``total_ratio`` = Σ predicted / Σ actual,
    the check that matters for an *expected* price (1.0 = unbiased in money)."""
    ape = np.abs(predicted / actual - 1.0)
    return {
        "mdape": round(float(np.median(ape)), 4),
        "within_10pct": round(float(np.mean(ape <= 0.10)), 4),
        "within_20pct": round(float(np.mean(ape <= 0.20)), 4),
        "total_ratio": round(float(predicted.sum() / actual.sum()), 4),
    }
