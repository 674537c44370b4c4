"""Features of a home for the price model: plain functions from listing columns to numbers.

Input frames use the listing schema's names (:mod:`valuation.schema`); units are m² for
areas and yuan/m² for unit prices. Unknown stays NaN: the
gradient-boosted trees learn where a missing value goes, so minimal input still prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from valuation.market_data import load_community_prices
from valuation.schema import BUILDING_TYPES, PROPERTY_FIELDS

LOCATION_COLUMNS = ("city", "district", "bizcircle", "community", "metro_station")
NUMERIC_FEATURES = (
    "log_area",
    "rooms",
    "halls",
    "bathrooms",
    "floor_level",
    "total_floors",
    "build_year",
    "decoration",
    "elevator",
    "south",
    "building_type",
    "near_metro",
    "community_prior",
    "period",
)
# What a price model reads, in this order: its card lists them, and the registry refuses a
# model whose card lists others (one trained by an earlier fapai) instead of failing mid-price.
MODEL_FEATURES = (*LOCATION_COLUMNS, *NUMERIC_FEATURES)
# What a caller may leave out; the masking tiers below drop these in training so the model and
# its interval learn what a shorter description costs.
# The metro station and its distance are details too: a court's file may not name them. The
# distance is not a feature: on the shipped hold-out and three 2,500-listing Shenzhen samples it
# changed nothing beyond noise (MdAPE 9.76% either way; 12.24/12.91/12.96% with it, 12.48/13.03/
# 12.74% without); the station is (location_encoding, neighbours).
DETAIL_FIELDS = PROPERTY_FIELDS[PROPERTY_FIELDS.index("rooms") :]  # rooms … metro_distance_m
_FLOOR_LEVEL = {"低": 0.0, "中": 1.0, "高": 2.0}
_DECORATION = {"毛坯": 0.0, "简装": 1.0, "精装": 2.0}
_BUILDING_TYPE = {t: float(i) for i, t in enumerate(BUILDING_TYPES)}
PRIOR_CITY = "广州市"  # the city the 2017 community price list covers


@cache
def _community_prior_table() -> pd.Series:
    """log 2017 average yuan/m² by (district, community), from the shipped lookup."""
    table = load_community_prices()
    return pd.Series(
        np.log(table["avgpx_2017"].to_numpy(dtype=float)),
        index=pd.MultiIndex.from_frame(table[["district", "community"]]),
    )


# What the feature functions read: a listing DataFrame, or column name → array (one subject's
# values as arrays of one: the inquiry's path, with no pandas overhead). Each feature is defined
# once, on arrays, so a DataFrame and a single row get the same numbers.
Columns = Mapping[str, Any]


def _values(frame: Columns, name: str) -> np.ndarray | None:
    """A column as a NumPy array (numeric extension dtypes as float with NaN), None if absent."""
    if name not in frame:
        return None
    column = frame[name]
    if isinstance(column, pd.Series):
        if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) and (
            pd.api.types.is_numeric_dtype(column.dtype)
            and not pd.api.types.is_bool_dtype(column.dtype)
        ):
            return column.to_numpy(dtype=float, na_value=np.nan)
        return column.to_numpy()
    return np.asarray(column)


def _numbers(values: np.ndarray | None, n: int) -> np.ndarray:
    """Numbers as float (NaN where missing or not a number)."""
    if values is None:
        return np.full(n, np.nan)
    values = np.asarray(values)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in _PLAIN:
        return values.astype(float)  # numbers and None/NaN only (clean columns): as they are
    return np.asarray(pd.to_numeric(values, errors="coerce"), dtype=float)


_PLAIN = ("floating", "integer", "mixed-integer-float", "empty")


class _Lookup:
    """A value → number table applied to an array, as ``Series.map(dict)`` does (NaN where
    the value is not a key): one hashed lookup per value."""

    def __init__(self, table: Mapping[Any, float]) -> None:
        self.table = dict(table)
        self.index = pd.Index(list(table), tupleize_cols=False)
        self.numbers = np.append(np.asarray(list(table.values()), dtype=float), np.nan)

    def __call__(self, values: np.ndarray | None, n: int) -> np.ndarray:
        if values is None:
            return np.full(n, np.nan)
        if values.dtype == object:  # Python's hash and ==, once per distinct value
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            get = self.table.get
            numbers = [get(v, np.nan) for v in uniques]
            return np.asarray([*numbers, np.nan], dtype=float)[codes]  # -1 (missing) → NaN
        return self.numbers[self.index.get_indexer(values)]  # -1 → the trailing NaN


_FLOOR_LEVEL_OF = _Lookup(_FLOOR_LEVEL)
_DECORATION_OF = _Lookup(_DECORATION)
_BUILDING_TYPE_OF = _Lookup(_BUILDING_TYPE)
_ELEVATOR_OF = _Lookup({True: 1.0, False: 0.0})
# The sources only ever say "near a metro" (a tag); False reads as not said, like no tag.
_NEAR_METRO_OF = _Lookup({True: 1.0})


@cache
def _community_prior_lookup() -> dict[tuple[str, str], float]:
    table = _community_prior_table()
    return dict(zip(table.index, table.to_numpy(dtype=float), strict=True))


def community_prior(frame: Columns, n: int) -> np.ndarray:
    """The community's 2017 price level (log yuan/m²) where the public list names it.

    A prior, not a price: the trees learn how far 2017 levels carry to the rows' own period.
    """
    community = _values(frame, "community")
    if community is None:
        return np.full(n, np.nan)
    district = _values(frame, "district")
    district = np.full(n, None, dtype=object) if district is None else district
    lookup = _community_prior_lookup()
    if n <= 16:  # an inquiry's row: looked up as is (factorizing costs more than it saves)
        pairs = zip(district, community, strict=True)
        prior = np.fromiter((lookup.get(p, np.nan) for p in pairs), dtype=float, count=n)
    else:  # once per distinct (district, community) pair, their codes combined in one number
        d_code, districts = pd.factorize(np.asarray(district, dtype=object), use_na_sentinel=True)
        c_code, names = pd.factorize(np.asarray(community, dtype=object), use_na_sentinel=True)
        districts, names = [*districts, None], [*names, None]  # the last: code -1 (missing)
        d_code[d_code < 0], c_code[c_code < 0] = len(districts) - 1, len(names) - 1
        pair, combined = pd.factorize(d_code.astype(np.int64) * len(names) + c_code)
        found = [
            lookup.get((districts[p // len(names)], names[p % len(names)]), np.nan)
            for p in combined.tolist()
        ]
        prior = np.asarray(found, dtype=float)[pair]
    in_city = np.asarray(_values(frame, "city") == PRIOR_CITY, dtype=bool)
    return np.where(in_city, prior, np.nan)


def observed_at(frame: pd.DataFrame) -> pd.Series:
    """When the price was seen: the deal date, else the crawl date, else the listing date."""
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    for col in ("listed_at", "crawled_at", "dealt_at"):
        if col in frame:
            out = pd.to_datetime(frame[col], utc=True).combine_first(out)
    return out


def period_years(when: pd.Series) -> pd.Series:
    """A date as fractional calendar years (2021-07-01 → ~2021.5)."""
    when = pd.to_datetime(when, utc=True)
    return when.dt.year + (when.dt.day_of_year - 1) / 365.25


def _floor_level(frame: Columns, n: int) -> np.ndarray:
    """低/中/高 → 0/1/2; from floor / total_floors in thirds where only the number is known."""
    level = _FLOOR_LEVEL_OF(_values(frame, "floor_level"), n)
    if "floor" in frame and "total_floors" in frame:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = _numbers(_values(frame, "floor"), n) / _numbers(
                _values(frame, "total_floors"), n
            )
        level = np.where(np.isnan(level), np.floor(np.clip(ratio, 0, 0.999) * 3), level)
    return level


def _south(values: np.ndarray | None, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    south = [float("南" in o) if isinstance(o, str) else np.nan for o in uniques]
    return np.asarray([*south, np.nan], dtype=float)[codes]  # once per distinct value


def _text(values: np.ndarray | None, n: int) -> np.ndarray:
    """Names as objects, None where missing."""
    if values is None:
        return np.full(n, None, dtype=object)
    out = np.array(values, dtype=object)
    out[pd.isna(out)] = None
    return out


def feature_columns(frame: Columns) -> dict[str, np.ndarray]:
    """Listing columns → the model's columns as arrays: location names as text, the rest
    numeric. The one definition of the features, for a whole table and for one subject.

    ``period`` is the year the price was observed (``observed_at``); for a subject to price the
    caller sets it to the model's as-of date.
    """
    n = len(frame) if isinstance(frame, pd.DataFrame) else len(_values(frame, "city"))
    out = {col: _text(_values(frame, col), n) for col in LOCATION_COLUMNS}
    out["log_area"] = np.log(_numbers(_values(frame, "area_m2"), n))
    for col in ("rooms", "halls", "bathrooms", "total_floors", "build_year"):
        out[col] = _numbers(_values(frame, col), n)
    out["floor_level"] = _floor_level(frame, n)
    out["decoration"] = _DECORATION_OF(_values(frame, "decoration"), n)
    out["elevator"] = _ELEVATOR_OF(_values(frame, "elevator"), n)
    out["south"] = _south(_values(frame, "orientation"), n)
    out["building_type"] = _BUILDING_TYPE_OF(_values(frame, "building_type"), n)
    out["near_metro"] = _NEAR_METRO_OF(_values(frame, "near_metro"), n)
    out["community_prior"] = community_prior(frame, n)
    if "period" in frame:
        out["period"] = np.asarray(_values(frame, "period"), dtype=float)
    else:
        table = frame if isinstance(frame, pd.DataFrame) else pd.DataFrame(dict(frame))
        out["period"] = period_years(observed_at(table)).to_numpy(dtype=float)
    return out


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Listing columns → the model's columns (:func:`feature_columns`) as a DataFrame."""
    return pd.DataFrame(
        {
            col: pd.Series(
                values, index=frame.index, dtype=object if col in LOCATION_COLUMNS else float
            )
            for col, values in feature_columns(frame).items()
        },
        index=frame.index,
    )


def log_unit_price(frame: pd.DataFrame) -> np.ndarray:
    """The training target: natural log of yuan/m²."""
    return np.log(pd.to_numeric(frame["unit_price"], errors="raise").to_numpy(dtype=float))


# Masking tiers: (drop community/bizcircle?, drop the building details?).
MASK_TIERS = ((True, True), (True, False), (False, True))


def mask_inputs(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of ``frame`` with each row's optional inputs dropped by a random tier.

    Courts often know only city, district and area; training and calibrating on such shortened
    copies teaches the model to price them and the interval to widen for them.
    """
    out = frame.copy()
    tier = rng.integers(0, len(MASK_TIERS), size=len(out))
    for i, (drop_location, drop_details) in enumerate(MASK_TIERS):
        rows = tier == i
        cols = [
            *(("bizcircle", "community") if drop_location else ()),
            *(DETAIL_FIELDS if drop_details else ()),
        ]
        cols = [c for c in cols if c in out]
        # A column filled on every row may be bool or int: unknown (None) needs object.
        out[cols] = out[cols].astype(object)
        out.loc[rows, cols] = None
    return out
