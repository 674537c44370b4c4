"""The online inquiry (网络询价): a property and the listed platforms' answers in, a report out.

The **legal reference price** is the mean of the results of the platforms on the SPC's list of
judicial online inquiry platforms that answered (参考价规定 第十三条): the court enters each
platform it asked, when, and what it answered (or that it did not). fapai is not on that list
by default: its own estimate (price model: price, 80%/90% interval, comparables) is shown beside
the legal reference as an independent check, and counts as a source only where the deployment
declares itself a listed platform (``listed_inquiry_platform``). With no result to average the
report has no legal reference price yet and says so; a lot cannot be published from it.

A platform result far from every other source and from fapai's interval (a ¥1 typed for
¥1,000,000) is flagged and must be confirmed before it enters the mean.

The report also gives what the court needs to set up the auction: the start-price floor
(拍卖规定 第十条), a proposed start price from the auction-outcome model with the curve behind
it, the re-auction's should round 1 fail (第二十六条), the deposit range (第十七条) and the
validity (参考价规定 第二十七条). All of them are the law's functions in :mod:`fapai.law`.
No HTTP and no storage here: the app's inquiry service calls :func:`price` and stores.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from fapai.clock import ensure_utc, to_display
from fapai.law import (
    REFERENCE_ART_13,
    REFERENCE_ART_14,
    deposit_range,
    min_start_price,
    reference_price_mean,
    reference_valid_until,
)
from fapai.money import MoneyError, fen_to_yuan, json_number, to_fen
from fapai.settings import Settings
from valuation.comparables import Comparable, price_kind_of, source_name
from valuation.model import (
    Estimate,
    NotPriceable,
    PriceModel,
    one_thread,
    refusal,
)
from valuation.outcome import Lot, OutcomeCurve, OutcomeModel
from valuation.outcome.curve import CurvePoint
from valuation.schema import PROPERTY_FIELDS, Listing, ListingError, validate_subject

FAPAI_PLATFORM = "fapai"
REFERENCE_RULE = f"{REFERENCE_ART_13}：参考价为名单内司法网络询价平台所出具结果的平均值"
NO_REFERENCE = (
    f"尚无法定参考价：名单内司法网络询价平台的结果尚未录入（{REFERENCE_ART_13}）。"
    "本报告仅有本平台的独立估价，不能据此发布拍卖；起拍价等按本平台估价测算，仅供参考。"
)
COMPARABLES_K = 5
# A platform result more than this factor away from every other result and from fapai's 90%
# interval is flagged: a typing slip (¥1 for ¥1,000,000) would otherwise move the mean silently.
FAR_FACTOR = Decimal("1.5")
# Fields of a description passed to the price model (the market listing schema's names).
SUBJECT_FIELDS = ("property_type", *PROPERTY_FIELDS)


class InquiryError(ValueError):
    """An inquiry that cannot be answered, naming the field, why, and the article if a rule
    of law is behind it (→ HTTP 422)."""

    def __init__(self, field: str, reason: str, article: str | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.article = article


@dataclass(frozen=True, slots=True)
class SourceResult:
    """One source of the inquiry: a platform the court asked (its answer, or None when it did
    not answer) or fapai's own model where it counts. Price in yuan."""

    platform: str
    price: Decimal | None
    kind: str  # "platform" or "model"
    asked_at: datetime
    answered_at: datetime | None
    flagged: bool = False  # far from every other source and from fapai's interval
    confirmed: bool = False  # the court confirmed a flagged result

    @property
    def price_fen(self) -> int | None:
        return None if self.price is None else to_fen(self.price)

    @property
    def counted(self) -> bool:
        """Whether it enters the mean (参考价规定 第十三条: the results given)."""
        return self.price is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "price": None if self.price is None else json_number(self.price),
            "kind": self.kind,
            "asked_at": self.asked_at.isoformat(),
            "answered_at": None if self.answered_at is None else self.answered_at.isoformat(),
            "counted": self.counted,
            "flagged": self.flagged,
            "confirmed": self.confirmed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], issued_at: datetime) -> SourceResult:
        """A stored source; reports issued before platforms were recorded lack the times."""
        answered = data.get("answered_at", issued_at.isoformat())
        return cls(
            platform=data["platform"],
            price=None if data.get("price") is None else _decimal(data["price"]),
            kind=data.get("kind", "platform"),
            asked_at=_time(data.get("asked_at", issued_at.isoformat())),
            answered_at=None if answered is None else _time(answered),
            flagged=bool(data.get("flagged", False)),
            confirmed=bool(data.get("confirmed", False)),
        )


