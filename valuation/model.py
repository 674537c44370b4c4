"""The price model as the rest of fapai sees it: ``PriceModel.value`` (estimate and comparables
from one predict), ``.estimate`` and ``.comparables``.

A :class:`PriceModel` wraps one trained artifact (see :mod:`valuation.train`): the scikit-learn
pipeline (log yuan/m²), its conformal calibration, the comparables index (its lookup built when
the model loads) and what the training data covered. It refuses (:class:`NotPriceable`) what
it cannot price honestly instead of returning a confident number.
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
from valuation.schema import BUILDING_TYPES, LISTING_FIELDS, Listing, ListingError, validate_subject

PRICED_PROPERTY_TYPES = ("residential",)
# One row is priced fastest on one thread: OpenMP threads that spin-wait for each other on a
# busy server cost more than they save (p99 of one inquiry fell from ~240 ms to ~110 ms).
_THREADS: list[ThreadpoolController] = []  # made at first use, once OpenMP is loaded
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


@dataclass(frozen=True)
class Valuation:
    """One subject priced once: its estimate and its comparables."""

    estimate: Estimate
    comparables: tuple[Comparable, ...]


# Optional inputs an inquiry takes beyond its description fields (listing fields, checked here).
EXTRA_INPUTS = ("building_type", "near_metro")


def extra_inputs(subject: Mapping[str, Any]) -> dict[str, Any]:
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


def one_thread() -> Any:
    """A context in which OpenMP (scikit-learn's predictors) runs on one thread.

    The controller is made on first use, when the models' libraries are loaded: one made at
    import time may not see OpenMP yet, and then limits nothing."""
    if not _THREADS:
        _THREADS.append(ThreadpoolController())
    return _THREADS[0].limit(limits=1, user_api="openmp")


def _yuan(value: float) -> Decimal:
    return Decimal(str(round(value))).quantize(_WHOLE)


class PriceModel:
    """One trained price model version, ready to serve (pure in-memory, thread-safe reads)."""

    def __init__(self, artifact: Mapping[str, Any], card: Mapping[str, Any]) -> None:
        self.version: str = card["version"]
        self.card: dict[str, Any] = dict(card)
        self.pipeline = artifact["pipeline"]
        self.calibration = artifact["calibration"]
        self.index = artifact["index"].load()  # the comparables lookup, built once here
        self.coverage: dict[str, dict[str, Any]] = artifact["coverage"]
        self._encoder = self.pipeline.named_steps["columns"].named_transformers_["location"]

    # -- checks ----------------------------------------------------------------------------
    def inputs(self, subject: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``subject`` by the listing rules, then :meth:`checked_inputs`."""
        for required in ("city", "area_m2"):
            if subject.get(required) in (None, ""):
                raise NotPriceable(required, "required")
        if subject.get("district") in (None, "") and subject.get("bizcircle") in (None, ""):
            raise NotPriceable("district", "required (or the business circle, bizcircle)")
        try:
            listing = validate_subject(subject)
        except ListingError as exc:
            raise NotPriceable(exc.field, exc.rule) from exc
        return self.checked_inputs(listing, extra_inputs(subject))

    def checked_inputs(self, listing: Listing, extra: Mapping[str, Any]) -> dict[str, Any]:
        """The inputs the model uses for an already validated subject, checked against what
        the model knows (its cities, districts and areas); ``extra`` from
        :func:`extra_inputs`."""
        clean = listing.to_dict()
        for required in ("city", "area_m2"):
            if clean[required] is None:
                raise NotPriceable(required, "required")
        if clean["district"] is None and clean["bizcircle"] is None:
            raise NotPriceable("district", "required (or the business circle, bizcircle)")
        ptype = clean["property_type"] or "residential"
        if ptype not in PRICED_PROPERTY_TYPES:
            raise NotPriceable(
                "property_type",
                f"no price model for {ptype!r}; this model prices residential homes only",
            )
        city = clean["city"]
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
        inputs.update(extra)
        inputs.pop("source", None)
        inputs.pop("listing_id", None)
        inputs["property_type"] = ptype
        return inputs

    def subject_frame(self, subject: Mapping[str, Any]) -> pd.DataFrame:
        """The one-row frame the pipeline prices for ``subject`` (checked, as of the data)."""
        return self._frame(self.inputs(subject))

    def _frame(self, inputs: dict[str, Any]) -> pd.DataFrame:
        row = {k: inputs.get(k) for k in LISTING_FIELDS}
        row["period"] = self.coverage[inputs["city"]]["as_of_period"]
        frame = pd.DataFrame([row])
        for col in LOCATION_COLUMNS:
            frame[col] = frame[col].astype(object)
        return frame

    # -- the interface ---------------------------------------------------------------------
    def value(self, inputs: dict[str, Any], k: int = 8) -> Valuation:
        """Price checked ``inputs`` (:meth:`checked_inputs`) once: the estimate with its
        80%/90% intervals as of the city's latest data, and the ``k`` nearest comparables
        adjusted to the subject. One encoding and one regressor predict serve all three."""
        frame = self._frame(inputs)
        with one_thread():
            encoded = self.pipeline[:-1].transform(frame)
            log_unit = float(self.pipeline[-1].predict(encoded)[0])
            widths = self.calibration.half_widths_encoded(encoded, frame)
        area = inputs["area_m2"]
        unit = _yuan(math.exp(log_unit))
        total = (unit * Decimal(str(area))).quantize(_WHOLE)

        def interval(coverage: float) -> tuple[Decimal, Decimal]:
            w = float(widths[coverage][0])
            return _yuan(math.exp(log_unit - w) * area), _yuan(math.exp(log_unit + w) * area)

        estimate = Estimate(
            unit_price=unit,
            price_total=total,
            interval80=interval(0.8),
            interval90=interval(0.9),
            inputs=inputs,
            as_of=self.coverage[inputs["city"]]["as_of"],
            model_version=self.version,
        )
        query = {
            **inputs,
            "period": float(frame["period"].iloc[0]),
            "bizcircle": self._encoder.bizcircle_of(
                inputs["city"], inputs.get("district"), inputs.get("community")
            ),
        }
        return Valuation(estimate, tuple(self.index.nearest(query, log_unit, k=k)))

    def estimate(self, subject: Mapping[str, Any]) -> Estimate:
        """Unit and total price with 80%/90% intervals, as of the city's latest data."""
        return self.value(self.inputs(subject), k=0).estimate

    def comparables(self, subject: Mapping[str, Any], k: int = 8) -> list[Comparable]:
        """The ``k`` most similar listings in the subject's city, adjusted to it."""
        return list(self.value(self.inputs(subject), k=k).comparables)

    def predict_log_unit(self, frame: pd.DataFrame) -> np.ndarray:
        """Batch prediction for evaluation: log yuan/m² for listing rows as they were seen."""
        return self.pipeline.predict(frame)
