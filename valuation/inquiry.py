"""The online inquiry (网络询价): a property in, a reference price report out. No HTTP here.

The legal reference price is the **mean of all sources' results** (参考价规定 第十三条: the
average of the inquiry platforms' results); fapai's own price model is one source, the external
platforms' results the caller brings ({platform, price}) are the others. The report also gives
what the court needs to set up the auction from it: the start-price floor (70% of the reference,
拍卖规定 第十条), a proposed start price from the auction-outcome model with its expected
outcome and the curve behind it, and the deposit range of that start (5%–20%, 拍卖规定 第十七条).
It is valid for ``inquiry_validity_days`` (参考价规定: at most one year).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

from threadpoolctl import ThreadpoolController

from fapai.clock import to_display
from fapai.law import min_start_price
from fapai.money import MoneyError, fen_to_yuan, ratio_of, to_fen
from fapai.settings import Settings
from valuation.comparables import Comparable
from valuation.model import EXTRA_INPUTS, Estimate, NotPriceable, refusal
from valuation.outcome import (
    Lot,
    OutcomeCurve,
    OutcomeModel,
    OutcomeModels,
    json_number,
)
from valuation.registry import ModelRegistry, ensure_default_model
from valuation.schema import Listing, ListingError, validate_subject

FAPAI_PLATFORM = "fapai"
# Where online inquiry cannot price a property, the court commissions an appraisal.
ART_14 = "参考价规定 第十四条"
REFERENCE_RULE = "参考价规定 第十三条: the reference price is the mean of all sources' results"
COMPARABLES_K = 5
_OPENMP = ThreadpoolController()
# Fields of a description passed to the price model (the market listing schema's names).
SUBJECT_FIELDS = (
    "property_type",
    "city",
    "district",
    "bizcircle",
    "community",
    "lat",
    "lon",
    "area_m2",
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
)


class InquiryError(ValueError):
    """An inquiry that cannot be answered, naming the field, why, and the article if a rule
    of law is behind it (→ HTTP 422)."""

    def __init__(self, field: str, reason: str, article: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.article = article


@dataclass(frozen=True, slots=True)
class InquiryModels:
    """The models an inquiry needs, loaded once and kept in memory (``app.state``, the CLI)."""

    registry: ModelRegistry
    outcomes: OutcomeModels

    @classmethod
    def load(
        cls, settings: Settings, now: datetime, registry: ModelRegistry | None = None
    ) -> InquiryModels:
        """The promoted price model's registry (a default one is trained and promoted on a
        fresh machine) and the current outcome model (likewise). Both switch to a newly
        promoted or trained version without a restart."""
        if registry is None:
            ensure_default_model(settings)
            registry = ModelRegistry(settings.models_dir)
        return cls(registry, OutcomeModels.load(settings, now))

    @property
    def outcome(self) -> OutcomeModel:
        """The current outcome model."""
        return self.outcomes.current()


@dataclass(frozen=True, slots=True)
class SourceResult:
    """One inquiry source's result: fapai's model or an external platform. Price in yuan."""

    platform: str
    price: Decimal
    kind: str  # "model" or "platform"

    @property
    def price_fen(self) -> int:
        return to_fen(self.price)


def parse_sources(sources: Sequence[Mapping[str, Any]]) -> list[SourceResult]:
    """External platform results → :class:`SourceResult`; errors name the field."""
    parsed: list[SourceResult] = []
    seen: set[str] = set()
    for i, src in enumerate(sources):
        platform = str(src.get("platform") or "").strip()
        if not platform or len(platform) > 40:
            raise InquiryError(f"sources.{i}.platform", "缺少平台名称，或超过 40 个字")
        if platform.lower() == FAPAI_PLATFORM:
            raise InquiryError(f"sources.{i}.platform", "fapai 自己的模型总是来源之一，不必再填")
        if platform in seen:
            # 参考价规定 第十三条 averages the platforms: one result per platform.
            raise InquiryError(f"sources.{i}.platform", f"平台 {platform} 填了两次")
        seen.add(platform)
        try:
            fen = to_fen(src.get("price"))
        except MoneyError as exc:
            raise InquiryError(f"sources.{i}.price", "价格应为元，至多两位小数") from exc
        if fen <= 0:
            raise InquiryError(f"sources.{i}.price", "价格应为正数（元）")
        parsed.append(SourceResult(platform, fen_to_yuan(fen), "platform"))
    return parsed


def mean_of_sources(results: Sequence[SourceResult]) -> int:
    """参考价规定 第十三条: the reference price (fen) is the mean of all sources' results,
    rounded half-up to the fen."""
    if not results:
        raise ValueError("no inquiry source")
    total = sum(Decimal(r.price_fen) for r in results)
    return int((total / len(results)).to_integral_value(rounding=ROUND_HALF_UP))


def deposit_range(start_fen: int, settings: Settings) -> tuple[int, int]:
    """拍卖规定 第十七条: the deposit is 5%–20% of the start price (fen, inclusive)."""
    return (
        ratio_of(start_fen, settings.deposit_min_ratio, rounding=ROUND_CEILING),
        ratio_of(start_fen, settings.deposit_max_ratio, rounding=ROUND_FLOOR),
    )


@dataclass(frozen=True, slots=True)
class InquiryReport:
    """The full inquiry report; :meth:`to_json` is what the API returns and the store keeps."""

    description: dict[str, Any]
    reference_price_fen: int
    estimate: Estimate
    sources: tuple[SourceResult, ...]
    comparables: tuple[Comparable, ...]
    model_version: str
    outcome_model_version: str
    created_at: datetime
    valid_until: datetime
    start_price_floor_fen: int
    outcome: OutcomeCurve
    reauction: OutcomeCurve  # round 2, should round 1 fail
    deposit_range_fen: tuple[int, int]
    display_timezone: str
    floor_rule: str
    deposit_rule: str

    def to_json(self) -> dict[str, Any]:
        proposed = self.outcome.proposed
        return {
            "description": self.description,
            "reference_price": json_number(fen_to_yuan(self.reference_price_fen)),
            "reference_rule": REFERENCE_RULE,
            "unit_price": _jsonable(self.estimate.unit_price),
            "interval": {
                "80": _jsonable(self.estimate.interval80),
                "90": _jsonable(self.estimate.interval90),
            },
            "valuation_date": {
                "as_of": self.estimate.as_of,
                "market_data_to": self.estimate.data_as_of,
                "market_index": self.estimate.market_index,
                "market_index_series": list(self.estimate.market_index_series),
            },
            "sources": [
                {"platform": s.platform, "price": json_number(s.price), "kind": s.kind}
                for s in self.sources
            ],
            "comparables": [_jsonable(c) for c in self.comparables],
            "model_version": self.model_version,
            "outcome_model_version": self.outcome_model_version,
            "created_at": self.created_at.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "valid_until_local": to_display(self.valid_until, self.display_timezone).isoformat(),
            "start_price_floor": json_number(fen_to_yuan(self.start_price_floor_fen)),
            "start_price_floor_rule": self.floor_rule,
            "proposed_start_price": json_number(proposed.start_price),
            "expected_outcome": {
                "chance_of_sale": json_number(proposed.chance_of_sale),
                "expected_final_price": json_number(proposed.expected_final_price),
                "expected_recovery": json_number(proposed.expected_recovery),
            },
            "deposit_range": [json_number(fen_to_yuan(f)) for f in self.deposit_range_fen],
            "deposit_rule": self.deposit_rule,
            "outcome": self.outcome.to_json(),
            "if_unsold": self.reauction.to_json(),
        }


def _jsonable(value: Any) -> Any:
    """The price model's Decimal / tuple / dataclass values as JSON (money as numbers)."""
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def subject_of(description: Mapping[str, Any]) -> Listing:
    """The description checked by the listing rules; a broken rule is an :class:`InquiryError`."""
    if description.get("city") in (None, ""):
        raise InquiryError("city", "缺少必填项：城市")
    if description.get("area_m2") in (None, ""):
        raise InquiryError("area_m2", "缺少必填项：建筑面积（平方米）")
    try:
        return validate_subject({k: description.get(k) for k in SUBJECT_FIELDS})
    except ListingError as exc:
        raise InquiryError(exc.field, refusal(exc).reason) from exc


