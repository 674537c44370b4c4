"""Feature columns the price model derives from listing rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from valuation.features import feature_frame
from valuation.market_data import load_community_prices
from valuation.neighbours import NEIGHBOUR_INPUTS, NeighbourEncoder
from valuation.neighbours import OUTPUT_NAMES as NB_OUTPUTS


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


def _homes(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"city": ["广州市"] * n, "district": ["天河区"] * n, "period": [2022.9] * n}
    return feature_frame(pd.DataFrame({**base, **columns}))


def test_neighbours_price_a_home_by_its_nearest_sister_units_of_the_community():
    # Two sizes in one community, the large flats dearer per m² than the district.
    train = _homes(
        community=["骏景花园"] * 6 + ["别的小区"] * 2,
        area_m2=[60, 61, 62, 120, 121, 122, 90, 90],
    )
    y = np.log([30_000, 30_500, 31_000, 60_000, 61_000, 62_000, 40_000, 40_000])
    encoder = NeighbourEncoder(k=3).fit(train[list(NEIGHBOUR_INPUTS)], y)
    subject = _homes(community=["骏景花园", "骏景花园", "没见过的小区"], area_m2=[120.5, 60.5, 90])
    out = pd.DataFrame(encoder.transform(subject[list(NEIGHBOUR_INPUTS)]), columns=NB_OUTPUTS)
    # The 120 m² subject reads its three 120 m² sister units, the 60 m² one its 60 m² ones.
    assert out["nb_rel"][0] > 0.3 > -0.3 > out["nb_rel"][1]
    assert out["nb_distance"][0] < 0.1 and out["nb_count"].tolist() == [3, 3, 0]
    # An unknown community: nothing said, never a guess.
    assert np.isnan(out["nb_rel"][2])


def test_neighbours_of_training_rows_are_out_of_fold():
    # One listing per community: out of fold, a row has no neighbour (its own price is hidden).
    train = _homes(community=[f"小区{i}" for i in range(40)], area_m2=[80.0] * 40)
    y = np.log(np.linspace(20_000, 60_000, 40))
    out = NeighbourEncoder().fit_transform(train[list(NEIGHBOUR_INPUTS)], y)
    assert (out[:, 3] == 0).all()


def test_business_circle_neighbours_stand_in_where_the_community_is_unknown():
    train = _homes(
        bizcircle=["珠江新城"] * 4, community=[None] * 4, area_m2=[60.0, 61.0, 140.0, 141.0]
    )
    y = np.log([50_000, 51_000, 90_000, 91_000])
    encoder = NeighbourEncoder("bizcircle", k=2).fit(train[list(NEIGHBOUR_INPUTS)], y)
    subject = _homes(bizcircle=["珠江新城"], community=[None], area_m2=[139.0])
    out = encoder.transform(subject[list(NEIGHBOUR_INPUTS)])
    assert out[0, 0] > 0.2 and out[0, 3] == 2  # its two large neighbours, dearer per m²
    assert encoder.get_feature_names_out()[0] == "bizcircle_nb_rel"


def test_neighbours_of_a_table_are_those_of_its_rows_one_by_one(small_listings):
    # A batch is searched in blocks, alike rows once, a shared period once per group: each row
    # must still get exactly what it gets alone (the inquiry's path), ties included.
    data = feature_frame(small_listings)
    y = np.log(small_listings["unit_price"].to_numpy(dtype=float))
    table = data.sample(n=1200, replace=True, random_state=3).reset_index(drop=True)
    table["period"] = 2026.5  # one valuation date, as a batch appraisal prices at
    for group in ("community", "bizcircle"):
        encoder = NeighbourEncoder(group).fit(data[list(NEIGHBOUR_INPUTS)], y)
        batch = encoder.transform(table[list(NEIGHBOUR_INPUTS)])
        alone = np.vstack(
            [encoder.transform(table.loc[[i], list(NEIGHBOUR_INPUTS)]) for i in range(len(table))]
        )
        assert (batch[:, 3] > 0).sum() > 500
        np.testing.assert_array_equal(batch, alone)
