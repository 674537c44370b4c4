"""Comparables: the most similar listings in the same city, each adjusted to the subject.

Similarity is a weighted distance: location first (same community, then business circle, then
district), then size, layout, age and how long ago the price was seen. Each comparable's unit
price is adjusted to the subject by the price model's own ratio between the two (a hedonic
adjustment: what the model says the differences in area, floors, age, place and date are
worth), then multiplied by the subject's area.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

INDEX_COLUMNS = (
    "source",
    "listing_id",
    "url",
    "city",
    "district",
    "bizcircle",
    "community",
    "area_m2",
    "rooms",
    "halls",
    "floor_level",
    "total_floors",
    "build_year",
    "decoration",
    "unit_price",
    "price_total",
    "period",
    "observed_on",
)
# Distance weights: one unit ≈ a 20% difference in area.
W_DISTRICT, W_BIZCIRCLE, W_COMMUNITY = 4.0, 1.5, 1.5
W_LOG_AREA, W_ROOMS, W_YEAR_BUILT, W_PERIOD = 5.0, 0.3, 1 / 15, 0.25
# A listing that does not state what the subject states is as far as a typical difference.
UNKNOWN_ROOMS, UNKNOWN_YEAR_BUILT = 0.3, 0.5
_WHOLE = Decimal(1)


# What a comparable's price is: an asking price (挂牌价) or a deal price (成交价).
PRICE_KINDS = {"asking": "挂牌价", "deal": "成交价"}
# Where comparables come from, as people know the sites (a source code like beike_gz_2025).
SOURCE_SITES: dict[str, str] = {
    "lianjia": "链家",
    "beike": "贝壳找房",
    "ke": "贝壳找房",
    "anjuke": "安居客",
    "fang": "房天下",
    "shared": "公开挂牌数据",
}
_SOURCE_CITIES = {"gz": "广州", "sz": "深圳", "fs": "佛山", "dg": "东莞", "zh": "珠海"}


def source_name(code: str | None) -> str:
    """A source code as people know the site: ``beike_gz_2025`` → 贝壳找房（广州）; an unknown
    code → 公开挂牌数据; none → —."""
    if not code:
        return "—"
    site, *rest = code.split("_")
    name = SOURCE_SITES.get(site, SOURCE_SITES["shared"])
    city = next((_SOURCE_CITIES[p] for p in rest if p in _SOURCE_CITIES), None)
    return f"{name}（{city}）" if city else name


def price_kind_of(source: str | None, dealt: object = None) -> str:
    """``deal`` where the row has a deal date (or, in indexes built before that was kept, its
    source is a deals file such as ``lianjia_gz_deals_2016_17``), else ``asking``."""
    if dealt is not None and not (isinstance(dealt, float) and np.isnan(dealt)):
        return "deal" if bool(dealt) else "asking"
    parts = (source or "").split("_")
    return "deal" if "deal" in parts or "deals" in parts else "asking"


@dataclass(frozen=True)
class Comparable:
    """A listing or deal near the subject; prices in yuan, adjusted to the subject.
    ``price_kind`` says whether the price is an asking price or a deal (:data:`PRICE_KINDS`),
    ``source_name`` the site as people know it."""

    source: str
    listing_id: str
    url: str | None
    district: str | None
    community: str | None
    area_m2: float
    rooms: int | None
    build_year: int | None
    observed_on: date | None
    unit_price: Decimal
    price_total: Decimal
    adjusted_unit_price: Decimal
    adjusted_price_total: Decimal
    distance: float
    price_kind: str = "asking"
    source_name: str = ""

    @property
    def price_label(self) -> str:
        """挂牌价 or 成交价."""
        return PRICE_KINDS.get(self.price_kind, PRICE_KINDS["asking"])


def _same(values: np.ndarray, target: object) -> np.ndarray:
    if target is None:
        return np.zeros(len(values), dtype=bool)
    return values == target


def _absdiff(values: np.ndarray, target: float | None, weight: float, unknown: float) -> np.ndarray:
    """Weighted |difference|; ``unknown`` where the listing lacks what the subject states."""
    if target is None:
        return np.zeros(len(values))
    return np.nan_to_num(np.abs(values.astype(float) - float(target)) * weight, nan=unknown)


class ComparablesIndex:
    """Listings grouped by city, with the model's log unit price at their own features.

    The artifact keeps the rows (``by_city``); :meth:`load` builds the lookup a request reads
    (each city's columns as plain arrays), once, when the model loads.
    """

    def __init__(self, frame: pd.DataFrame, predicted_log_unit: np.ndarray) -> None:
        data = frame.loc[:, list(INDEX_COLUMNS)].copy()
        data["predicted_log_unit"] = predicted_log_unit
        # A deal (成交) has its deal date; anything else is an asking price (挂牌).
        dealt = frame["dealt_at"] if "dealt_at" in frame else pd.Series(None, index=frame.index)
        data["dealt"] = dealt.notna().to_numpy()
        self.by_city = {c: g.reset_index(drop=True) for c, g in data.groupby("city")}

    def __len__(self) -> int:
        return sum(len(g) for g in self.by_city.values())

    def load(self) -> CityArrays:
        """The query-ready index: per city, every column as a NumPy array."""
        return CityArrays(
            {city: {col: _array(g[col]) for col in g.columns} for city, g in self.by_city.items()}
        )


def _array(column: pd.Series) -> np.ndarray:
    """A column as NumPy: numbers as float (NaN where missing), text as objects (None)."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return column.astype(object).where(column.notna(), None).to_numpy()


class CityArrays:
    """The comparables lookup of a loaded model: per city, its listings' columns as arrays."""

    def __init__(self, by_city: dict[str, dict[str, np.ndarray]]) -> None:
        self.by_city = by_city

    def nearest(self, subject: dict, subject_log_unit: float, k: int = 8) -> list[Comparable]:
        """The ``k`` nearest listings of the subject's city, adjusted to the subject.

        ``subject`` holds the validated subject fields (area_m2 required) and its ``period``.
        """
        g = self.by_city.get(subject["city"])
        if g is None or k <= 0:
            return []
        dist = W_DISTRICT * ~_same(g["district"], subject.get("district"))
        dist += W_BIZCIRCLE * ~_same(g["bizcircle"], subject.get("bizcircle"))
        dist += W_COMMUNITY * ~_same(g["community"], subject.get("community"))
        dist += W_LOG_AREA * np.abs(np.log(g["area_m2"] / subject["area_m2"]))
        dist += _absdiff(g["rooms"], subject.get("rooms"), W_ROOMS, UNKNOWN_ROOMS)
        dist += _absdiff(
            g["build_year"], subject.get("build_year"), W_YEAR_BUILT, UNKNOWN_YEAR_BUILT
        )
        dist += _absdiff(g["period"], subject.get("period"), W_PERIOD, 0.0)
        # Every row within the k-th smallest distance, ordered by distance then row: the first
        # k of a stable full sort, without sorting every listing of the city.
        kth = np.partition(dist, k - 1)[k - 1] if k < len(dist) else np.inf
        near = np.flatnonzero(dist <= kth)
        order = near[np.lexsort((near, dist[near]))][:k]
        area = Decimal(str(subject["area_m2"]))
        return [self._comparable(g, i, float(dist[i]), subject_log_unit, area) for i in order]

    @staticmethod
    def _comparable(
        g: dict[str, np.ndarray], i: int, distance: float, subject_log_unit: float, area: Decimal
    ) -> Comparable:
        factor = float(np.exp(subject_log_unit - g["predicted_log_unit"][i]))
        unit = Decimal(int(g["unit_price"][i]))
        adjusted_unit = (unit * Decimal(str(round(factor, 6)))).quantize(_WHOLE)
        rooms, built, total = g["rooms"][i], g["build_year"][i], g["price_total"][i]
        listing_area = float(g["area_m2"][i])
        source = g["source"][i]
        dealt = g["dealt"][i] if "dealt" in g else None
        return Comparable(
            source=source,
            listing_id=g["listing_id"][i],
            url=g["url"][i],
            district=g["district"][i],
            community=g["community"][i],
            area_m2=listing_area,
            rooms=None if np.isnan(rooms) else int(rooms),
            build_year=None if np.isnan(built) else int(built),
            observed_on=g["observed_on"][i],
            unit_price=unit,
            price_total=(
                Decimal(int(total))
                if not np.isnan(total)
                else (unit * Decimal(str(listing_area))).quantize(_WHOLE)
            ),
            adjusted_unit_price=adjusted_unit,
            adjusted_price_total=(adjusted_unit * area).quantize(_WHOLE),
            distance=round(distance, 3),
            price_kind=price_kind_of(source, dealt),
            source_name=source_name(source),
        )
