"""The inquiry report as the page and the PDF show it, read from the report as issued.

``valuation.inquiry_store.get_inquiry`` returns the stored JSON unchanged (money as JSON numbers
in yuan, times ISO 8601). :func:`report_view` turns it into exact Decimals and aware datetimes
once, and the HTML page and the PDF both draw from that one view.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.web import charts
from app.web.display import reads_as_chinese
from fapai.clock import ensure_utc
from fapai.money import to_decimal

MODEL_PLATFORM = "fapai"


@dataclass(frozen=True)
class Source:
    platform: str
    price: Decimal
    is_model: bool


@dataclass(frozen=True)
class Comparable:
    community: str
    district: str
    area_m2: Decimal
    rooms: int | None
    build_year: int | None
    observed_on: str
    unit_price: Decimal
    price_total: Decimal
    adjusted_price_total: Decimal
    source: str
    url: str | None


@dataclass(frozen=True)
class CurvePoint:
    start_ratio: Decimal
    start_price: Decimal
    chance_of_sale: Decimal
    expected_final_price: Decimal
    expected_recovery: Decimal


@dataclass(frozen=True)
class ReportView:
    id: int
    description: dict[str, Any]
    reference_price: Decimal
    reference_rule: str
    unit_price: Decimal
    model_price: Decimal
    interval80: tuple[Decimal, Decimal]
    interval90: tuple[Decimal, Decimal]
    sources: list[Source]
    comparables: list[Comparable]
    model_version: str
    outcome_model_version: str
    created_at: datetime
    valid_until: datetime
    start_price_floor: Decimal
    proposed: CurvePoint
    lawful_range: tuple[Decimal, Decimal]
    deposit_range: tuple[Decimal, Decimal]
    curve: list[CurvePoint]
    chance_source: str
    fallback: list[str]

    @property
    def subject_title(self) -> str:
        d = self.description
        place = "".join(str(d.get(k) or "") for k in ("city", "district", "community"))
        return f"{place} {d.get('address') or ''}".strip() or "询价标的"

    # --- the charts ---------------------------------------------------------------------

    def interval_chart(self) -> charts.IntervalBar:
        return charts.interval_bar(
            self.model_price,
            "模型估价",
            self.interval90,
            inner=self.interval80,
            marks=[(s.price, f"{s.platform}：{s.price}元") for s in self.sources if not s.is_model]
            + [(self.reference_price, f"参考价：{self.reference_price}元")],
        )

    def scatter_chart(self) -> charts.Scatter | None:
        if not self.comparables:
            return None
        subject_area = self.description.get("area_m2")
        return charts.scatter(
            [
                (c.area_m2, c.unit_price, f"{c.community} {c.area_m2}m² {c.unit_price}元/m²")
                for c in self.comparables
            ],
            subject=(to_decimal(subject_area), self.unit_price, "本标的（模型单价）")
            if subject_area
            else None,
        )

    def outcome_chart(self) -> charts.Curve | None:
        if not self.curve:
            return None
        return charts.outcome_curve(
            [p.start_ratio for p in self.curve],
            [p.expected_recovery / self.reference_price for p in self.curve],
            chance=[p.chance_of_sale for p in self.curve],
            chosen_ratio=self.proposed.start_ratio,
            floor_ratio=self.lawful_range[0] / self.reference_price,
        )


def _money(value: Any) -> Decimal:
    return to_decimal(value)


def _pair(values: Any) -> tuple[Decimal, Decimal]:
    low, high = values
    return _money(low), _money(high)


def _time(text: str) -> datetime:
    return ensure_utc(datetime.fromisoformat(text))


def _point(p: Mapping[str, Any]) -> CurvePoint:
    return CurvePoint(
        start_ratio=_money(p["start_ratio"]),
        start_price=_money(p["start_price"]),
        chance_of_sale=_money(p["chance_of_sale"]),
        expected_final_price=_money(p["expected_final_price"]),
        expected_recovery=_money(p["expected_recovery"]),
    )


def _comparable(c: Mapping[str, Any]) -> Comparable:
    return Comparable(
        community=str(c.get("community") or "—"),
        district=str(c.get("district") or ""),
        area_m2=_money(c["area_m2"]),
        rooms=c.get("rooms"),
        build_year=c.get("build_year"),
        observed_on=str(c.get("observed_on") or "—"),
        unit_price=_money(c["unit_price"]),
        price_total=_money(c["price_total"]),
        adjusted_price_total=_money(c.get("adjusted_price_total", c["price_total"])),
        source=source_name(str(c.get("source") or "")),
        url=c.get("url"),
    )


def report_view(report: Mapping[str, Any]) -> ReportView:
    """The stored report (``get_inquiry``'s dict) as a typed view."""
    outcome = report["outcome"]
    sources = [
        Source(s["platform"], _money(s["price"]), s.get("kind") == "model")
        for s in report["sources"]
    ]
    model_price = next((s.price for s in sources if s.is_model), _money(report["reference_price"]))
    return ReportView(
        id=int(report["id"]),
        description=dict(report.get("description") or {}),
        reference_price=_money(report["reference_price"]),
        reference_rule=str(report.get("reference_rule") or ""),
        unit_price=_money(report["unit_price"]),
        model_price=model_price,
        interval80=_pair(report["interval"]["80"]),
        interval90=_pair(report["interval"]["90"]),
        sources=sources,
        comparables=[_comparable(c) for c in report.get("comparables") or ()],
        model_version=str(report.get("model_version") or ""),
        outcome_model_version=str(report.get("outcome_model_version") or ""),
        created_at=_time(report["created_at"]),
        valid_until=_time(report["valid_until"]),
        start_price_floor=_money(report["start_price_floor"]),
        proposed=_point(outcome["proposed"]),
        lawful_range=_pair(outcome["lawful_range"]),
        deposit_range=_pair(report["deposit_range"]),
        curve=[_point(p) for p in outcome["curve"]],
        chance_source=str(outcome.get("chance_source") or ""),
        fallback=[note_words(str(f)) for f in outcome.get("fallback") or ()],
    )


# Where comparables come from, as people know the sites (a crawler's code like beike_gz).
SOURCE_NAMES: dict[str, str] = {
    "lianjia": "链家",
    "beike": "贝壳找房",
    "anjuke": "安居客",
    "fang": "房天下",
    "shared": "公开挂牌数据",
}
_CITY_CODES = {"gz": "广州", "sz": "深圳", "fs": "佛山", "dg": "东莞", "zh": "珠海"}


def source_name(code: str) -> str:
    """``beike_gz`` → 贝壳找房（广州）; an unknown code → 公开挂牌数据."""
    site, _, city = code.partition("_")
    name = SOURCE_NAMES.get(site, SOURCE_NAMES["shared"] if code else "—")
    return f"{name}（{_CITY_CODES[city]}）" if city in _CITY_CODES else name


_OWN_HISTORY = re.compile(r"too little own history \((\d+) finished rounds, (\d+) needed")
_CITY_HISTORY = re.compile(r"too little sold history for (\S+) \((\d+) lots, (\d+) needed")


def note_words(note: str) -> str:
    """The outcome model's note on a report, as stored (English in reports issued so far), in
    Chinese: why the chance of sale or the proposed start fell back to a rule."""
    if reads_as_chinese(note):
        return note
    if found := _OWN_HISTORY.match(note):
        rounds, needed = found.groups()
        return (
            f"本平台已结束的拍卖仅 {rounds} 场（需至少 {needed} 场，且有成交也有流拍），"
            "成交概率按先验估计：由历史一拍、二拍的成交率与浙江法院网拍九成成交的公开数据推算"
        )
    if found := _CITY_HISTORY.match(note):
        city, lots, needed = found.groups()
        return (
            f"{city}的成交记录仅 {lots} 件（需至少 {needed} 件），建议起拍价取法定最低："
            "一拍为参考价的 70%（拍卖规定 第十条），二拍为前次起拍价的 80%（第二十六条）"
        )
    return "模型所依据的数据不足，此项结果仅供参考"