def parse_sources(
    sources: Sequence[Mapping[str, Any]], now: datetime, confirmed: bool = False
) -> list[SourceResult]:
    """The platforms the court asked → :class:`SourceResult`; errors name the field.

    Each is ``{platform, price (yuan, or None: did not answer), asked_at?, answered_at?}``;
    times default to ``now``, the time of the inquiry.
    """
    parsed: list[SourceResult] = []
    seen: set[str] = set()
    for i, src in enumerate(sources):
        platform = str(src.get("platform") or "").strip()
        if not platform or len(platform) > 40:
            raise InquiryError(f"sources.{i}.platform", "必填，至多 40 个字")
        if platform.lower() == FAPAI_PLATFORM:
            raise InquiryError(
                f"sources.{i}.platform", "本平台的估价由系统给出，不作为外部平台录入"
            )
        if platform in seen:
            # 参考价规定 第十三条 averages the platforms: one result per platform.
            raise InquiryError(f"sources.{i}.platform", f"平台“{platform}”重复录入")
        seen.add(platform)
        asked_at = ensure_utc(src.get("asked_at") or now)
        answered_at = src.get("answered_at")
        if asked_at > now or (answered_at is not None and ensure_utc(answered_at) > now):
            raise InquiryError(f"sources.{i}.asked_at", "询价时间与出具时间不能晚于现在")
        price_yuan = None
        if src.get("price") is not None:
            try:
                fen = to_fen(src["price"])
            except MoneyError as exc:
                raise InquiryError(f"sources.{i}.price", "价格应为元，至多两位小数") from exc
            if fen <= 0:
                raise InquiryError(f"sources.{i}.price", "须为正的金额（元）")
            price_yuan = fen_to_yuan(fen)
            answered_at = ensure_utc(answered_at or now)
            if answered_at < asked_at:
                raise InquiryError(f"sources.{i}.answered_at", "出具时间不能早于询价时间")
        elif answered_at is not None:
            raise InquiryError(f"sources.{i}.price", "已填出具时间，须同时填写询价结果")
        parsed.append(
            SourceResult(platform, price_yuan, "platform", asked_at, answered_at, False, confirmed)
        )
    return parsed


def flag_far_results(
    results: Sequence[SourceResult], interval90: tuple[Decimal, Decimal]
) -> list[SourceResult]:
    """Flag each answer more than :data:`FAR_FACTOR` away from every other answer and from
    fapai's 90% interval (a ¥1 result typed for ¥1,000,000)."""
    low, high = interval90
    out = []
    for r in results:
        if r.price is None:
            out.append(r)
            continue
        others = [o.price for o in results if o is not r and o.price is not None]
        far_from_interval = r.price * FAR_FACTOR < low or r.price > high * FAR_FACTOR
        far_from_others = all(max(r.price / o, o / r.price) > FAR_FACTOR for o in others)
        out.append(dataclasses.replace(r, flagged=far_from_interval and far_from_others))
    return out


