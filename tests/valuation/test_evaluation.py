"""Evaluation: cross-validated prices, the time-ordered split and the near-identical twin."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_limits

from valuation.evaluate import price_metrics, time_ordered_split, twin_unit_prices
from valuation.features import observed_at
from valuation.train import cross_validated_prices, evaluate_cross_validated

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)


def test_cross_validation_prices_every_row_once_by_a_model_that_did_not_see_it(
    small_listings, quick_params
):
    rows = small_listings.head(1500)
    with threadpool_limits(limits=1):
        prices = cross_validated_prices(rows, now=NOW, folds=3, params=quick_params)
        report = evaluate_cross_validated(rows, now=NOW, folds=3, params=quick_params)
    assert prices.index.is_unique and 1400 < len(prices) <= 1500
    assert set(prices["fold"]) == {0, 1, 2} and prices.notna().all().all()
    order = ["low90", "low80", "predicted", "high80", "high90"]
    assert (prices[order].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    # A model that did not see the row: its price is not the row's own.
    assert (np.abs(prices["predicted"] / prices["actual"] - 1) > 1e-6).mean() > 0.99
    # The report pools the same prices (same folds, same seed).
    pooled = price_metrics(prices["actual"].to_numpy(), prices["predicted"].to_numpy())
    assert report["model"]["mdape"] == pytest.approx(pooled["mdape"])
    assert report["split"] == {"folds": 3, "rows": len(prices)}


def test_time_ordered_split_tests_on_the_latest_rows(small_listings):
    train, test = time_ordered_split(small_listings, test_share=0.25)
    assert len(test) == round(len(small_listings) * 0.25)
    assert observed_at(train).max() <= observed_at(test).min()
    assert train.index.intersection(test.index).empty


def _listing(i: int, **overrides) -> dict:
    row = {
        "source": "s",
        "listing_id": f"L{i}",
        "city": "广州市",
        "district": "天河区",
        "community": "华景新城",
        "rooms": 3,
        "area_m2": 100.0,
        "price_total": 5_000_000,
        "unit_price": 50_000,
        "crawled_at": pd.Timestamp("2022-12-01", tz="UTC"),
    }
    return {**row, **overrides}


def test_a_twin_is_the_same_home_seen_the_same_day_and_never_the_row_itself():
    pool = pd.DataFrame(
        [
            _listing(0),
            _listing(1, area_m2=100.9, price_total=5_450_000),  # 54,011 yuan/m²: a twin
            _listing(2, area_m2=99.5, price_total=4_776_000),  # 48,000 yuan/m²: a twin
            _listing(3, area_m2=102.0),  # 2% larger: not a twin
            _listing(4, rooms=2),  # other rooms
            _listing(5, community="骏景花园"),  # other community
            _listing(6, crawled_at=pd.Timestamp("2021-02-01", tz="UTC")),  # another day
            _listing(7, source="t"),  # another source
        ]
    )
    rows = pd.DataFrame([_listing(0), _listing(8, community=None), _listing(9, rooms=5)])
    twin = twin_unit_prices(rows, pool)
    assert list(twin.index) == list(rows.index)
    assert twin.iloc[0] == pytest.approx(np.median([5_450_000 / 100.9, 4_776_000 / 99.5]))
    assert np.isnan(twin.iloc[1]) and np.isnan(twin.iloc[2])  # no community; no such home
    # Kept apart by fold: only the twin in another fold counts.
    pool["fold"] = [0, 0, 1, 1, 1, 1, 1, 1]
    rows["fold"] = [0, 0, 0]
    assert twin_unit_prices(rows, pool, apart_by="fold").iloc[0] == pytest.approx(48_000)
