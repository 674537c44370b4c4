"""Location as numbers: hierarchical, smoothed, period-adjusted target encoding.

A community's price level is estimated from its own listings, shrunk towards its business
circle's, which is shrunk towards its district's, and so on up to the city: a community with
two listings says little, one with two hundred says a lot. Prices are first taken relative to
their district's mean level in the year they were seen, so a 2016 deal and a 2025 listing speak
of the same community's *relative* level, and the level itself is a separate feature.
Training rows get out-of-fold encodings (cross-fitting), so the trees never see a row's own
price through its encoding.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

LEVELS = ("city", "district", "bizcircle", "community")
OUTPUT_NAMES = (
    "district_year_level",
    "loc_district",
    "loc_bizcircle",
    "loc_community",
    "community_n",
)


def _keys(X: pd.DataFrame) -> dict[str, pd.Series]:
    """Each level's key, qualified by its parents so 中山 in two cities never collide."""
    city = X["city"].fillna("")
    district = city + "|" + X["district"].fillna("")
    keys = {"city": city, "district": district}
    keys["bizcircle"] = (district + "|" + X["bizcircle"]).where(X["bizcircle"].notna())
    keys["community"] = (district + "|" + X["community"]).where(X["community"].notna())
    return keys


def district_year_levels(X: pd.DataFrame, y: np.ndarray) -> pd.Series:
    """Mean log yuan/m² by (``city|district``, calendar year of ``period``)."""
    keys = district_years(X)
    return pd.Series(y).groupby([keys.get_level_values(0), keys.get_level_values(1)]).mean()


def district_years(X: pd.DataFrame) -> pd.MultiIndex:
    """Each row's (``city|district``, calendar year of ``period``)."""
    district = X["city"].fillna("") + "|" + X["district"].fillna("")
    year = np.floor(X["period"].astype(float)).astype(int)
    return pd.MultiIndex.from_arrays([district.to_numpy(), year.to_numpy()])


def encoding_folds(y: np.ndarray, n_folds: int) -> np.ndarray:
    """Cross-fitting folds by a hash of the target, so a masked copy of a row shares the
    row's fold (its own price never reaches it through an encoding)."""
    return pd.util.hash_array(np.round(np.asarray(y, dtype=float), 9)) % n_folds


def never_all_missing(encoded: np.ndarray) -> np.ndarray:
    """Training encodings with a column the data never fills (no community, no title in any
    row) as 0 rather than NaN: the trees cannot bin a column of nothing but NaN."""
    encoded[:, np.isnan(encoded).all(axis=0)] = 0.0
    return encoded


class LocationEncoder(TransformerMixin, BaseEstimator):
    """Encode (city, district, bizcircle, community, period) → relative price levels.

    ``smoothing`` is the m-estimate's weight of the parent level, in listings: 0.5 measured
    best on the Guangzhou 2021–22 listings (5-fold CV MdAPE 7.63% at 2, 7.78% at 10, 7.60% at
    0.5): the backoff already happens through ``community_n`` and the trees.

    Outputs: the district's mean log yuan/m² in the row's year (its nearest observed year),
    then the district, business-circle and community relative levels (log yuan/m², each
    falling back to its parent when unknown), and log(1 + listings of the community).
    """

    def __init__(self, smoothing: float = 0.5, n_folds: int = 5) -> None:
        self.smoothing = smoothing
        self.n_folds = n_folds

    # -- fitting ---------------------------------------------------------------------------
    def _tables(self, X: pd.DataFrame, y: np.ndarray) -> dict:
        keys = _keys(X)
        level = district_year_levels(X, y)
        rel = y - level.reindex(district_years(X)).to_numpy()
        stats = {
            name: pd.DataFrame({"k": keys[name].to_numpy(), "r": rel})
            .dropna(subset=["k"])
            .groupby("k")["r"]
            .agg(["sum", "count"])
            for name in LEVELS
        }
        biz_of = (
            pd.DataFrame({"c": keys["community"], "b": keys["bizcircle"]})
            .dropna()
            .groupby("c")["b"]
            .agg(lambda s: s.mode().iloc[0])
        )
        return {"level": level, "stats": stats, "biz_of": biz_of}

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> LocationEncoder:
        self.tables_ = self._tables(X.reset_index(drop=True), np.asarray(y, dtype=float))
        return self

    def fit_transform(
        self, X: pd.DataFrame, y: np.ndarray | None = None, **_: object
    ) -> np.ndarray:
        """Fit on all rows; return out-of-fold encodings for the rows themselves."""
        X = X.reset_index(drop=True)
        y = np.asarray(y, dtype=float)
        self.fit(X, y)
        fold = encoding_folds(y, self.n_folds)
        out = np.empty((len(X), len(OUTPUT_NAMES)))
        for f in range(self.n_folds):
            held = fold == f
            tables = self._tables(X[~held].reset_index(drop=True), y[~held])
            out[held] = self._encode(X[held].reset_index(drop=True), tables)
        return out

    # -- encoding --------------------------------------------------------------------------
    def _encode(self, X: pd.DataFrame, tables: dict) -> np.ndarray:
        keys = _keys(X)
        district = keys["district"]
        year = np.floor(X["period"].astype(float)).astype(int).to_numpy()
        level = tables["level"]
        # The district's level in that year, else in its nearest known year (no extrapolation).
        district_level = np.full(len(X), np.nan)
        known = set(level.index.get_level_values(0))
        for d in district.unique():
            if d not in known:
                continue
            years = level.loc[d]
            rows = (district == d).to_numpy()
            nearest = years.index.to_numpy()[
                np.abs(year[rows][:, None] - years.index.to_numpy()[None, :]).argmin(1)
            ]
            district_level[rows] = years.loc[nearest].to_numpy()
        biz = keys["bizcircle"].fillna(keys["community"].map(tables["biz_of"]))
        keys["bizcircle"] = biz
        m = self.smoothing
        prior = np.zeros(len(X))
        encoded = {}
        for name in LEVELS:
            s = tables["stats"][name].reindex(keys[name])
            total, n = s["sum"].fillna(0).to_numpy(), s["count"].fillna(0).to_numpy()
            prior = (total + m * prior) / (n + m)
            encoded[name] = prior
        n_comm = tables["stats"]["community"]["count"].reindex(keys["community"]).fillna(0)
        return np.column_stack(
            [
                district_level,
                encoded["district"],
                encoded["bizcircle"],
                encoded["community"],
                np.log1p(n_comm.to_numpy()),
            ]
        )

    def bizcircle_of(self, city: str, district: str, community: str | None) -> str | None:
        """The business circle a known community lies in, from the training rows."""
        if community is None:
            return None
        key = self.tables_["biz_of"].get(f"{city}|{district}|{community}")
        return key.rsplit("|", 1)[-1] if isinstance(key, str) else None

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        return self._encode(X.reset_index(drop=True), self.tables_)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        return np.asarray(OUTPUT_NAMES, dtype=object)
