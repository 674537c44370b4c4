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


PLACES = ("district", "bizcircle", "community")


def _codes(values: np.ndarray) -> tuple[dict[object, int], np.ndarray]:
    """Names → numbers, and each row's number (-1 where the row names none)."""
    numbers: dict[object, int] = {}
    codes = np.array(
        [-1 if v is None else numbers.setdefault(v, len(numbers)) for v in values], dtype=np.int64
    )
    return numbers, codes


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


def _distance(g: dict[str, np.ndarray], subject: dict, places: dict[str, int]) -> np.ndarray:
    """Each row's distance to the subject (``places``: the subject's place numbers)."""
    dist = W_DISTRICT * (g["district#"] != places["district"])
    dist += W_BIZCIRCLE * (g["bizcircle#"] != places["bizcircle"])
    dist += W_COMMUNITY * (g["community#"] != places["community"])
    dist += W_LOG_AREA * np.abs(np.log(g["area_m2"] / subject["area_m2"]))
    dist += _absdiff(g["rooms"], subject.get("rooms"), W_ROOMS, UNKNOWN_ROOMS)
    dist += _absdiff(g["build_year"], subject.get("build_year"), W_YEAR_BUILT, UNKNOWN_YEAR_BUILT)
    dist += _absdiff(g["period"], subject.get("period"), W_PERIOD, 0.0)
    return dist


def _around(values: np.ndarray, target: float) -> np.ndarray:
    """The sorted ``values`` next to ``target`` (the nearest lies among them)."""
    at = int(np.searchsorted(values, target))
    return values[max(at - 1, 0) : at + 1]


def _least(values: np.ndarray) -> float:
    return float(values.min()) if len(values) else 0.0


class CityArrays:
    """The comparables lookup of a loaded model: per city, its listings' columns as arrays."""

    def __init__(self, by_city: dict[str, dict[str, np.ndarray]]) -> None:
        self.by_city = by_city
        # Per city and place column, each name's number; each row's number is a column
        # ("district#", -1: none), so "same place" compares integers, not every row's text.
        self.numbers: dict[str, dict[str, dict[object, int]]] = {}
        # Per city, each district's rows and their columns: a subject's own district first.
        self.districts: dict[str, dict[int, tuple[np.ndarray, dict[str, np.ndarray]]]] = {}
        self.spans: dict[str, dict[str, np.ndarray]] = {}
        self.undated: dict[str, bool] = {}
        for city, g in by_city.items():
            numbers = self.numbers[city] = {}
            for col in PLACES:
                numbers[col], g[f"{col}#"] = _codes(g[col])
            # Each city's areas and periods, sorted: the least difference any row can have.
            self.spans[city] = {
                col: np.unique(g[col][~np.isnan(g[col])]) for col in ("area_m2", "period")
            }
            self.undated[city] = bool(np.isnan(g["period"]).any())
            self.districts[city] = {
                code: (rows, {col: values[rows] for col, values in g.items()})
                for code in numbers["district"].values()
                for rows in [np.flatnonzero(g["district#"] == code)]
            }

    def nearest(self, subject: dict, subject_log_unit: float, k: int = 8) -> list[Comparable]:
        """The ``k`` nearest listings of the subject's city, adjusted to the subject.

        ``subject`` holds the validated subject fields (area_m2 required) and its ``period``.
        The subject's own district is searched first: when its k-th nearest is closer than
        any listing elsewhere can be (:meth:`_elsewhere`), the city's other rows are not read.
        """
        city = subject["city"]
        g = self.by_city.get(city)
        if g is None or k <= 0:
            return []
        numbers = self.numbers[city]
        # A place the subject does not name matches no row; one the index lacks, none either.
        places = {
            col: -3 if subject.get(col) is None else numbers[col].get(subject[col], -2)
            for col in PLACES
        }
        own = self.districts[city].get(places["district"])
        if own is not None and len(own[0]) >= k:
            rows, arrays = own
            dist = _distance(arrays, subject, places)
            if np.partition(dist, k - 1)[k - 1] < self._elsewhere(city, subject, places):
                return self._nearest(g, rows, dist, subject, subject_log_unit, k)
        dist = _distance(g, subject, places)
        return self._nearest(g, np.arange(len(dist)), dist, subject, subject_log_unit, k)

    def _elsewhere(self, city: str, subject: dict, places: dict[str, int]) -> float:
        """A lower bound of the distance of every listing outside the subject's district:
        the district's weight, the place weights no row can avoid, and the least area and
        period differences among the city's rows (less a rounding margin)."""
        bound = W_DISTRICT
        bound += W_BIZCIRCLE * (places["bizcircle"] < 0) + W_COMMUNITY * (places["community"] < 0)
        areas = self.spans[city]["area_m2"]
        bound += W_LOG_AREA * _least(
            np.abs(np.log(_around(areas, subject["area_m2"]) / subject["area_m2"]))
        )
        if subject.get("period") is not None and not self.undated[city]:
            periods = self.spans[city]["period"]
            bound += _least(
                _absdiff(_around(periods, subject["period"]), subject["period"], W_PERIOD, 0.0)
            )
        return bound - 1e-9

    def _nearest(
        self,
        g: dict[str, np.ndarray],
        rows: np.ndarray,
        dist: np.ndarray,
        subject: dict,
        subject_log_unit: float,
        k: int,
    ) -> list[Comparable]:
        """The first ``k`` of ``rows`` (ascending) by ``dist``, then by row."""
        # Every row within the k-th smallest distance, ordered by distance then row: the first
        # k of a stable full sort, without sorting every listing of the city.
        kth = np.partition(dist, k - 1)[k - 1] if k < len(dist) else np.inf
        near = np.flatnonzero(dist <= kth)
        order = near[np.lexsort((near, dist[near]))][:k]
        area = Decimal(str(subject["area_m2"]))
        return [
            self._comparable(g, int(rows[i]), float(dist[i]), subject_log_unit, area) for i in order
        ]

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
