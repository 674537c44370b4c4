"""The inquiry's fast path gives the batch path's numbers, bit for bit: features of one subject
as arrays, the pipeline's fitted steps without DataFrames, the compiled trees."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from valuation import serving
from valuation.comparables import _distance
from valuation.features import feature_columns, feature_frame, mask_inputs
from valuation.intervals import _difficulty_inputs
from valuation.model import _row
from valuation.outcome import regressor
from valuation.schema import LISTING_FIELDS
from valuation.train import prepare_training_frame


def _rows(small_listings, n=600):
    rows, _ = prepare_training_frame(small_listings.head(n))
    masked = mask_inputs(rows, np.random.default_rng(0))
    return pd.concat([rows, masked], ignore_index=True)


def test_one_subjects_features_are_the_tables_features(small_listings):
    rows = _rows(small_listings, 300)
    table = feature_frame(rows)
    for i in range(0, len(rows), 7):
        one = feature_columns(_row({c: rows.at[i, c] for c in [*LISTING_FIELDS, "period"]}))
        assert list(one) == list(table.columns)
        for col, values in one.items():
            expected = table[col].to_numpy()[i : i + 1]
            if values.dtype == object:
                assert values.tolist() == expected.tolist(), (i, col)
            else:
                assert np.array_equal(values, expected, equal_nan=True), (i, col)


def test_pipeline_steps_on_arrays_and_compiled_trees_match_sklearn(small_model, small_listings):
    pipeline = small_model.as_price_model().pipeline
    rows = _rows(small_listings)
    encoded = pipeline[:-1].transform(rows)
    assert np.array_equal(serving.transform(pipeline, rows), encoded, equal_nan=True)
    inner = pipeline[-1].estimator_  # the trees, fitted to what the neighbours leave
    trees = serving.compiled(inner)
    expected = inner.predict(encoded)
    for start in range(0, len(rows), 150):
        chunk = slice(start, start + 150)
        assert np.array_equal(trees.predict(encoded[chunk]), expected[chunk])
    # The price with the neighbour offset added back, a few rows (compiled) and all of them.
    priced = pipeline[-1].predict(encoded)
    assert not np.array_equal(priced, expected)
    for chunk in (slice(0, 20), slice(20, 40), slice(None)):
        assert np.array_equal(serving.predict(pipeline[-1], encoded[chunk]), priced[chunk])


def _two_features(seed: int, n: int, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """A whole-number feature of ``levels`` values and a normal one missing in 10% of rows,
    whose missing rows are worth a split of their own (threshold +inf)."""
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.integers(0, levels, n).astype(float), rng.normal(size=n)])
    X[rng.random(n) < 0.1, 1] = np.nan
    y = X[:, 0] % (levels // 4 + 2) + np.nan_to_num(X[:, 1]) + rng.normal(scale=0.1, size=n)
    y[np.isnan(X[:, 1])] += 3
    return X, y


def _splits_on_missing(model: HistGradientBoostingRegressor) -> bool:
    return any(np.isinf(p.nodes["num_threshold"]).any() for (p,) in model._predictors)


def test_compiled_trees_follow_categorical_splits_missing_and_unknown_values():
    X, y = _two_features(1, 3000, 12)
    model = HistGradientBoostingRegressor(
        categorical_features=[0], max_iter=40, random_state=0
    ).fit(X, y)
    assert _splits_on_missing(model)
    Z = X.copy()
    Z[:50, 0] = np.nan  # missing category
    Z[50:100, 0] = 40.0  # a category never seen
    Z[100:150, 0] = -1.0
    assert np.array_equal(serving.compiled(model).predict(Z), model.predict(Z))


def test_trees_walked_on_their_bins_give_sklearns_floats(small_model, small_listings):
    """A batch's walk on the model's bins (price model and σ(x)) is ``predict``, bit for bit."""
    trained = small_model.as_price_model()
    pipeline, difficulty = trained.pipeline, trained.calibration.difficulty
    rows = _rows(small_listings)
    encoded = pipeline[:-1].transform(rows)
    sigma_inputs = _difficulty_inputs(pipeline, rows, encoded)
    for estimator, X in ((pipeline[-1].estimator_, encoded), (difficulty, sigma_inputs)):
        trees = serving.binned(estimator)
        assert trees is not None
        assert np.array_equal(trees.predict(X), estimator.predict(X))


def test_trees_on_bins_follow_missing_values_thresholds_infinities_and_alike_rows():
    X, y = _two_features(4, 4000, 30)
    model = HistGradientBoostingRegressor(max_iter=60, random_state=0).fit(X, y)
    assert _splits_on_missing(model)
    thresholds = np.concatenate(model._bin_mapper.bin_thresholds_)
    Z = np.concatenate([X, np.column_stack([thresholds, thresholds[::-1]])])  # on a threshold
    Z[:40] = [[np.inf, -np.inf], [-np.inf, np.inf], [np.nan, np.nan], [1e300, -1e300]] * 10
    Z[40:80, 0] = np.nextafter(Z[40:80, 0], np.inf)  # just above a value seen
    assert np.array_equal(serving.binned(model).predict(Z), model.predict(Z))
    # Rows the splits cannot tell apart, walked once: repeated, or moved within a bin.
    alike = np.concatenate([Z[:600], Z[:600], Z[:600] + [0.0, 1e-9]])
    assert np.array_equal(serving.binned(model).predict(alike), model.predict(alike))
    categorical = HistGradientBoostingRegressor(
        categorical_features=[0], max_iter=5, random_state=0
    ).fit(X, y)
    assert serving.binned(categorical) is None  # sklearn's own predict


@pytest.mark.parametrize("walk", ["compiled", "on bins"])
def test_an_inquirys_price_is_the_batch_appraisals_price(
    small_model, small_listings, monkeypatch, walk
):
    """``PriceModel.value`` (one subject, the fast path) and ``appraise`` (a table, the batch
    path: the compiled trees for a few rows, the walk on bins for many) price the same
    properties to the same yuan."""
    if walk == "on bins":
        monkeypatch.setattr(serving, "COMPILED_CELLS", 0)  # every batch as a big one
    model = small_model.as_price_model()
    table = small_listings.head(60).drop(columns=["unit_price", "price_total"])
    batch = model.appraise(table)
    monkeypatch.undo()  # one subject: its compiled trees
    priced = 0
    for i, row in table.iterrows():
        if batch.at[i, "refused"] is not None:
            continue
        subject = {k: v for k, v in row.items() if k in LISTING_FIELDS and not pd.isna(v)}
        estimate = model.value(model.inputs(subject), k=0).estimate
        assert int(estimate.price_total) == batch.at[i, "estimate"]
        for pct in (80, 90):
            assert [int(v) for v in getattr(estimate, f"interval{pct}")] == [
                batch.at[i, f"low{pct}"],
                batch.at[i, f"high{pct}"],
            ]
        priced += 1
    assert priced >= 40


def test_the_outcome_curves_predict_is_the_pipelines_predict():
    """The outcome regressor's features of a lot's start grid as arrays, its encoder by lookup
    and its compiled trees give ``pipeline.predict(features(frame))``, unknown cities too."""
    rng = np.random.default_rng(2)
    n = 1500
    cities = np.array(["广州市", "深圳市", "佛山市"], dtype=object)
    history = pd.DataFrame(
        {
            "city": rng.choice(cities, n),
            "sold_on": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 900, n), "D"),
            "area_m2": rng.uniform(30, 200, n),
            "reference_fen": rng.integers(10**8, 10**9, n),
        }
    )
    history["start_fen"] = (history["reference_fen"] * rng.uniform(0.7, 1.0, n)).astype(int)
    final = history["start_fen"] * rng.uniform(1.0, 1.3, n) / history["reference_fen"]
    pipeline = regressor.pipeline().set_params(regress__max_iter=40)
    pipeline.fit(regressor.features(history), final)
    asked = history.head(200).assign(city=np.resize(np.append(cities, "武汉市"), 200))
    columns = regressor.feature_columns({c: asked[c].to_numpy() for c in asked.columns})
    framed = regressor.features(asked)
    for col, values in columns.items():
        assert np.array_equal(values, framed[col].to_numpy()), col
    encoded = serving.transform(pipeline, columns)
    assert np.array_equal(encoded, pipeline[:-1].transform(framed), equal_nan=True)
    city_encoder = pipeline[0].named_transformers_["city"]
    assert serving._ordinal(city_encoder, columns, ["city"]) is not None  # by lookup
    assert np.array_equal(serving.predict(pipeline[-1], encoded), pipeline.predict(framed))


def test_comparables_from_the_subjects_district_are_the_whole_citys_nearest(small_model):
    """The district-first search returns what a scan of every listing of the city returns."""
    index = small_model.as_price_model().index
    rng = np.random.default_rng(3)
    searched = 0
    for city, g in index.by_city.items():
        for i in rng.integers(0, len(g["district"]), 25):
            subject = {
                "city": city,
                "district": g["district"][i],
                "bizcircle": g["bizcircle"][i] if rng.random() < 0.5 else None,
                "community": g["community"][i] if rng.random() < 0.3 else None,
                "area_m2": float(g["area_m2"][i] * rng.uniform(0.6, 1.6)),
                "rooms": [None, 2, 3][i % 3],
                "period": float(g["period"][i] + rng.uniform(-1, 3)),
            }
            places = {
                col: index.numbers[city][col].get(subject[col], -2)
                if subject[col] is not None
                else -3
                for col in ("district", "bizcircle", "community")
            }
            everything = _distance(g, subject, places)
            for k in (1, 5):
                scanned = index._nearest(g, np.arange(len(everything)), everything, subject, 9.0, k)
                assert index.nearest(subject, 9.0, k) == scanned
            searched += 1
    assert searched >= 25
