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


@dataclass(frozen=True)
class Comparable:
    """A listing or deal near the subject; prices in yuan, adjusted to the subject."""

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
    """Listings grouped by city, with the model's log unit price at their own features."""

    def __init__(self, frame: pd.DataFrame, predicted_log_unit: np.ndarray) -> None:
        data = frame.loc[:, list(INDEX_COLUMNS)].copy()
        data["predicted_log_unit"] = predicted_log_unit
        self.by_city = {c: g.reset_index(drop=True) for c, g in data.groupby("city")}

    def __len__(self) -> int:
        return sum(len(g) for g in self.by_city.values())

    def nearest(self, subject: dict, subject_log_unit: float, k: int = 8) -> list[Comparable]:
        """The ``k`` nearest listings of the subject's city, adjusted to the subject.

        ``subject`` holds the validated subject fields (area_m2 required) and its ``period``.
        """
        g = self.by_city.get(subject["city"])
        if g is None or k <= 0:
            return []
        dist = W_DISTRICT * ~_same(g["district"].to_numpy(), subject.get("district"))
        dist += W_BIZCIRCLE * ~_same(g["bizcircle"].to_numpy(), subject.get("bizcircle"))
        dist += W_COMMUNITY * ~_same(g["community"].to_numpy(), subject.get("community"))
        dist += W_LOG_AREA * np.abs(np.log(g["area_m2"].to_numpy(float) / subject["area_m2"]))
        dist += _absdiff(g["rooms"].to_numpy(float), subject.get("rooms"), W_ROOMS, UNKNOWN_ROOMS)
        dist += _absdiff(
            g["build_year"].to_numpy(float),
            subject.get("build_year"),
            W_YEAR_BUILT,
            UNKNOWN_YEAR_BUILT,
        )
        dist += _absdiff(g["period"].to_numpy(float), subject.get("period"), W_PERIOD, 0.0)
        order = np.argsort(dist, kind="stable")[:k]
        area = Decimal(str(subject["area_m2"]))
        out = []
        for i in order:
            row = g.iloc[i]
            factor = float(np.exp(subject_log_unit - row["predicted_log_unit"]))
            adjusted_unit = Decimal(int(row["unit_price"])) * Decimal(str(round(factor, 6)))
            adjusted_unit = adjusted_unit.quantize(_WHOLE)
            out.append(
                Comparable(
                    source=row["source"],
                    listing_id=row["listing_id"],
                    url=row["url"] if isinstance(row["url"], str) else None,
                    district=row["district"],
                    community=row["community"] if isinstance(row["community"], str) else None,
                    area_m2=float(row["area_m2"]),
                    rooms=None if pd.isna(row["rooms"]) else int(row["rooms"]),
                    build_year=None if pd.isna(row["build_year"]) else int(row["build_year"]),
                    observed_on=None if pd.isna(row["observed_on"]) else row["observed_on"],
                    unit_price=Decimal(int(row["unit_price"])),
                    price_total=_total(row),
                    adjusted_unit_price=adjusted_unit,
                    adjusted_price_total=(adjusted_unit * area).quantize(_WHOLE),
                    distance=round(float(dist[i]), 3),
                )
            )
        return out


def _total(row: pd.Series) -> Decimal:
    if pd.notna(row["price_total"]):
        return Decimal(int(row["price_total"]))
    return (Decimal(int(row["unit_price"])) * Decimal(str(row["area_m2"]))).quantize(_WHOLE)
