"""Fixtures of the web tests: a stored inquiry report, the browser harness."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def sample_report() -> dict[str, Any]:
    """An inquiry report as ``valuation.inquiry_store.get_inquiry`` returns it (issued JSON)."""
    curve = [
        {"start_ratio": r, "start_price": 3_400_000 * r, "chance_of_sale": c,
         "expected_final_price": f, "expected_recovery": round(c * f, 2)}
        for r, c, f in [(0.7, 0.95, 3_050_000), (0.8, 0.9, 3_200_000), (0.9, 0.78, 3_330_000),
                        (1.0, 0.6, 3_500_000)]
    ]  # fmt: skip
    return {
        "id": 7,
        "description": {"property_type": "residential", "city": "广州市", "district": "天河区",
                        "community": "华景新城", "area_m2": 89.5, "rooms": 3, "halls": 2,
                        "build_year": 2003, "address": "中山大道西 1 号"},
        "reference_price": 3_400_000,
        "reference_rule": "参考价规定 第十三条",
        "unit_price": 37_989,
        "interval": {"80": [3_100_000, 3_700_000], "90": [2_950_000, 3_880_000]},
        "sources": [{"platform": "fapai", "price": 3_400_100.5, "kind": "model"},
                    {"platform": "京东", "price": 3_399_899.5, "kind": "platform"}],
        "comparables": [
            {"source": "lianjia", "listing_id": "a1", "url": None, "district": "天河区",
             "community": "华景新城", "area_m2": 85.0, "rooms": 3, "build_year": 2002,
             "observed_on": "2022-12-01", "unit_price": 39_000, "price_total": 3_315_000,
             "adjusted_unit_price": 38_500, "adjusted_price_total": 3_445_750, "distance": 0.1},
            {"source": "lianjia", "listing_id": "a2", "url": None, "district": "天河区",
             "community": "骏景花园", "area_m2": 120.0, "rooms": 4, "build_year": 2000,
             "observed_on": "2022-11-20", "unit_price": 35_000, "price_total": 4_200_000,
             "adjusted_unit_price": 36_000, "adjusted_price_total": 3_222_000, "distance": 0.3},
        ],
        "model_version": "price-20261125",
        "outcome_model_version": "outcome-20261125",
        "created_at": "2026-11-25T08:00:00+00:00",
        "valid_until": "2027-11-25T08:00:00+00:00",
        "start_price_floor": 2_380_000,
        "proposed_start_price": 2_720_000,
        "expected_outcome": {"chance_of_sale": 0.9, "expected_final_price": 3_200_000,
                             "expected_recovery": 2_880_000},
        "deposit_range": [136_000, 544_000],
        "outcome": {
            "round": 1, "lawful_range": [2_380_000, 3_400_000],
            "proposed": curve[1], "chance_source": "prior", "fallback": [],
            "history": {}, "curve": curve,
        },
    }
