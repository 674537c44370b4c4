"""The charts of an inquiry report, drawn from the report as issued.

The page and the PDF both read :class:`valuation.inquiry.InquiryReport` (the one report type,
read back from the stored JSON with ``InquiryReport.from_json``); this module only turns it
into the chart geometry of :mod:`app.web.charts`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.web import charts, display
from app.web.display import reads_as_chinese
from fapai.money import fen_to_yuan, to_decimal
from valuation.inquiry import FAR_FACTOR, NO_REFERENCE, InquiryReport
from valuation.market_index import year_fraction
from valuation.outcome.curve import PRIOR_NOTE


@dataclass(frozen=True)
class ReportCharts:
    interval: charts.IntervalBar
    scatter: charts.Scatter | None
    outcome: charts.Curve | None
    index: charts.IndexLine | None = None


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
    return ReportCharts(interval, scatter, outcome, index_chart(r))


def index_chart(r: InquiryReport, frame: charts.Frame | None = None) -> charts.IndexLine | None:
    """The city's market index by half-year with the valuation date marked (None for reports
    issued before the index)."""
    est = r.estimate
    series = [
        (
            float(p["period"]),
            float(p["index"]),
            f"{p['from'][:7]} 起半年：指数 {p['index']}（{p['rows']:,} 条市场数据）",
        )
        for p in est.market_index_series
    ]
    if not series:
        return None
    marked = None
    with contextlib.suppress(ValueError):
        when = date.fromisoformat(est.as_of[:10])
        marked = (
            year_fraction(when),
            est.market_index,
            f"估价时点 {when}：指数 {est.market_index}",
        )
    return charts.index_line(series, marked, frame)


def index_words(r: InquiryReport) -> str:
    """The market index in a sentence (page legend and PDF)."""
    est = r.estimate
    city = r.description.get("city") or "该市"
    return (
        f"{city}住宅市场指数（模型从各半年的市场数据学得，固定一篮子住宅按各期估价；"
        f"最近半年 = 100）。估价时点 {est.as_of or '—'} 的指数为 {est.market_index}，"
        f"市场数据截至 {est.data_as_of or '—'}；估价时点晚于数据截止日的，价格区间相应加宽。"
    )


def reference_words(r: InquiryReport) -> str:
    """How the report's reference price came about, in Chinese (page and PDF)."""
    if r.reference_price_fen is None:
        return NO_REFERENCE
    counted = [s for s in r.sources if s.counted]
    names = "、".join(s.platform if s.kind == "platform" else "本平台" for s in counted)
    words = f"{names} 共 {len(counted)} 个询价结果的平均值（参考价规定 第十三条）。"
    flagged = [s for s in counted if s.flagged]
    if flagged:
        who = "、".join(f"{s.platform}（{display.yuan(s.price)}）" for s in flagged)
        words += (
            f"其中{who}的结果与其他各来源及本平台估价 90% 区间相差均超过 {FAR_FACTOR} 倍，"
            "经法院核实确认后计入。"
        )
    return words


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


def metro_facts(description: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The metro station and the distance to it that the court stated, as the report's
    (label, value) lines for the page, the PDF and ``fapai inquire``; none where not given."""
    facts = []
    if description.get("metro_station"):
        facts.append(("最近地铁站", str(description["metro_station"])))
    if description.get("metro_distance_m") is not None:
        facts.append(("距地铁站距离", f"{description['metro_distance_m']} 米"))
    return facts


def page_context(r: InquiryReport) -> dict[str, object]:
    """What the report page shows beyond the report itself: its charts and its words."""
    return {
        "r": r,
        "charts": report_charts(r),
        "reference_words": reference_words(r),
        "estimate_words": estimate_words(r),
        "sources": source_rows(r, r.display_timezone),
        "notes": outcome_notes(r),
        "reference_check": r.reference_check,
        "index_words": index_words(r),
        "metro": metro_facts(r.description),
    }


_OWN_HISTORY = re.compile(r"too little own history \((\d+) finished rounds, (\d+) needed")
_CITY_HISTORY = re.compile(r"too little sold history for (\S+) \((\d+) lots, (\d+) needed")


def outcome_notes(r: InquiryReport) -> list[str]:
    """The outcome model's notes beside :attr:`OutcomeCurve.chance_words` (which already says
    why the chance of sale is the prior, when it is), in Chinese."""
    return [
        note_words(f)
        for f in r.outcome.fallback
        if not (f.startswith(PRIOR_NOTE) or _OWN_HISTORY.match(f))
    ]


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