@dataclass(frozen=True, slots=True)
class InquiryReport:
    """The inquiry report: what the API returns and the store keeps (:meth:`to_json`), and what
    the page and the PDF draw (:meth:`from_json` of the stored report)."""

    description: dict[str, Any]
    reference_price_fen: int | None  # the legal reference; None until a listed source answers
    estimate: Estimate  # fapai's own, the independent check
    estimate_counts: bool  # fapai's estimate is one of the sources (a listed platform)
    sources: tuple[SourceResult, ...]
    comparables: tuple[Comparable, ...]
    model_version: str
    outcome_model_version: str
    created_at: datetime
    valid_until: datetime
    start_price_floor_fen: int
    outcome: OutcomeCurve
    reauction: OutcomeCurve | None  # round 2, should round 1 fail (older reports: None)
    deposit_range_fen: tuple[int, int]
    display_timezone: str
    floor_rule: str
    deposit_rule: str
    id: int | None = None
    case_number: str | None = None  # 案号 of the enforcement case the property is seized in
    court: str | None = None  # the court that asked (its name when the report was issued)

    @property
    def basis_fen(self) -> int:
        """What the floor and the proposal are measured from: the legal reference price, or
        fapai's estimate while there is none."""
        if self.reference_price_fen is not None:
            return self.reference_price_fen
        return to_fen(self.estimate.price_total)

    @property
    def reference_price(self) -> Decimal | None:
        """The legal reference price in yuan, None while there is none."""
        fen = self.reference_price_fen
        return None if fen is None else fen_to_yuan(fen)

    @property
    def start_price_floor(self) -> Decimal:
        return fen_to_yuan(self.start_price_floor_fen)

    @property
    def deposit_range(self) -> tuple[Decimal, Decimal]:
        low, high = self.deposit_range_fen
        return fen_to_yuan(low), fen_to_yuan(high)

    @property
    def reference_check(self) -> ReferenceCheck | None:
        """How the legal reference price stands against fapai's 90% interval, when outside."""
        return reference_check(self)

    @property
    def subject_title(self) -> str:
        d = self.description
        place = "".join(str(d.get(k) or "") for k in ("city", "district", "community"))
        return f"{place} {d.get('address') or ''}".strip() or "询价标的"

    def to_json(self) -> dict[str, Any]:
        proposed = self.outcome.proposed
        reference = self.reference_price_fen
        check = self.reference_check
        return {
            "case_number": self.case_number,
            "court": self.court,
            "description": self.description,
            "reference_price": None if reference is None else json_number(fen_to_yuan(reference)),
            "reference_rule": REFERENCE_RULE,
            "reference_note": None if reference is not None else NO_REFERENCE,
            "estimate_price": json_number(self.estimate.price_total),
            "estimate_counts_as_source": self.estimate_counts,
            "reference_outside_interval": None if check is None else check.to_json(),
            "unit_price": json_number(self.estimate.unit_price),
            "interval": {
                "80": [json_number(v) for v in self.estimate.interval80],
                "90": [json_number(v) for v in self.estimate.interval90],
            },
            "valuation_date": {
                "as_of": self.estimate.as_of,
                "market_data_to": self.estimate.data_as_of,
                "market_index": self.estimate.market_index,
                "market_index_series": list(self.estimate.market_index_series),
            },
            "sources": [s.to_json() for s in self.sources],
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
            "if_unsold": None if self.reauction is None else self.reauction.to_json(),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any], display_timezone: str) -> InquiryReport:
        """The report as issued (``to_json``, with its ``id``), read back exactly: money as
        Decimal, times aware. Reports issued before platforms were recorded read too (their
        sources all counted, fapai's model among them)."""
        created = _time(body["created_at"])
        sources = tuple(SourceResult.from_json(s, created) for s in body["sources"])
        model = next((s for s in sources if s.kind == "model"), None)
        estimate_price = body.get("estimate_price")
        if estimate_price is None:  # an older report: the model's own source is its estimate
            estimate_price = model.price if model else body["reference_price"]
        reference = body.get("reference_price")
        description = dict(body.get("description") or {})
        dated = body.get("valuation_date") or {}
        return cls(
            id=body.get("id"),
            description=description,
            reference_price_fen=None if reference is None else to_fen(_decimal(reference)),
            estimate=Estimate(
                unit_price=_decimal(body["unit_price"]),
                price_total=_decimal(estimate_price),
                interval80=_pair(body["interval"]["80"]),
                interval90=_pair(body["interval"]["90"]),
                inputs=description,
                as_of=str(dated.get("as_of") or ""),
                model_version=str(body.get("model_version") or ""),
                data_as_of=str(dated.get("market_data_to") or ""),
                market_index=float(dated.get("market_index", 100.0)),
                market_index_series=tuple(dated.get("market_index_series") or ()),
            ),
            estimate_counts=bool(body.get("estimate_counts_as_source", model is not None)),
            sources=sources,
            comparables=tuple(_comparable(c) for c in body.get("comparables") or ()),
            model_version=str(body.get("model_version") or ""),
            outcome_model_version=str(body.get("outcome_model_version") or ""),
            created_at=created,
            valid_until=_time(body["valid_until"]),
            start_price_floor_fen=to_fen(_decimal(body["start_price_floor"])),
            outcome=_curve(body["outcome"]),
            reauction=_curve(body["if_unsold"]) if body.get("if_unsold") else None,
            deposit_range_fen=(
                to_fen(_decimal(body["deposit_range"][0])),
                to_fen(_decimal(body["deposit_range"][1])),
            ),
            display_timezone=display_timezone,
            floor_rule=str(body.get("start_price_floor_rule") or ""),
            deposit_rule=str(body.get("deposit_rule") or ""),
            case_number=body.get("case_number"),
            court=body.get("court"),
        )


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value))


