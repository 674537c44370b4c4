"""The charts of an inquiry report, drawn from the report as issued.

The page and the PDF both read :class:`valuation.inquiry.InquiryReport` (the one report type,
read back from the stored JSON with ``InquiryReport.from_json``); this module only turns it
into the chart geometry of :mod:`app.web.charts`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.web import charts, display
from app.web.display import reads_as_chinese
from fapai.money import fen_to_yuan, to_decimal
from valuation.inquiry import NO_REFERENCE, InquiryReport


@dataclass(frozen=True)
class ReportCharts:
    interval: charts.IntervalBar
    scatter: charts.Scatter | None
    outcome: charts.Curve | None


def report_charts(r: InquiryReport) -> ReportCharts:
    """fapai's estimate with its intervals and the platforms' results; the comparables by area
    and unit price; the expected recovery and chance of sale along the lawful start range."""
    est = r.estimate
    marks = [
        (s.price, f"{s.platform}：{s.price}元")
        for s in r.sources
        if s.kind == "platform" and s.price is not None
    ]
    if r.reference_price is not None:
        marks.append((r.reference_price, f"参考价：{r.reference_price}元"))
    interval = charts.interval_bar(
        est.price_total, "本平台估价", est.interval90, inner=est.interval80, marks=marks
    )
    scatter = None
    if r.comparables:
        area = r.description.get("area_m2")
        scatter = charts.scatter(
            [
                (
                    to_decimal(c.area_m2),
                    c.unit_price,
                    f"{c.community or '—'} {c.area_m2}m² {c.unit_price}元/m²",
                )
                for c in r.comparables
            ],
            subject=(to_decimal(area), est.unit_price, "本标的（模型单价）") if area else None,
        )
    outcome = None
    points = r.outcome.points
    if points:
        basis = fen_to_yuan(r.basis_fen)
        outcome = charts.outcome_curve(
            [p.start_ratio for p in points],
            [p.expected_recovery / basis for p in points],
            chance=[p.chance_of_sale for p in points],
            chosen_ratio=r.outcome.proposed.start_ratio,
            floor_ratio=r.outcome.lawful_min / basis,
        )
    return ReportCharts(interval, scatter, outcome)


def reference_words(r: InquiryReport) -> str:
    """How the report's reference price came about, in Chinese (page and PDF)."""
    if r.reference_price_fen is None:
        return NO_REFERENCE
    counted = [s for s in r.sources if s.counted]
    names = "、".join(s.platform if s.kind == "platform" else "本平台" for s in counted)
    return f"{names} 共 {len(counted)} 个询价结果的平均值（参考价规定 第十三条）。"


def estimate_words(r: InquiryReport) -> str:
    """What fapai's own estimate is in this report, in Chinese."""
    if r.estimate_counts:
        return "本平台为名单内司法网络询价平台，其估价计入参考价。"
    return (
        "本平台的独立估价，供核对之用，不计入法定参考价"
        "（本平台不在最高人民法院司法网络询价平台名单内）。"
    )


def source_rows(r: InquiryReport, tz: str) -> list[tuple[str, str, str, str, str]]:
    """Each source asked: (平台, 询价时间, 出具时间, 结果, 计入参考价), for the page and the PDF."""
    rows = []
    for s in r.sources:
        name = f"本平台估价模型 {r.model_version}" if s.kind == "model" else s.platform
        answered = display.local_time(s.answered_at, tz) if s.answered_at else "未出具"
        result = display.yuan(s.price) if s.price is not None else "—"
        if s.flagged:
            result += "（与其他来源相差悬殊，已确认）" if s.confirmed else "（与其他来源相差悬殊）"
        rows.append(
            (
                name,
                display.local_time(s.asked_at, tz),
                answered,
                result,
                "是" if s.counted else "否",
            )
        )
    return rows


def page_context(r: InquiryReport) -> dict[str, object]:
    """What the report page shows beyond the report itself: its charts and its words."""
    return {
        "r": r,
        "charts": report_charts(r),
        "reference_words": reference_words(r),
        "estimate_words": estimate_words(r),
        "sources": source_rows(r, r.display_timezone),
        "notes": [note_words(f) for f in r.outcome.fallback],
        "comparable_sources": [source_name(c.source) for c in r.comparables],
    }


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
