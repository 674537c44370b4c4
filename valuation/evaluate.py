"""Accuracy of a price model, always beside a naive baseline measured on the same rows.

Metrics on total prices (yuan): median absolute percentage error (MdAPE), the share within
±10% and ±20%, and the IAAO ratio statistics of predicted / actual price (median ratio; COD,
the coefficient of dispersion, IAAO Standard on Ratio Studies §9.2; PRD, the price-related
differential, §9.3), plus interval coverage. The baseline is the district's median unit price in
the training rows × the area, what a clerk would compute by hand. A near-identical twin's
price (:func:`twin_unit_prices`) measures the noise of the prices themselves: the floor below
which no model that knows only the listing schema can go (``bench/noise_floor.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from valuation.features import observed_at


def price_metrics(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """MdAPE, within ±10%/±20%, median ratio, COD and PRD of predicted vs actual prices."""
    actual = np.asarray(actual, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    ape = np.abs(predicted - actual) / actual
    ratio = predicted / actual
    median_ratio = float(np.median(ratio))
    return {
        "n": int(len(actual)),
        "mdape": float(np.median(ape)),
        "within_10": float(np.mean(ape <= 0.10)),
        "within_20": float(np.mean(ape <= 0.20)),
        "median_ratio": median_ratio,
        "cod": float(100 * np.mean(np.abs(ratio - median_ratio)) / median_ratio),
        "prd": float(np.mean(ratio) / (predicted.sum() / actual.sum())),
    }


def interval_coverage(actual: np.ndarray, low: np.ndarray, high: np.ndarray) -> float:
    """Share of actual prices inside [low, high]."""
    actual = np.asarray(actual, dtype=float)
    return float(np.mean((actual >= low) & (actual <= high)))


def total_price(frame: pd.DataFrame) -> np.ndarray:
    """The listing's total price in yuan (unit price × area where the total is missing)."""
    unit_total = frame["unit_price"].astype(float) * frame["area_m2"].astype(float)
    return frame["price_total"].astype(float).fillna(unit_total).to_numpy()


def district_median_baseline(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """District median unit price (training rows) × area; the city median where unseen."""
    by_district = train.groupby(["city", "district"])["unit_price"].median()
    by_city = train.groupby("city")["unit_price"].median()
    keys = pd.MultiIndex.from_frame(test[["city", "district"]])
    unit = pd.Series(by_district.reindex(keys).to_numpy(), index=test.index)
    unit = unit.fillna(test["city"].map(by_city)).fillna(train["unit_price"].median())
    return unit.to_numpy(dtype=float) * test["area_m2"].to_numpy(dtype=float)


def time_ordered_split(
    frame: pd.DataFrame, test_share: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Earlier rows to train, the latest ``test_share`` to test.

    Rows seen on the same day are ordered by a hash of their id, so the cut is reproducible.
    """
    when = observed_at(frame)
    tiebreak = pd.util.hash_pandas_object(frame["source"] + "|" + frame["listing_id"], index=False)
    order = pd.DataFrame({"when": when, "tie": tiebreak.to_numpy()}, index=frame.index)
    order = order.sort_values(["when", "tie"], kind="stable").index
    cut = int(round(len(frame) * (1 - test_share)))
    return frame.loc[order[:cut]], frame.loc[order[cut:]]


def compare(
    actual: np.ndarray,
    predicted: np.ndarray,
    baseline: np.ndarray,
    intervals: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> dict[str, Any]:
    """The model's and the baseline's metrics side by side, plus the model's coverage."""
    report: dict[str, Any] = {
        "model": price_metrics(actual, predicted),
        "baseline": price_metrics(actual, baseline),
    }
    for name, (low, high) in (intervals or {}).items():
        report["model"][f"coverage_{name}"] = interval_coverage(actual, low, high)
    return report


METRIC_LABELS = (
    ("n", "行数", "{:,.0f}"),
    ("mdape", "MdAPE", "{:.1%}"),
    ("within_10", "误差 ±10% 以内", "{:.1%}"),
    ("within_20", "误差 ±20% 以内", "{:.1%}"),
    ("median_ratio", "中位比率", "{:.3f}"),
    ("cod", "COD", "{:.1f}"),
    ("prd", "PRD", "{:.3f}"),
    ("coverage_80", "80% 区间覆盖率", "{:.1%}"),
    ("coverage_90", "90% 区间覆盖率", "{:.1%}"),
)


def report_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, model, baseline) rows for printing a comparison table."""
    rows = []
    for key, label, fmt in METRIC_LABELS:
        model = report["model"].get(key)
        base = report["baseline"].get(key)
        rows.append(
            (
                label,
                "—" if model is None else fmt.format(model),
                "—" if base is None else fmt.format(base),
            )
        )
    return rows


TWIN_KEY = ("source", "city", "district", "community", "rooms", "seen")
TWIN_AREA_TOLERANCE = 0.01  # relative


def twin_unit_prices(
    rows: pd.DataFrame, pool: pd.DataFrame, apart_by: str | None = None
) -> pd.Series:
    """Each row's twins' median unit price (yuan/m²) in ``pool``, NaN where it has none.

    A twin is another listing (``listing_id``) of the same source, city, district, community
    and rooms, seen on the same day, its area within 1%: for a model that knows only the listing
    schema, the same home. With ``apart_by`` (a column of both frames, e.g. the CV fold), a twin
    must differ from the row there (a twin among the rows the row's own model learned from).
    """

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.dropna(subset=["community", "rooms"])
        area = out["area_m2"].astype(float)
        return out.assign(
            seen=observed_at(out).dt.date, area=area, unit=total_price(out) / area.to_numpy()
        )

    key = list(TWIN_KEY)
    cols = [*key, "listing_id", "area", "unit", *([apart_by] if apart_by else [])]
    left = keyed(rows)[cols].rename_axis("row").reset_index()
    pairs = left.merge(keyed(pool)[cols], on=key, suffixes=("", "_twin"))
    alike = (pairs["listing_id"] != pairs["listing_id_twin"]) & (
        (pairs["area_twin"] / pairs["area"] - 1).abs() <= TWIN_AREA_TOLERANCE
    )
    if apart_by:
        alike &= pairs[apart_by] != pairs[f"{apart_by}_twin"]
    return pairs[alike].groupby("row")["unit_twin"].median().reindex(rows.index)