def _pair(values: Sequence[Any]) -> tuple[Decimal, Decimal]:
    low, high = values
    return _decimal(low), _decimal(high)


def _time(text: str) -> datetime:
    return ensure_utc(datetime.fromisoformat(text))


def _point(p: Mapping[str, Any]) -> CurvePoint:
    return CurvePoint(**{f.name: _decimal(p[f.name]) for f in dataclasses.fields(CurvePoint)})


def _curve(c: Mapping[str, Any]) -> OutcomeCurve:
    return OutcomeCurve(
        round_no=int(c["round"]),
        lawful_min=_decimal(c["lawful_range"][0]),
        lawful_max=_decimal(c["lawful_range"][1]),
        points=tuple(_point(p) for p in c["curve"]),
        proposed=_point(c["proposed"]),
        chance_source=str(c.get("chance_source") or ""),
        fallback=tuple(str(f) for f in c.get("fallback") or ()),
        history={k: int(v) for k, v in (c.get("history") or {}).items()},
    )


def _comparable(c: Mapping[str, Any]) -> Comparable:
    money = ("unit_price", "price_total", "adjusted_unit_price", "adjusted_price_total")
    observed = c.get("observed_on")
    return Comparable(
        **{
            **{f.name: c.get(f.name) for f in dataclasses.fields(Comparable)},
            **{k: _decimal(c[k]) for k in money if c.get(k) is not None},
            "observed_on": date.fromisoformat(observed[:10]) if observed else None,
            # Reports issued before comparables were labelled: from their source code.
            "price_kind": c.get("price_kind") or price_kind_of(c.get("source")),
            "source_name": c.get("source_name") or source_name(c.get("source")),
        }
    )


def _jsonable(value: Any) -> Any:
    """The price model's Decimal / date / dataclass values as JSON (money as numbers)."""
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
    """The description checked by the listing rules, once; a broken rule is an
    :class:`InquiryError`."""
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


def _not_priceable(exc: NotPriceable) -> InquiryError:
    return InquiryError(
        exc.field,
        f"{exc.reason}。fapai 无法如实估价，不给出数字；网络询价不成的，"
        "人民法院可以委托评估机构评估",
        REFERENCE_ART_14,
    )


def price(
    description: Mapping[str, Any],
    sources: Sequence[Mapping[str, Any]],
    now: datetime,
    model: PriceModel,
    outcome: OutcomeModel,
    settings: Settings,
    confirmed: bool = False,
    case_number: str | None = None,
    court: str | None = None,
) -> InquiryReport:
    """Price a property and build the report (see the module docstring for the rules): the
    description is validated once and the price model predicts once.

    Raises :class:`InquiryError` for a bad description or source, for a flagged platform
    result not ``confirmed``, and for a property the price model cannot price honestly (its
    ``NotPriceable``): no number then, the reason instead.
    """
    subject = subject_of(description)
    asked = parse_sources(sources, now, confirmed)
    try:
        as_of = valuation_date(description.get("as_of"), now, settings)
        inputs = model.checked_inputs(subject, as_of)
        valued = model.value(inputs, as_of, COMPARABLES_K)
    except NotPriceable as exc:
        raise _not_priceable(exc) from exc
    estimate = valued.estimate
    asked = flag_far_results(asked, estimate.interval90)
    for i, s in enumerate(asked):
        if s.flagged and not s.confirmed:
            low, high = (_yuan(v) for v in estimate.interval90)
            raise InquiryError(
                f"sources.{i}.price",
                f"{s.platform} 的结果 {_yuan(s.price)} 与其他各来源及本平台估价 90% 区间"
                f"（{low}–{high}）相差均超过 {FAR_FACTOR} 倍，请核实；确认无误的，勾选确认后再提交"
                "（接口参数 confirmed 为真）",
                REFERENCE_ART_13,
            )
    results: list[SourceResult] = list(asked)
    if settings.listed_inquiry_platform:
        results.insert(0, SourceResult(FAPAI_PLATFORM, estimate.price_total, "model", now, now))
    answers = [s.price_fen for s in results if s.price_fen is not None]
    reference_fen = reference_price_mean(answers) if answers else None
    basis_fen = reference_fen if reference_fen is not None else to_fen(estimate.price_total)
    lot = Lot(
        city=subject.city or "",
        reference_fen=basis_fen,
        when=now.date(),
        area_m2=subject.area_m2,
        district=subject.district,
    )
    # One-row predictions: OpenMP threads cost more than they give on a busy machine.
    with one_thread():
        # Round 1, and if it fails the re-auction's lawful range (a cut of at most 20%,
        # 拍卖规定 第二十六条) and what the model proposes in it.
        curve, reauction = outcome.curves(lot, settings)
    proposed_fen = to_fen(curve.proposed.start_price)
    fields = {k: v for k, v in subject.to_dict().items() if k in SUBJECT_FIELDS}
    floor_pct = _pct(settings.start_price_floor_ratio)
    return InquiryReport(
        description={**fields, "address": description.get("address")},
        reference_price_fen=reference_fen,
        estimate=estimate,
        estimate_counts=settings.listed_inquiry_platform,
        sources=tuple(results),
        comparables=valued.comparables,
        model_version=model.version,
        outcome_model_version=outcome.version,
        created_at=now,
        valid_until=reference_valid_until(now, settings),
        start_price_floor_fen=min_start_price(basis_fen, settings),
        outcome=curve,
        reauction=reauction,
        deposit_range_fen=deposit_range(proposed_fen, settings),
        display_timezone=settings.display_timezone,
        floor_rule=f"拍卖规定 第十条：起拍价不得低于参考价的 {floor_pct}",
        deposit_rule=f"拍卖规定 第十七条：保证金为起拍价的 {_pct(settings.deposit_min_ratio)}–"
        f"{_pct(settings.deposit_max_ratio)}",
        case_number=(case_number or "").strip() or None,
        court=court,
    )


