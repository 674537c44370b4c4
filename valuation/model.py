"""The price model as the rest of fapai sees it: ``PriceModel.value`` (the estimate and the
comparables from one predict), ``.estimate``, ``.comparables`` and ``.appraise``.

A :class:`PriceModel` wraps one trained artifact (see :mod:`valuation.train`): the scikit-learn
pipeline (log yuan/m²), its conformal calibration, the comparables index (its lookup built when
the model loads) and what the training data covered. It refuses (:class:`NotPriceable`) what
it cannot price honestly instead of returning a confident number.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from valuation import serving
from valuation.comparables import Comparable
from valuation.features import LOCATION_COLUMNS
from valuation.market_index import BACKFILL_YEARS, MarketIndex, year_fraction
from valuation.schema import (
    BUILDING_TYPES,
    LISTING_FIELDS,
    Listing,
    ListingError,
    validate_subject,
    validate_subject_columns,
)

PRICED_PROPERTY_TYPES = ("residential",)
# Listing fields the price model never reads: a batch appraisal leaves them unchecked.
UNREAD_FIELDS = ("url", "title", "listed_at", "dealt_at", "crawled_at")
# One row is priced fastest on one thread: OpenMP threads that spin-wait for each other on a
# busy server cost more than they save (p99 of one inquiry fell from ~240 ms to ~110 ms).
_THREADS: list[ThreadpoolController] = []  # made at first use, once OpenMP is loaded
_WHOLE = Decimal(1)


# Why a property cannot be priced: machine code → what a person reads (Chinese).
REFUSALS = {
    "required": "缺少必填项",
    "bad_value": "取值不合规",
    "unknown_city": "无法识别的城市名称",
    "unknown_district": "无法识别的区县名称",
    "not_residential": "本模型只评估住宅",
    "no_market_data": "没有该地的市场数据，无法如实估价",
    "area_out_of_data": "面积远超出该市市场数据的范围",
    "before_data": "估价时点早于该市最早的市场数据",
}


class NotPriceable(ValueError):
    """The model cannot price this subject honestly: ``field``, a machine ``code`` (a key of
    :data:`REFUSALS`) and ``reason``, the Chinese sentence a person reads."""

    def __init__(self, field: str, code: str, detail: str = "") -> None:
        reason = REFUSALS[code] + (f"：{detail}" if detail else "")
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class Estimate:
    """A price estimate in yuan; intervals are (low, high) of the total price."""

    unit_price: Decimal
    price_total: Decimal
    interval80: tuple[Decimal, Decimal]
    interval90: tuple[Decimal, Decimal]
    inputs: dict[str, Any] = field(default_factory=dict)
    as_of: str = ""  # the valuation date priced at
    model_version: str = ""
    data_as_of: str = ""  # the city's latest market data
    market_index: float = 100.0  # the city's index at as_of (100 = its latest half-year)
    # The city's index by half-year (period, from, index, rows): what a report charts.
    market_index_series: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Valuation:
    """One subject priced once: its estimate and its comparables."""

    estimate: Estimate
    comparables: tuple[Comparable, ...]


# Optional inputs an inquiry takes beyond its description fields (listing fields, checked here).
EXTRA_INPUTS = ("building_type", "near_metro")


def one_thread() -> Any:
    """A context in which OpenMP (scikit-learn's predictors) runs on one thread.

    The controller is made on first use, when the models' libraries are loaded: one made at
    import time may not see OpenMP yet, and then limits nothing."""
    if not _THREADS:
        _THREADS.append(ThreadpoolController())
    return _THREADS[0].limit(limits=1, user_api="openmp")


def _yuan(value: float) -> Decimal:
    return Decimal(str(round(value))).quantize(_WHOLE)


# The listing schema's rule keywords in words (the detail of a ``bad_value`` refusal).
RULE_WORDS = {
    "out_of_range": "超出合理范围",
    "not_a_number": "不是数字",
    "not_an_integer": "应为整数",
    "not_one_of": "不在可选值之内",
    "not_a_boolean": "应为是或否",
    "above_total_floors": "所在楼层高于总楼层",
    "too_long": "过长",
    "bad_datetime": "不是有效日期",
    "lat_and_lon_together": "经度和纬度须同时给出",
}


def rule_words(reason: str) -> str:
    """A counted reason ``field:rule`` (a listing rule or a refusal code) in words."""
    rule = reason.partition(":")[2] or reason
    return REFUSALS.get(rule) or RULE_WORDS.get(rule, rule)


def refusal(exc: ListingError) -> NotPriceable:
    """A broken listing rule as a refusal a person reads (the rule's figures kept)."""
    keyword, _, figures = exc.rule.partition(" ")
    if keyword in REFUSALS:
        return NotPriceable(exc.field, keyword, figures.strip("()"))
    words = RULE_WORDS.get(keyword, keyword)
    figures = figures.strip("()").replace(" not in ", "，应在 ").replace("..", "–")
    return NotPriceable(exc.field, "bad_value", f"{words}（{figures}）" if figures else words)


class PriceModel:
    """One trained price model version, ready to serve (pure in-memory, thread-safe reads)."""

    def __init__(self, artifact: Mapping[str, Any], card: Mapping[str, Any]) -> None:
        self.version: str = card["version"]
        self.card: dict[str, Any] = dict(card)
        self.pipeline = artifact["pipeline"]
        self.calibration = artifact["calibration"]
        self.index = artifact["index"].load()  # the comparables lookup, built once here
        self._encoder = self.pipeline.named_steps["columns"].named_transformers_["location"]
        self.coverage: dict[str, dict[str, Any]] = artifact["coverage"]
        # Models trained before the market index price every date at their latest data.
        self.market_index: dict[str, MarketIndex] = artifact.get("market_index") or {
            c: MarketIndex.flat(cov["as_of_period"], cov["rows"])
            for c, cov in self.coverage.items()
        }
        # What a report charts, per city: built once here, not per inquiry.
        self._index_tables = {c: tuple(ix.table()) for c, ix in self.market_index.items()}

    # -- checks ----------------------------------------------------------------------------
    def inputs(self, subject: Mapping[str, Any], as_of: date | None = None) -> dict[str, Any]:
        """Validate and check a subject against what the model knows; the inputs it uses."""
        for required in ("city", "area_m2"):
            if subject.get(required) in (None, ""):
                raise NotPriceable(required, "required")
        if subject.get("district") in (None, "") and subject.get("bizcircle") in (None, ""):
            raise NotPriceable("district", "required", "区县或商圈（bizcircle）至少填一项")
        try:
            listing = validate_subject(subject)
        except ListingError as exc:
            raise refusal(exc) from exc
        return self.checked_inputs(listing, as_of)

    def checked_inputs(self, listing: Listing, as_of: date | None = None) -> dict[str, Any]:
        """The inputs the model uses for an already validated subject, checked against what
        it knows (cities, districts or business circles, areas, dates)."""
        clean = listing.to_dict()
        reason = self._refused(_row(clean), as_of)[0]
        if reason is not None:
            raise self._explain(reason, clean)
        inputs = {k: clean[k] for k in LISTING_FIELDS if clean.get(k) is not None}
        inputs.pop("source", None)
        inputs.pop("listing_id", None)
        inputs["property_type"] = clean["property_type"] or "residential"
        return inputs

    def _refused(self, clean: serving.Columns, as_of: date | None) -> np.ndarray:
        """Per row of clean subjects (a DataFrame, or :func:`_row`), why the model cannot
        price it (``field:code``) or None."""
        n = len(clean["city"])
        reason = np.full(n, None, dtype=object)
        open_ = np.ones(n, dtype=bool)  # rows with no reason yet

        def refuse(bad: np.ndarray, why: str) -> None:
            hit = open_ & bad
            reason[hit] = why
            open_[hit] = False

        city = _objects(clean["city"])
        district = _objects(clean["district"])
        circle = _objects(clean["bizcircle"])
        area = np.asarray(pd.to_numeric(clean["area_m2"], errors="coerce"), dtype=float)
        ptype = _objects(clean["property_type"])
        refuse(pd.isna(city), "city:required")
        refuse(np.isnan(area), "area_m2:required")
        refuse(pd.isna(district) & pd.isna(circle), "district:required")
        refuse(
            pd.notna(ptype) & ~_isin(ptype, PRICED_PROPERTY_TYPES),
            "property_type:not_residential",
        )
        building = _objects(clean["building_type"])
        refuse(pd.notna(building) & ~_isin(building, BUILDING_TYPES), "building_type:bad_value")
        refuse(~_isin(city, list(self.coverage)), "city:no_market_data")
        for c in pd.unique(city[open_]):
            cov, rows = self.coverage[c], city == c
            refuse(
                rows & pd.notna(district) & ~_isin(district, cov["districts"]),
                "district:no_market_data",
            )
            biz = cov.get("bizcircles", [])
            refuse(rows & pd.isna(district) & ~_isin(circle, biz), "bizcircle:no_market_data")
            lo, hi = cov["area_m2"]
            refuse(rows & ((area < lo) | (area > hi)), "area_m2:area_out_of_data")
            if (
                as_of is not None
                and year_fraction(as_of) < self.market_index[c].first - BACKFILL_YEARS
            ):
                refuse(rows, "as_of:before_data")
        return reason

    def _explain(self, reason: str, clean: Mapping[str, Any]) -> NotPriceable:
        """A refusal code with the detail a person needs (which city, which range)."""
        field, _, code = reason.partition(":")
        city = clean.get("city")
        detail = ""
        if code == "no_market_data":
            place = {"city": city, "district": f"{city}{clean.get('district')}"}.get(
                field, f"{city} {clean.get('bizcircle')}"
            )
            known = "、".join(sorted(self.coverage))
            detail = f"{place}（本模型有数据的城市：{known}）"
        elif code == "area_out_of_data":
            lo, hi = self.coverage[city]["area_m2"]
            detail = f"{clean.get('area_m2')} m²，{city}的数据为 {lo}–{hi} m²"
        elif field == "building_type":
            detail = f"应为 {'/'.join(BUILDING_TYPES)}"
        elif code == "before_data":
            detail = f"{city}最早的数据约在 {self.market_index[city].table()[0]['from']}"
        return NotPriceable(field, code, detail)

    def subject_frame(self, subject: Mapping[str, Any], as_of: date | None = None) -> pd.DataFrame:
        """The one-row frame the pipeline prices for ``subject`` (checked, at its anchor)."""
        inputs = self.inputs(subject, as_of)
        return self._frames(pd.DataFrame([inputs]), as_of)[0]

    def _frames(
        self, clean: serving.Columns, as_of: date | None, periods: np.ndarray | None = None
    ) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
        """The pipeline's input for priceable rows at their anchor half-year, the log shift
        along the index to the valuation date (``as_of``, or per row ``periods`` in fractional
        years; neither: the city's latest data), the years of unseen market in between and
        the part of the shift extrapolated past the latest data (its damped trend).
        ``clean``: a DataFrame (→ a DataFrame) or one subject's :func:`_row` (→ its arrays)."""
        if isinstance(clean, pd.DataFrame):
            frame = clean.reindex(columns=list(LISTING_FIELDS)).reset_index(drop=True)
            for col in LOCATION_COLUMNS:
                frame[col] = frame[col].astype(object)
        else:
            none = np.full(len(clean["city"]), None, dtype=object)
            frame = {c: clean.get(c, none) for c in LISTING_FIELDS}
        n = len(frame["city"])
        wanted = np.full(n, np.nan if as_of is None else year_fraction(as_of))
        if periods is not None:
            wanted = np.asarray(periods, dtype=float)
        period, shift, gap, ahead = wanted.copy(), np.zeros(n), np.zeros(n), np.zeros(n)
        city = _objects(frame["city"])
        for c in pd.unique(city):
            index = self.market_index.get(c)
            if index is None:  # evaluation rows of a city the model never saw
                continue
            rows = city == c
            latest = self.coverage[c]["as_of_period"]
            want = np.where(np.isnan(wanted[rows]), latest, wanted[rows])
            period[rows], shift[rows], gap[rows] = index.anchor(want)
            ahead[rows] = index.extrapolated(want)
            # Past the city's latest data the market is unseen from that day on, even inside
            # its last half-year.
            gap[rows] = np.maximum(gap[rows], want - latest)
        frame["period"] = period
        return frame, shift, gap, ahead

    def _price(
        self, frame: serving.Columns, shift: np.ndarray, gap: np.ndarray, ahead: np.ndarray
    ) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """Log yuan/m² at the valuation date and each interval's half-width (the pipeline's
        fitted steps on arrays, :mod:`valuation.serving`: the same numbers, less overhead)."""
        encoded = serving.transform(self.pipeline, frame)  # once, for the price and its σ
        log_unit = serving.predict(self.pipeline[-1], encoded) + shift
        widths = self.calibration.half_widths(self.pipeline, frame, encoded, gap)
        city = _objects(frame["city"])
        for c in pd.unique(city):
            rows = city == c
            for coverage, w in widths.items():
                if c in self.market_index:
                    w[rows] = self.market_index[c].widen(w[rows], coverage, gap[rows], ahead[rows])
        return log_unit, widths

    def price_rows(self, rows: pd.DataFrame) -> tuple[np.ndarray, dict[float, np.ndarray]]:
        """Evaluation: listing rows priced at the dates they were seen (their ``period``), as
        an inquiry at that date would: log yuan/m² and each interval's half-width."""
        return self._price(*self._frames(rows, None, rows["period"].to_numpy(dtype=float)))

    # -- the interface ---------------------------------------------------------------------
    def value(self, inputs: dict[str, Any], as_of: date | None = None, k: int = 8) -> Valuation:
        """Price checked ``inputs`` (:meth:`checked_inputs`) once at the valuation date ``as_of``
        (None: the city's latest market data): the estimate with its 80%/90% intervals and the
        ``k`` nearest comparables adjusted to the subject, from one encoding and one predict."""
        frame, *moves = self._frames(_row(inputs), as_of)
        with one_thread():
            log_units, all_widths = self._price(frame, *moves)
        log_unit = float(log_units[0])
        area = inputs["area_m2"]
        unit = _yuan(math.exp(log_unit))
        total = (unit * Decimal(str(area))).quantize(_WHOLE)

        def interval(coverage: float) -> tuple[Decimal, Decimal]:
            w = float(all_widths[coverage][0])
            return _yuan(math.exp(log_unit - w) * area), _yuan(math.exp(log_unit + w) * area)

        city = inputs["city"]
        index = self.market_index[city]
        # No date: the latest data, 100 by the index's definition.
        level = index.levels[-1] if as_of is None else index.level(year_fraction(as_of))
        estimate = Estimate(
            unit_price=unit,
            price_total=total,
            interval80=interval(0.8),
            interval90=interval(0.9),
            inputs=inputs,
            as_of=str(as_of) if as_of is not None else self.coverage[city]["as_of"],
            model_version=self.version,
            data_as_of=self.coverage[city]["as_of"],
            market_index=round(100 * math.exp(level - index.levels[-1]), 1),
            market_index_series=tuple(dict(row) for row in self._index_tables[city]),
        )
        query = {
            **inputs,
            "period": float(frame["period"][0]),
            "bizcircle": inputs.get("bizcircle")
            or self._encoder.bizcircle_of(
                inputs["city"], inputs.get("district"), inputs.get("community")
            ),
        }
        return Valuation(estimate, tuple(self.index.nearest(query, log_unit, k=k)))

    def estimate(self, subject: Mapping[str, Any], as_of: date | None = None) -> Estimate:
        """Unit and total price with 80%/90% intervals at the valuation date ``as_of`` (None:
        the city's latest market data)."""
        return self.value(self.inputs(subject, as_of), as_of, k=0).estimate

    def comparables(
        self, subject: Mapping[str, Any], k: int = 8, as_of: date | None = None
    ) -> list[Comparable]:
        """The ``k`` most similar listings in the subject's city, adjusted to it."""
        return list(self.value(self.inputs(subject, as_of), as_of, k=k).comparables)

    def appraise(self, table: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
        """Price a whole table of properties (listing-schema columns) at ``as_of``.

        Returns, row for row, ``estimate``, ``low80``, ``high80``, ``low90``, ``high90``
        (whole yuan) and ``refused`` (``field:code``, a key of :data:`REFUSALS`, where the row
        cannot be priced honestly; the prices are empty then). Vectorised: each field's rule
        runs once per distinct value, the pipeline once for all priceable rows.
        """
        clean, reason = validate_subject_columns(table, skip=UNREAD_FIELDS)
        codes, reasons = pd.factorize(reason, use_na_sentinel=True)  # once per distinct reason
        reason = np.array([*map(_code, reasons), None], dtype=object)[codes]
        ok = pd.isna(reason)
        # Row by row, on all rows (read only, no copy): those with a broken rule keep theirs.
        reason[ok] = self._refused(clean, as_of)[ok]
        ok = pd.isna(reason)
        prices = {
            col: np.zeros(len(table), dtype=np.int64)
            for col in ("estimate", "low80", "high80", "low90", "high90")
        }
        if ok.any():
            frame, *moves = self._frames(clean if ok.all() else _rows(clean, ok), as_of)
            log_unit, widths = self._price(frame, *moves)
            area = np.asarray(frame["area_m2"], dtype=float)
            unit = np.round(np.exp(log_unit))
            prices["estimate"][ok] = np.round(unit * area).astype(np.int64)
            for coverage, w in widths.items():
                pct = round(coverage * 100)
                prices[f"low{pct}"][ok] = np.round(np.exp(log_unit - w) * area).astype(np.int64)
                prices[f"high{pct}"][ok] = np.round(np.exp(log_unit + w) * area).astype(np.int64)
        out = pd.DataFrame(
            # whole yuan, empty (NA) where refused
            {col: pd.arrays.IntegerArray(v, ~ok) for col, v in prices.items()},
            index=table.index,
        )
        out["refused"] = reason
        return out


def _isin(values: np.ndarray, choices: Any) -> np.ndarray:
    """Element-wise membership by hashing, once per distinct value (numpy's isin compares
    object arrays pairwise); a missing value is in no ``choices`` (they hold none)."""
    choices = set(choices)
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    return np.array([v in choices for v in uniques] + [False], dtype=bool)[codes]


def _row(subject: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """One subject's fields as arrays of one: what the pricing steps read, without a frame."""
    return {k: np.array([v], dtype=object) for k, v in subject.items()}


def _rows(columns: Mapping[str, np.ndarray], keep: np.ndarray) -> dict[str, np.ndarray]:
    """The ``keep`` rows of column arrays."""
    return {k: v[keep] for k, v in columns.items()}


def _objects(values: Any) -> np.ndarray:
    return np.asarray(values, dtype=object)


def _code(reason: str) -> str:
    """A schema reason (``area_m2:out_of_range``) as a refusal code (``area_m2:bad_value``)."""
    field, _, rule = reason.partition(":")
    return f"{field}:{rule if rule in REFUSALS else 'bad_value'}"
