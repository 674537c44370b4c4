"""Feature columns the price model derives from listing rows."""

from __future__ import annotations

import math

import pandas as pd

from valuation.features import feature_frame
from valuation.market_data import load_community_prices


def test_community_prior_is_the_2017_level_of_a_named_guangzhou_community():
    known = load_community_prices().iloc[0]
    frame = pd.DataFrame(
        {
            "city": ["广州市", "广州市", "深圳市"],
            "district": [known["district"], known["district"], known["district"]],
            "community": [known["community"], "没有这个小区", known["community"]],
            "area_m2": [80.0, 80.0, 80.0],
            "period": [2022.0, 2022.0, 2022.0],
        }
    )
    prior = feature_frame(frame)["community_prior"]
    assert prior.iloc[0] == math.log(known["avgpx_2017"])
    # Unknown community, or the same name in another city: no prior, never a guess.
    assert prior.iloc[1:].isna().all()


def test_building_type_and_metro_tag_as_numbers():
    frame = pd.DataFrame(
        {
            "city": ["广州市"] * 3,
            "district": ["天河区"] * 3,
            "area_m2": [80.0] * 3,
            "building_type": ["塔楼", "板楼", None],
            "near_metro": [True, None, False],
            "period": [2022.0] * 3,
        }
    )
    X = feature_frame(frame)
    assert X["building_type"].tolist()[:2] == [0.0, 2.0] and math.isnan(X["building_type"][2])
    # The sources only tag "near metro": False is read as not said.
    assert X["near_metro"].iloc[0] == 1.0 and X["near_metro"].iloc[1:].isna().all()