def valuation_date(value: Any, now: datetime, settings: Settings) -> date:
    """The valuation date asked for (a date or ISO text), else today where the court sits."""
    if value in (None, ""):
        return to_display(now, settings.display_timezone).date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise NotPriceable(
            "as_of", "bad_value", f"估价时点应为日期，如 2024-06-30：{value!r}"
        ) from exc


def price(
    description: Mapping[str, Any],
    sources: Sequence[Mapping[str, Any]],
    now: datetime,
    registry: ModelRegistry,
    settings: Settings,
    outcome: OutcomeModel,
) -> InquiryReport:
    """Price a property and build the report (see the module docstring for the rules).

    Raises :class:`InquiryError` for a bad description or source, and for a property the price
    model cannot price honestly (its ``NotPriceable``): no number then, the reason instead.
    """
    subject = subject_of(description)
    external = parse_sources(sources)
    model = registry.current()
    fields = {k: v for k, v in subject.to_dict().items() if k in SUBJECT_FIELDS}
    # Inputs the price model takes beyond the listing schema (building type, near a metro).
    fields.update({k: description[k] for k in EXTRA_INPUTS if description.get(k) is not None})
    # One-row predictions: OpenMP threads cost more than they give (3–10× slower on a busy
    # machine), so this thread predicts single-threaded.
    with _OPENMP.limit(limits=1, user_api="openmp"):
        try:
            as_of = valuation_date(description.get("as_of"), now, settings)
            estimate = model.estimate(fields, as_of)
            comparables = tuple(model.comparables(fields, COMPARABLES_K, as_of=as_of))
        except NotPriceable as exc:
            raise InquiryError(
                exc.field,
                f"{exc.reason}。fapai 无法如实估价，不给出数字；网络询价不成的，"
                "人民法院可以委托评估机构评估",
                ART_14,
            ) from exc
        own_price = fen_to_yuan(to_fen(_cents(estimate.price_total)))
        results = (SourceResult(FAPAI_PLATFORM, own_price, "model"), *external)
        reference_fen = mean_of_sources(results)
        lot = Lot(
            city=subject.city or "",
            reference_fen=reference_fen,
            when=now.date(),
            area_m2=subject.area_m2,
            district=subject.district,
        )
        curve = outcome.curve(lot, settings)
        proposed_fen = to_fen(curve.proposed.start_price)
        # If the first round fails: the re-auction's lawful range (a cut of at most 20%,
        # 拍卖规定 第二十六条) and what the model proposes in it.
        reauction = outcome.curve(lot, settings, round_no=2, previous_start_fen=proposed_fen)
    return InquiryReport(
        description={**fields, "address": description.get("address")},
        reference_price_fen=reference_fen,
        estimate=estimate,
        sources=results,
        comparables=comparables,
        model_version=model.version,
        outcome_model_version=outcome.version,
        created_at=now,
        valid_until=now + timedelta(days=settings.inquiry_validity_days),
        start_price_floor_fen=min_start_price(reference_fen, settings),
        outcome=curve,
        reauction=reauction,
        deposit_range_fen=deposit_range(proposed_fen, settings),
        display_timezone=settings.display_timezone,
        floor_rule=f"拍卖规定 第十条: at least {_pct(settings.start_price_floor_ratio)} of the "
        "reference price",
        deposit_rule=f"拍卖规定 第十七条: {_pct(settings.deposit_min_ratio)}–"
        f"{_pct(settings.deposit_max_ratio)} of the start price",
    )


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


def _cents(value: Decimal) -> Decimal:
    """A model price in yuan to whole fen (models speak Decimal yuan, maybe finer)."""
    return Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
