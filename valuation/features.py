"""Features of a home for the price model: plain functions from listing columns to numbers.

Input frames use the listing schema's names (:mod:`valuation.schema`); units are m² for
areas and yuan/m² for unit prices. Unknown stays NaN: the
gradient-boosted trees learn where a missing value goes, so minimal input still prices.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from valuation.market_data import load_community_prices
from valuation.schema import BUILDING_TYPES

LOCATION_COLUMNS = ("city", "district", "bizcircle", "community")
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
# What a caller may leave out; the masking tiers below drop these in training so the model and
# its interval learn what a shorter description costs.
DETAIL_FIELDS = (
    "rooms",
    "halls",
    "bathrooms",
    "floor",
    "floor_level",
    "total_floors",
    "orientation",
    "decoration",
    "build_year",
    "elevator",
    "building_type",
    "near_metro",
)
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


def community_prior(frame: pd.DataFrame) -> pd.Series:
    """The community's 2017 price level (log yuan/m²) where the public list names it.

    A prior, not a price: the trees learn how far 2017 levels carry to the rows' own period.
    """
    if "community" not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    keys = pd.MultiIndex.from_arrays(
        [frame["district"].astype(object), frame["community"].astype(object)]
    )
    prior = _community_prior_table().reindex(keys).to_numpy()
    in_city = (frame["city"] == PRIOR_CITY).to_numpy()
    return pd.Series(np.where(in_city, prior, np.nan), index=frame.index, dtype=float)


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


def _floor_level(frame: pd.DataFrame) -> pd.Series:
    """低/中/高 → 0/1/2; from floor / total_floors in thirds where only the number is known."""
    level = frame.get("floor_level", pd.Series(index=frame.index, dtype=object)).map(_FLOOR_LEVEL)
    if "floor" in frame and "total_floors" in frame:
        ratio = pd.to_numeric(frame["floor"], errors="coerce") / pd.to_numeric(
            frame["total_floors"], errors="coerce"
        )
        level = level.fillna(np.floor(ratio.clip(0, 0.999) * 3))
    return level.astype(float)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[name], errors="coerce").astype(float)


def feature_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Listing columns → the model's columns: location names as text, the rest numeric.

    ``period`` is the year the price was observed (``observed_at``); for a subject to price the
    caller sets it to the model's as-of date.
    """
    out = pd.DataFrame(index=frame.index)
    for col in LOCATION_COLUMNS:
        values = frame[col] if col in frame else pd.Series(None, index=frame.index, dtype=object)
        out[col] = values.astype(object).where(values.notna(), None)
    out["log_area"] = np.log(_col(frame, "area_m2"))
    for col in ("rooms", "halls", "bathrooms", "total_floors", "build_year"):
        out[col] = _col(frame, col)
    out["floor_level"] = _floor_level(frame)
    decoration = frame.get("decoration", pd.Series(index=frame.index, dtype=object))
    out["decoration"] = decoration.map(_DECORATION).astype(float)
    elevator = frame.get("elevator", pd.Series(index=frame.index, dtype=object))
    out["elevator"] = elevator.map({True: 1.0, False: 0.0}).astype(float)
    orientation = frame.get("orientation", pd.Series(index=frame.index, dtype=object))
    out["south"] = orientation.map(lambda o: float("南" in o) if isinstance(o, str) else np.nan)
    building = frame.get("building_type", pd.Series(index=frame.index, dtype=object))
    out["building_type"] = building.map(_BUILDING_TYPE).astype(float)
    metro = frame.get("near_metro", pd.Series(index=frame.index, dtype=object))
    # The sources only ever say "near a metro" (a tag); False reads as not said, like no tag.
    out["near_metro"] = metro.map({True: 1.0}).astype(float)
    out["community_prior"] = community_prior(frame)
    if "period" in frame:
        out["period"] = frame["period"].astype(float)
    else:
        out["period"] = period_years(observed_at(frame)).astype(float)
    return out


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
