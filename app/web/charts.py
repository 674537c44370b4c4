"""Chart geometry for inline SVG: scales, ticks and the four charts the pages draw.

Plain functions from data to pixel positions; the templates in ``templates/charts.html`` only
draw what these return. Pixel positions are floats; the money they stand for stays Decimal
elsewhere and is only converted here, for drawing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

Number = Decimal | float | int


@dataclass(frozen=True)
class Frame:
    """The drawing area: an SVG ``width`` × ``height`` with margins around the plot."""

    width: int = 640
    height: int = 320
    left: int = 64
    right: int = 16
    top: int = 16
    bottom: int = 44

    @property
    def x0(self) -> float:
        return self.left

    @property
    def x1(self) -> float:
        return self.width - self.right

    @property
    def y0(self) -> float:
        return self.height - self.bottom

    @property
    def y1(self) -> float:
        return self.top


@dataclass(frozen=True)
class Scale:
    """A linear map from the data range [lo, hi] onto pixels [start, end]."""

    lo: float
    hi: float
    start: float
    end: float

    def __call__(self, value: Number) -> float:
        span = self.hi - self.lo
        t = 0.5 if span == 0 else (float(value) - self.lo) / span
        return round(self.start + t * (self.end - self.start), 1)


@dataclass(frozen=True)
class Tick:
    at: float
    text: str


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10ⁿ steps) covering [lo, hi]."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _axis(
    values: Iterable[Number], start: float, end: float, fmt: Callable[[float], str] | None = None
) -> tuple[Scale, list[Tick]]:
    """A scale over round ticks covering ``values``. A range narrower than 10% of its size is
    widened around its middle, so near-equal values (comparables all of 89 m²) keep readable
    ticks. Without ``fmt`` labels get as many decimals as the tick step needs."""
    floats = [float(v) for v in values]
    lo, hi = min(floats), max(floats)
    least = 0.1 * max(abs(lo), abs(hi))
    if hi - lo < least:
        middle = (lo + hi) / 2
        lo, hi = middle - least / 2, middle + least / 2
    ticks = nice_ticks(lo, hi)
    scale = Scale(ticks[0], ticks[-1], start, end)
    if fmt is None:
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
        fmt = f"{{:,.{decimals}f}}".format
    return scale, [Tick(scale(t), fmt(t)) for t in ticks]


# --- inquiry report: the interval bar -----------------------------------------------------


@dataclass(frozen=True)
class IntervalBar:
    frame: Frame
    outer: tuple[float, float]
    inner: tuple[float, float] | None
    point: float
    point_label: str
    ticks: list[Tick]
    marks: list[tuple[float, str]] = field(default_factory=list)


def interval_bar(
    point: Number,
    point_label: str,
    outer: tuple[Number, Number],
    inner: tuple[Number, Number] | None = None,
    marks: Sequence[tuple[Number, str]] = (),
    frame: Frame | None = None,
) -> IntervalBar:
    """A horizontal bar: the outer (90%) interval, the inner (80%) one, the point (labelled),
    and marks for other prices (e.g. the platforms' results), on one yuan axis in 万元."""
    frame = frame or Frame(height=110, left=24, right=24, top=30, bottom=34)
    values = [point, *outer, *(inner or ()), *(v for v, _ in marks)]
    scale, ticks = _axis(values, frame.x0, frame.x1, lambda v: f"{v / 10000:,.0f}万")
    return IntervalBar(
        frame=frame,
        outer=(scale(outer[0]), scale(outer[1])),
        inner=(scale(inner[0]), scale(inner[1])) if inner else None,
        point=scale(point),
        point_label=point_label,
        ticks=ticks,
        marks=[(scale(v), text) for v, text in marks],
    )


# --- inquiry report: comparables scatter (unit price against area) -------------------------


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Scatter:
    frame: Frame
    dots: list[Dot]
    subject: Dot | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    x_label: str
    y_label: str


def scatter(
    points: Sequence[tuple[Number, Number, str]],
    subject: tuple[Number, Number, str] | None = None,
    x_label: str = "面积（m²）",
    y_label: str = "单价（元/m²）",
    frame: Frame | None = None,
) -> Scatter:
    """Points (x, y, hover text) with the subject property drawn apart."""
    frame = frame or Frame()
    every = [*points, *([subject] if subject else [])]
    if not every:
        raise ValueError("a scatter needs at least one point")
    sx, x_ticks = _axis([p[0] for p in every], frame.x0, frame.x1)
    sy, y_ticks = _axis([p[1] for p in every], frame.y0, frame.y1)

    def dot(p: tuple[Number, Number, str]) -> Dot:
        return Dot(sx(p[0]), sy(p[1]), p[2])

    return Scatter(
        frame=frame,
        dots=[dot(p) for p in points],
        subject=dot(subject) if subject else None,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        x_label=x_label,
        y_label=y_label,
    )


# --- inquiry report: expected outcome by start ratio --------------------------------------


@dataclass(frozen=True)
class Curve:
    frame: Frame
    path: str
    chance_path: str | None
    chosen: tuple[float, float] | None
    floor_x: float | None
    x_ticks: list[Tick]
    y_ticks: list[Tick]


def outcome_curve(
    ratios: Sequence[Number],
    expected: Sequence[Number],
    chance: Sequence[Number] | None = None,
    chosen_ratio: Number | None = None,
    floor_ratio: Number | None = None,
    frame: Frame | None = None,
) -> Curve:
    """Expected recovery (as a share of the reference price) against the start ratio, the
    chance of sale on the same 0–1 axis, the proposed ratio and the legal floor marked."""
    if len(ratios) != len(expected) or not ratios:
        raise ValueError("ratios and expected values must be non-empty and of equal length")
    frame = frame or Frame()
    sx, x_ticks = _axis(list(ratios), frame.x0, frame.x1, lambda v: f"{v * 100:.0f}%")
    sy, y_ticks = _axis([0, 1, *expected], frame.y0, frame.y1, lambda v: f"{v * 100:.0f}%")

    def path(ys: Sequence[Number]) -> str:
        return "M" + " L".join(f"{sx(x)},{sy(y)}" for x, y in zip(ratios, ys, strict=True))

    chosen = None
    if chosen_ratio is not None:
        nearest = min(range(len(ratios)), key=lambda i: abs(float(ratios[i]) - float(chosen_ratio)))
        chosen = (sx(chosen_ratio), sy(expected[nearest]))
    return Curve(
        frame=frame,
        path=path(expected),
        chance_path=path(chance) if chance else None,
        chosen=chosen,
        floor_x=sx(floor_ratio) if floor_ratio is not None else None,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
    )


# --- results: final / reference ratio by property type and round ---------------------------


@dataclass(frozen=True)
class StripRow:
    label: str
    y: float
    dots: list[float]
    median_x: float
    median_text: str
    count: int


@dataclass(frozen=True)
class StripPlot:
    frame: Frame
    rows: list[StripRow]
    x_ticks: list[Tick]
    reference_x: float


def ratio_strips(groups: dict[str, Sequence[Number]], frame_width: int = 640) -> StripPlot:
    """One row per group (e.g. 住宅用房·一拍): every final/reference ratio as a dot, its median
    as a bar. The 100% line is the reference price."""
    groups = {k: v for k, v in groups.items() if v}
    if not groups:
        raise ValueError("no finished rounds with a final price to draw")
    row_height = 34
    frame = Frame(width=frame_width, height=40 + row_height * len(groups), left=150, top=8)
    values = [float(v) for vs in groups.values() for v in vs] + [1.0]
    sx, x_ticks = _axis(values, frame.x0, frame.x1, lambda v: f"{v * 100:.0f}%")
    rows = []
    for i, (name, ratios) in enumerate(groups.items()):
        mid = median(float(r) for r in ratios)
        rows.append(
            StripRow(
                label=name,
                y=frame.top + row_height * i + row_height / 2,
                dots=[sx(r) for r in ratios],
                median_x=sx(mid),
                median_text=f"{mid * 100:.1f}%",
                count=len(ratios),
            )
        )
    return StripPlot(frame=frame, rows=rows, x_ticks=x_ticks, reference_x=sx(1.0))


# --- inquiry report: the city's market index by half-year ---------------------------------


@dataclass(frozen=True)
class IndexLine:
    frame: Frame
    path: str
    dots: list[Dot]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    as_of: Dot | None  # the valuation date on the line
    base_y: float  # where 100 (the latest half-year) is drawn


def index_line(
    series: Sequence[tuple[Number, Number, str]],
    as_of: tuple[Number, Number, str] | None = None,
    frame: Frame | None = None,
) -> IndexLine:
    """A market index through time: (fractional year, index, hover text) per half-year, the
    valuation date marked on it. Years on the x axis (whole-year ticks), the index on y with
    100 (the latest half-year) always in view."""
    if not series:
        raise ValueError("an index line needs at least one half-year")
    frame = frame or Frame(height=240)
    years = [float(p[0]) for p in series] + ([float(as_of[0])] if as_of else [])
    lo, hi = math.floor(min(years) - 0.25), math.ceil(max(years) + 0.25)
    every = max(1, math.ceil((hi - lo) / 8))
    sx = Scale(lo, hi, frame.x0, frame.x1)
    x_ticks = [Tick(sx(y), f"{y}") for y in range(lo, hi + 1, every)]
    values = [p[1] for p in series] + [100] + ([as_of[1]] if as_of else [])
    sy, y_ticks = _axis(values, frame.y0, frame.y1, lambda v: f"{v:.0f}")
    dots = [Dot(sx(x), sy(y), text) for x, y, text in series]
    return IndexLine(
        frame=frame,
        path="M" + " L".join(f"{d.x},{d.y}" for d in dots),
        dots=dots,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        as_of=Dot(sx(as_of[0]), sy(as_of[1]), as_of[2]) if as_of else None,
        base_y=sy(100),
    )