def _pct(ratio: Decimal) -> str:
    return f"{(ratio * 100).normalize():f}%"


@dataclass(frozen=True, slots=True)
class ReferenceCheck:
    """The legal reference price outside fapai's 90% interval: on which side, by how much (a
    share of the interval's nearer end), the platforms' results outside it, and in words."""

    side: str  # "above" or "below"
    by: Decimal  # (reference − high) / high above, (low − reference) / low below; 4 places
    outside: tuple[str, ...]  # the platforms whose results lie on that side
    words: str

    def to_json(self) -> dict[str, Any]:
        return {
            "side": self.side,
            "by": json_number(self.by),
            "outside": list(self.outside),
            "words": self.words,
        }


def _yuan(value: Decimal) -> str:
    """¥12,500,000 or ¥3,456,789.37: money as a person reads it."""
    return f"¥{value:,.2f}".removesuffix(".00")


def reference_check(r: InquiryReport) -> ReferenceCheck | None:
    """Why the legal reference price lies outside fapai's 90% interval, if it does (None
    inside, or with no reference yet): the platforms' mean against the interval's end."""
    reference = r.reference_price
    if reference is None:
        return None
    low, high = r.estimate.interval90
    if low <= reference <= high:
        return None
    above = reference > high
    end = high if above else low
    by = (abs(reference - end) / end).quantize(Decimal("0.0001"))
    answered = [s for s in r.sources if s.kind == "platform" and s.price is not None]
    outside = tuple(s.platform for s in answered if (s.price > high if above else s.price < low))
    side = "高于" if above else "低于"
    results = "、".join(f"{s.platform} {_yuan(s.price)}" for s in answered)
    named = "、".join(outside) if outside else "无一"
    data_to = r.estimate.data_as_of or "—"
    asking = sum(c.price_kind == "asking" for c in r.comparables)
    kinds = (
        "，可比案例多为挂牌价（挂牌价通常高于成交价）"
        if asking * 2 > len(r.comparables) > 0
        else ""
    )
    words = (
        f"法定参考价 {_yuan(reference)} {side}本平台估价 90% 区间"
        f"{'上限' if above else '下限'}（{_yuan(end)}）{by * 100:.1f}%。"
        f"参考价是名单内平台结果（{results}）的平均值（参考价规定 第十三条），"
        f"其中{named}的结果{side}该区间。本平台估价依据截至 {data_to} 的市场数据{kinds}；"
        "差异可能来自标的情况（装修、楼层、朝向、权利状况等）与所填不同、"
        "数据截止后的市场变化，或平台结果有误。本平台估价仅供核对，不改变法定参考价；"
        "法院认为平台结果有误的，可以要求平台说明或更正。"
    )
    return ReferenceCheck("above" if above else "below", by, outside, words)
