"""The price model as the rest of fapai sees it: ``PriceModel.estimate`` and ``.comparables``.

A :class:`PriceModel` wraps one trained artifact (see :mod:`valuation.train`): the scikit-learn
pipeline (log yuan/m²), its conformal calibration, the comparables index and what the training
data covered. It refuses (:class:`NotPriceable`) what it cannot price honestly instead of
returning a confident number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from valuation.comparables import Comparable
from valuation.features import LOCATION_COLUMNS
from valuation.schema import BUILDING_TYPES, LISTING_FIELDS, ListingError, validate_subject

PRICED_PROPERTY_TYPES = ("residential",)
# One row is priced fastest on one thread: OpenMP threads that spin-wait for each other on a
# busy server cost more than they save (p99 of one inquiry fell from ~240 ms to ~110 ms).
_THREADS = ThreadpoolController()
_WHOLE = Decimal(1)


class NotPriceable(ValueError):
    """The model cannot price this subject honestly; ``field`` and ``reason`` say why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Estimate:
    """A price estimate in yuan; intervals are (low, high) of the total price."""

    unit_price: Decimal
    price_total: Decimal
    interval80: tuple[Decimal, Decimal]
    interval90: tuple[Decimal, Decimal]
    inputs: dict[str, Any] = field(default_factory=dict)
    as_of: str = ""
    model_version: str = ""


# Optional inputs an inquiry takes beyond its description fields (listing fields, checked here).
EXTRA_INPUTS = ("building_type", "near_metro")


def _extra_inputs(subject: Mapping[str, Any]) -> dict[str, Any]:
    """The optional building type (塔楼/板塔结合/板楼) and near-metro flag, checked."""
    out: dict[str, Any] = {}
    building = subject.get("building_type")
    if building not in (None, ""):
        if building not in BUILDING_TYPES:
            raise NotPriceable("building_type", f"must be one of {'/'.join(BUILDING_TYPES)}")
        out["building_type"] = building
    metro = subject.get("near_metro")
    if metro is not None:
        if not isinstance(metro, bool):
            raise NotPriceable("near_metro", "must be true or false")
        out["near_metro"] = metro
    return out


def _yuan(value: float) -> Decimal:
    return Decimal(str(round(value))).quantize(_WHOLE)


class PriceModel:
    """One trained price model version, ready to serve (pure in-memory, thread-safe reads)."""

    def __init__(self, artifact: Mapping[str, Any], card: Mapping[str, Any]) -> None:
        self.version: str = card["version"]
        self.card: dict[str, Any] = dict(card)
        self.pipeline = artifact["pipeline"]
        self.calibration = artifact["calibration"]
        self.index = artifact["index"]
        self.coverage: dict[str, dict[str, Any]] = artifact["coverage"]

    # -- checks ----------------------------------------------------------------------------
    def _subject(self, subject: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and check a subject against what the model knows; the inputs it uses."""
        for required in ("city", "area_m2"):
            if subject.get(required) in (None, ""):
                raise NotPriceable(required, "required")
        if subject.get("district") in (None, "") and subject.get("bizcircle") in (None, ""):
            raise NotPriceable("district", "required (or the business circle, bizcircle)")
        try:
            clean = validate_subject(subject).to_dict()
        except ListingError as exc:
            raise NotPriceable(exc.field, exc.rule) from exc
        ptype = clean["property_type"] or "residential"
        if ptype not in PRICED_PROPERTY_TYPES:
            raise NotPriceable(
                "property_type",
                f"no price model for {ptype!r}; this model prices residential homes only",
            )
        city = clean["city"]
        if city is None:
            raise NotPriceable("city", f"unknown city {subject.get('city')!r}")
        if city not in self.coverage:
            known = "、".join(sorted(self.coverage))
            raise NotPriceable("city", f"no market data for {city} (the model knows {known})")
        cov = self.coverage[city]
        if clean["district"] is not None and clean["district"] not in cov["districts"]:
            raise NotPriceable(
                "district", f"no market data for {city}{clean['district']} in this model"
            )
        if clean["district"] is None and clean["bizcircle"] not in cov.get("bizcircles", ()):
            raise NotPriceable(
                "bizcircle", f"no market data for {city} {clean['bizcircle']} in this model"
            )
        area = clean["area_m2"]
        lo, hi = cov["area_m2"]
        if not lo <= area <= hi:
            raise NotPriceable(
                "area_m2",
                f"{area} m² is far outside the data for {city} ({lo}–{hi} m²)",
            )
        inputs = {k: clean[k] for k in LISTING_FIELDS if clean.get(k) is not None}
        inputs.update(_extra_inputs(subject))
        inputs.pop("source", None)
        inputs.pop("listing_id", None)
        inputs["property_type"] = ptype
        return inputs

    def subject_frame(self, subject: Mapping[str, Any]) -> pd.DataFrame:
        """The one-row frame the pipeline prices for ``subject`` (checked, as of the data)."""
        return self._frame(self._subject(subject))

    def _frame(self, inputs: dict[str, Any]) -> pd.DataFrame:
        row = {k: inputs.get(k) for k in LISTING_FIELDS}
        row["period"] = self.coverage[inputs["city"]]["as_of_period"]
        frame = pd.DataFrame([row])
        for col in LOCATION_COLUMNS:
            frame[col] = frame[col].astype(object)
        return frame

    # -- the interface ---------------------------------------------------------------------
    def _predict(self, subject: Mapping[str, Any]) -> tuple[dict, pd.DataFrame, float]:
        inputs = self._subject(subject)
        frame = self._frame(inputs)
        with _THREADS.limit(limits=1, user_api="openmp"):
            return inputs, frame, float(self.pipeline.predict(frame)[0])

    def estimate(self, subject: Mapping[str, Any]) -> Estimate:
        """Unit and total price with 80%/90% intervals, as of the city's latest data."""
        inputs, frame, log_unit = self._predict(subject)
        with _THREADS.limit(limits=1, user_api="openmp"):
            widths = self.calibration.half_widths(self.pipeline, frame)
        area = inputs["area_m2"]
        unit = _yuan(math.exp(log_unit))
        total = (unit * Decimal(str(area))).quantize(_WHOLE)

        def interval(coverage: float) -> tuple[Decimal, Decimal]:
            w = float(widths[coverage][0])
            return _yuan(math.exp(log_unit - w) * area), _yuan(math.exp(log_unit + w) * area)

        return Estimate(
            unit_price=unit,
            price_total=total,
            interval80=interval(0.8),
            interval90=interval(0.9),
            inputs=inputs,
            as_of=self.coverage[inputs["city"]]["as_of"],
            model_version=self.version,
        )

    def comparables(self, subject: Mapping[str, Any], k: int = 8) -> list[Comparable]:
        """The ``k`` most similar listings in the subject's city, adjusted to it."""
        inputs, frame, log_unit = self._predict(subject)
        encoder = self.pipeline.named_steps["columns"].named_transformers_["location"]
        query = {
            **inputs,
            "period": float(frame["period"].iloc[0]),
            "bizcircle": encoder.bizcircle_of(
                inputs["city"], inputs["district"], inputs.get("community")
            ),
        }
        return self.index.nearest(query, log_unit, k=k)

    def predict_log_unit(self, frame: pd.DataFrame) -> np.ndarray:
        """Batch prediction for evaluation: log yuan/m² for listing rows as they were seen."""
        return self.pipeline.predict(frame)
