"""The nearest homes of the same community as a feature: repeat listings and sister units.

A community's mean (:mod:`valuation.location_encoding`) says how dear the place is; the homes
in it most like the subject — the same flat listed again a year later, the unit of the same size
two floors down — say more. For each row with a community this step finds the ``k`` training
rows of that community nearest in size, layout, floors, age and date, and returns their price
relative to their district's level in their own year (so a 2021 listing speaks to a 2022 one),
weighted by nearness, beside how near the nearest is and how many there were.

Row-wise at prediction (one dictionary lookup and a distance over that community's rows);
training rows get out-of-fold values (the folds :class:`LocationEncoder` uses), so the trees
never see a row's own price through its neighbours.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from valuation.location_encoding import (
    district_year_levels,
    district_years,
    encoding_folds,
    never_all_missing,
)

# The columns this step reads (of valuation.features.feature_frame).
NEIGHBOUR_INPUTS = (
    "city",
    "district",
    "bizcircle",
    "community",
    "period",
    "log_area",
    "rooms",
    "floor_level",
    "total_floors",
    "build_year",
)
OUTPUT_NAMES = ("nb_rel", "nb_nearest_rel", "nb_distance", "nb_count")
GROUPS = ("community", "bizcircle")  # where neighbours are looked for: one step each
_CHUNK = 2000  # query rows per distance matrix
# Distance weights (one unit ≈ a 20% difference in area) and the distance a detail the subject
# states and a neighbour does not counts as.
WEIGHTS = {
    "log_area": 5.0,
    "rooms": 0.3,
    "floor_level": 0.3,
    "total_floors": 0.05,
    "build_year": 1 / 15,
    "period": 0.5,
}
UNKNOWN = {"rooms": 0.15, "floor_level": 0.15, "total_floors": 0.25, "build_year": 0.15}
K = 5


def _group_keys(X: pd.DataFrame, group: str) -> np.ndarray:
    key = X["city"].fillna("") + "|" + X["district"].fillna("") + "|" + X[group]
    return key.where(X[group].notna()).to_numpy(dtype=object)


class NeighbourEncoder(TransformerMixin, BaseEstimator):
    """(community or business circle, size, layout, floors, age, period) → the nearest
    homes' prices in the same ``group`` (a name of :data:`GROUPS`)."""

    def __init__(self, group: str = "community", k: int = K, n_folds: int = 5) -> None:
        self.group = group
        self.k = k
        self.n_folds = n_folds

    def _table(self, X: pd.DataFrame, y: np.ndarray) -> dict:
        X = X.reset_index(drop=True)
        level = district_year_levels(X, y)
        rel = y - level.reindex(district_years(X)).to_numpy()
        keys = _group_keys(X, self.group)
        has = pd.notna(keys)
        order = np.flatnonzero(has)[np.argsort(keys[has], kind="stable")]
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        ends = np.r_[starts[1:], len(order)]
        columns = {c: X[c].to_numpy(dtype=float)[order] for c in WEIGHTS}
        return {
            "groups": {sorted_keys[s]: (s, e) for s, e in zip(starts, ends, strict=True)},
            "columns": columns,
            "rel": rel[order],
        }

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> NeighbourEncoder:
        self.table_ = self._table(X, np.asarray(y, dtype=float))
        return self

    def fit_transform(
        self, X: pd.DataFrame, y: np.ndarray | None = None, **_: object
    ) -> np.ndarray:
        """Fit on all rows; return out-of-fold values for the rows themselves."""
        X = X.reset_index(drop=True)
        y = np.asarray(y, dtype=float)
        self.fit(X, y)
        fold = encoding_folds(y, self.n_folds)
        out = np.empty((len(X), len(OUTPUT_NAMES)))
        for f in range(self.n_folds):
            held = fold == f
            table = self._table(X[~held], y[~held])
            out[held] = self._encode(X[held].reset_index(drop=True), table)
        return never_all_missing(out)

    def _encode(self, X: pd.DataFrame, table: dict) -> np.ndarray:
        out = np.full((len(X), len(OUTPUT_NAMES)), np.nan)
        out[:, 3] = 0.0
        keys = _group_keys(X, self.group)
        groups = table["groups"]
        query = {c: X[c].to_numpy(dtype=float) for c in WEIGHTS}
        rows_of: dict[str, list[int]] = {}
        for i, key in enumerate(keys):
            if key is not None and key in groups:
                rows_of.setdefault(key, []).append(i)
        for key, rows in rows_of.items():
            s, e = groups[key]
            for start in range(0, len(rows), _CHUNK):
                q = np.asarray(rows[start : start + _CHUNK])
                out[q] = self._nearest(query, q, table, s, e)
        return out

    def _nearest(self, query: dict, q: np.ndarray, table: dict, s: int, e: int) -> np.ndarray:
        """The output columns for query rows ``q`` against the group's rows ``s:e``."""
        dist = np.zeros((len(q), e - s))
        for col, w in WEIGHTS.items():
            mine = query[col][q]
            diff = np.abs(mine[:, None] - table["columns"][col][None, s:e]) * w
            # What the subject does not state costs nothing; what a neighbour does not
            # state, where the subject does, counts as a typical difference.
            unknown = np.where(np.isnan(mine), 0.0, UNKNOWN.get(col, 0.0))[:, None]
            dist += np.where(np.isnan(diff), unknown, diff)
        rel = table["rel"][s:e]
        k = min(self.k, e - s)
        near = (
            np.argpartition(dist, k - 1, axis=1)[:, :k] if k < e - s else np.indices(dist.shape)[1]
        )
        d = np.take_along_axis(dist, near, axis=1)
        order = np.argsort(d, axis=1, kind="stable")
        near, d = np.take_along_axis(near, order, axis=1), np.take_along_axis(d, order, axis=1)
        weight = 1.0 / (0.05 + d)
        return np.column_stack(
            [
                (rel[near] * weight).sum(axis=1) / weight.sum(axis=1),
                rel[near[:, 0]],
                d[:, 0],
                np.full(len(q), k, dtype=float),
            ]
        )

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        return self._encode(X.reset_index(drop=True), self.table_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray([f"{self.group}_{name}" for name in OUTPUT_NAMES], dtype=object)
