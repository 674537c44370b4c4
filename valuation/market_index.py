"""The market index: how a city's price level moved over the periods its data covers.

Learned from the trained price model itself (a hedonic index): a fixed basket of the city's
homes is priced at the centre of each half-year that holds enough rows, and the mean log price
of the basket is that half-year's level. Pricing at a valuation date (``as_of``) then means:
predict at the nearest observed half-year and move the result along the index, linearly in
log price between two observed half-years, flat before the first. Past the city's latest data
the market is extrapolated honestly: the model's own trend over the last year of data
(``trend``, log price per year), damped so that it fades (Gardner's damped trend: the shift
converges to ``trend × DAMPING_YEARS`` however far the date lies), never a straight line. The
further the date lies from observed data, the wider the interval: the index is treated as a
random walk whose yearly volatility is measured on its own steps, and the extrapolated shift
itself is counted as uncertain by its whole size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

BUCKET_YEARS = 0.5  # half-years
MIN_ROWS = 30  # a half-year with fewer rows gives no level of its own
BASKET_ROWS = 400
MIN_DRIFT = 0.03  # log units per √year: never claim a market steadier than ±3% a year
# Before the first observed half-year the model may still price, this far back (years).
BACKFILL_YEARS = 1.0
DAMPING_YEARS = 0.5  # the trend's memory past the data: the shift tends to trend × this
TREND_WINDOW = 1.0  # years of data before the latest day the trend is measured on
TREND_STEP = 0.125  # the trend's points, every six weeks or so
MAX_TREND = 0.3  # log units a year: no extrapolation of a steeper run than ±35% a year
_Z = {0.8: 1.2816, 0.9: 1.6449}  # two-sided normal quantiles


def year_fraction(day: date) -> float:
    """A date as fractional calendar years (as :func:`valuation.features.period_years`)."""
    return day.year + (day.timetuple().tm_yday - 1) / 365.25


def _day(period: float) -> date:
    year = int(np.floor(period))
    return (
        pd.Timestamp(year=year, month=1, day=1) + pd.Timedelta(days=(period - year) * 365.25)
    ).date()


@dataclass(frozen=True)
class MarketIndex:
    """One city's index: half-year centres (fractional years), log levels, rows, drift."""

    periods: tuple[float, ...]
    levels: tuple[float, ...]
    rows: tuple[int, ...]
    drift: float
    trend: float = 0.0  # log price per year at the latest data (0: none measured)
    latest: float | None = None  # the latest day of data (fractional years)

    @property
    def first(self) -> float:
        return self.periods[0]

    @property
    def last(self) -> float:
        return self.periods[-1]

    def anchor(self, period: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each valuation period: the period to predict at, the log shift from there to
        the valuation period along the index, and the years to the nearest observed
        half-year. Inside an observed half-year the model prices the date itself (shift 0,
        gap 0); outside, it prices the nearest observed half-year's centre and moves along
        the index."""
        period = np.asarray(period, dtype=float)
        p = np.asarray(self.periods)
        lv = np.asarray(self.levels)
        nearest = np.abs(period[:, None] - p[None, :]).argmin(axis=1)
        gap = np.maximum(np.abs(period - p[nearest]) - BUCKET_YEARS / 2, 0.0)
        inside = gap == 0
        at = np.where(inside, period, p[nearest])
        shift = np.where(inside, 0.0, np.interp(period, p, lv) - lv[nearest])
        if self.latest is not None:
            # Past the latest data: priced at that day, then the damped trend.
            past = period >= self.latest
            at = np.where(past, self.latest, at)
            shift = np.where(past, self.extrapolated(period), shift)
        return at, shift, gap

    def extrapolated(self, period: np.ndarray) -> np.ndarray:
        """The damped trend's log shift from the latest data to ``period`` (0 before it)."""
        period = np.asarray(period, dtype=float)
        if self.latest is None:
            return np.zeros_like(period)
        ahead = np.maximum(period - self.latest, 0.0)
        damped = self.trend * DAMPING_YEARS * (1 - np.exp(-ahead / DAMPING_YEARS))
        return damped

    def level(self, period: float) -> float:
        """The index's log level at ``period`` (the damped trend past the latest data)."""
        if self.latest is not None and period >= self.latest:
            base = float(np.interp(self.latest, self.periods, self.levels))
            return base + float(self.extrapolated(np.array([period]))[0])
        return float(np.interp(period, self.periods, self.levels))

    def widen(
        self,
        half_width: np.ndarray,
        coverage: float,
        gap: np.ndarray,
        shift: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """A calibrated half-width (log units) widened for ``gap`` years of unseen market and
        an extrapolated ``shift`` (as uncertain as it is large)."""
        extra2 = (_Z[coverage] * self.drift) ** 2 * gap + (_Z[coverage] * np.asarray(shift)) ** 2
        return np.sqrt(np.asarray(half_width) ** 2 + extra2)

    def table(self) -> list[dict[str, Any]]:
        """The index as rows for a model card or a chart: 100 = the latest half-year."""
        base = self.levels[-1]
        return [
            {
                "period": round(p, 3),
                "from": str(_day(p - BUCKET_YEARS / 2)),
                "index": round(100 * float(np.exp(lv - base)), 1),
                "rows": n,
            }
            for p, lv, n in zip(self.periods, self.levels, self.rows, strict=True)
        ]

    @classmethod
    def flat(cls, period: float, rows: int) -> MarketIndex:
        """A one-point index (a model trained before indexes, or a city with one period)."""
        return cls((period,), (0.0,), (rows,), MIN_DRIFT)


def fit_market_index(
    pipeline: Any,
    data: pd.DataFrame,
    random_state: int = 0,
) -> dict:
    """city → :class:`MarketIndex`, from the fitted ``pipeline`` and its training rows."""
    out = {}
    for city, g in data.groupby("city"):
        bucket = np.floor(g["period"].to_numpy(float) / BUCKET_YEARS) * BUCKET_YEARS
        counts = pd.Series(bucket).value_counts().sort_index()
        kept = counts[counts >= MIN_ROWS]
        if kept.empty:
            kept = counts.tail(1)
        basket = g.sample(n=min(len(g), BASKET_ROWS), random_state=random_state)
        centres = kept.index.to_numpy(float) + BUCKET_YEARS / 2
        batch = pd.concat([basket.assign(period=c) for c in centres], ignore_index=True)
        predicted = pipeline.predict(batch).reshape(len(centres), len(basket))
        levels = predicted.mean(axis=1)
        steps = np.diff(levels) / np.sqrt(np.diff(centres))
        drift = max(float(np.sqrt(np.mean(steps**2))) if len(steps) else 0.0, MIN_DRIFT)
        latest = float(g["period"].max())
        out[city] = MarketIndex(
            tuple(float(c) for c in centres),
            tuple(float(v) for v in levels),
            tuple(int(n) for n in kept.to_numpy()),
            drift,
            recent_trend(pipeline, basket, g["period"].to_numpy(float), latest),
            latest,
        )
    return out


def recent_trend(pipeline: Any, basket: pd.DataFrame, periods: np.ndarray, latest: float) -> float:
    """The model's trend (log price per year) over the last year of a city's data: the basket
    priced every ``TREND_STEP`` years back from the latest day, where rows were seen around
    that time, and a least-squares line through those levels (0 with fewer than 3 points)."""
    points = latest - TREND_STEP * np.arange(int(TREND_WINDOW / TREND_STEP) + 1)
    seen = [
        t
        for t in points
        if np.sum(np.abs(periods - t) <= TREND_STEP / 2) >= MIN_ROWS or t == latest
    ]
    if len(seen) < 3:
        return 0.0
    batch = pd.concat([basket.assign(period=t) for t in seen], ignore_index=True)
    levels = pipeline.predict(batch).reshape(len(seen), len(basket)).mean(axis=1)
    slope = float(np.polyfit(np.asarray(seen), levels, 1)[0])
    return float(np.clip(slope, -MAX_TREND, MAX_TREND))
