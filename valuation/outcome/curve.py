"""The served outcome model: the curve over the lawful start range and the start it proposes.

Round 1 may start from 70% of the reference (拍卖规定 第十条), round 2 from 80% of the previous
start (a cut of at most 20%, 拍卖规定 第二十六条), both up to :data:`MAX_START_RATIO`; the
proposal is the start with the highest expected recovery (chance of sale × expected final).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from fapai.law import (
    min_reauction_start_price,
    min_start_price,
    whole_yuan_down,
    whole_yuan_up,
)
from fapai.money import fen_to_yuan, json_number, ratio_of, to_fen
from fapai.settings import Settings
from valuation import serving
from valuation.outcome.chance import MIN_OWN_ROUNDS, PRIOR_STRENGTH, ChanceOfSale, SalePrior
from valuation.outcome.records import Lot
from valuation.outcome.regressor import feature_columns

# The history has no first-round start above the reference price worth learning from (18 of
# 16,140 rows): a higher start is lawful but outside the data, so it is not proposed.
MAX_START_RATIO = Decimal("1.00")
GRID_STEP = Decimal("0.01")
# Sold lots of the lot's own city needed before the expected-price curve is trusted for it.
MIN_CITY_ROWS = 50

FALLBACK_PRIOR = (
    "成交概率按先验估计：由历史成交记录中一拍、二拍成交的比例，结合浙江法院网拍两拍之内约九成"
    "成交的公开数据推算"
)
FALLBACK_FLOOR = (
    "建议起拍价取法定最低：一拍为参考价的 70%（拍卖规定 第十条），二拍为前次起拍价的 80%"
    "（拍卖规定 第二十六条）"
)
# How the fallback note on the chance of sale begins (the report shows :func:`chance_basis`
# in its place).
PRIOR_NOTE = "有成交也有流拍的已结束拍卖"
# Who observed the finished rounds the chance of sale learns from, in words.
ORIGIN_WORDS = {"own": "本平台已结束的拍卖", "crawled": "各司法拍卖平台公开的拍卖结果"}


def _rounds_words(rounds: int, sold: int) -> str:
    return f"{rounds} 场（成交 {sold}、流拍 {rounds - sold}）"


def chance_basis(chance_source: str, history: Mapping[str, int]) -> str:
    """Which data the chance of sale was learned from, or why it is the prior, in Chinese
    (from a curve's ``chance_source`` and ``history``, as stored in a report)."""
    total, sold = history.get("own_finished_rounds", 0), history.get("own_sold_rounds", 0)
    parts = [
        f"{words} {_rounds_words(history[f'rounds_{o}'], history.get(f'sold_{o}', 0))}"
        for o, words in ORIGIN_WORDS.items()
        if history.get(f"rounds_{o}")
    ] or ([f"已结束的拍卖 {_rounds_words(total, sold)}"] if total else [])
    seen = "、".join(parts)
    if chance_source != "prior":
        return (
            f"成交概率由有成交也有流拍的已结束拍卖学得：{seen}；按起拍价与参考价之比分段，"
            f"在先验估计上修正（每段先验的权重相当于 {PRIOR_STRENGTH:g} 场拍卖）。"
        )
    if not total:
        why = "尚无有成交也有流拍的已结束拍卖可供学习"
    elif 0 < sold < total:
        why = f"有成交也有流拍的已结束拍卖仅 {seen}，需至少 {MIN_OWN_ROUNDS} 场"
    else:
        why = f"已结束的拍卖 {seen}，{'均为成交' if sold else '均为流拍'}，无从学习成交与流拍之别"
    return (
        f"成交概率为先验估计，未从数据学得：{why}。{FALLBACK_PRIOR}。"
        "随本平台及抓取的拍卖结果积累，重新训练成交预测模型（fapai train-outcome）即可学得。"
    )


@dataclass(frozen=True, slots=True)
class CurvePoint:
    start_ratio: Decimal
    start_price: Decimal  # yuan
    chance_of_sale: Decimal  # 0..1, 3 decimals
    expected_final_price: Decimal  # yuan, given a sale
    expected_recovery: Decimal  # yuan = chance × expected final

    def to_json(self) -> dict[str, Any]:
        return {k: json_number(getattr(self, k)) for k in _POINT_FIELDS}


_POINT_FIELDS = tuple(f.name for f in fields(CurvePoint))


@dataclass(frozen=True, slots=True)
class OutcomeCurve:
    """The curve over the lawful range and the start price it proposes."""

    round_no: int
    lawful_min: Decimal  # yuan
    lawful_max: Decimal  # yuan
    points: tuple[CurvePoint, ...]
    proposed: CurvePoint
    chance_source: str  # "prior" or "prior + own results"
    fallback: tuple[str, ...]  # the fallback policies in force, with why; empty if none
    history: dict[str, int] = field(default_factory=dict)

    @property
    def chance_words(self) -> str:
        """Which data the chance of sale was learned from (or why not), in Chinese."""
        return chance_basis(self.chance_source, self.history)

    def to_json(self) -> dict[str, Any]:
        return {
            "round": self.round_no,
            "lawful_range": [json_number(self.lawful_min), json_number(self.lawful_max)],
            "proposed": self.proposed.to_json(),
            "chance_source": self.chance_source,
            "chance_basis": self.chance_words,
            "fallback": list(self.fallback),
            "history": dict(self.history),
            "curve": [p.to_json() for p in self.points],
        }


@dataclass
class OutcomeModel:
    """One trained outcome model version, ready to serve (in memory, read-only)."""

    version: str
    created_at: datetime
    pipeline: Pipeline
    chance: ChanceOfSale
    prior: SalePrior
    city_rows: dict[str, int]
    card: dict[str, Any]

    # -- the registry's artifact ------------------------------------------------------------

    def artifact(self) -> dict[str, Any]:
        """What the registry saves: the Pipeline and the chance curve as plain values."""
        return {
            "pipeline": self.pipeline,
            "chance": asdict(self.chance),
            "prior": asdict(self.prior),
            "city_rows": dict(self.city_rows),
        }

    @classmethod
    def from_artifact(cls, artifact: Mapping[str, Any], card: Mapping[str, Any]) -> OutcomeModel:
        chance = dict(artifact["chance"])
        return cls(
            version=card["version"],
            created_at=datetime.fromisoformat(card["created_at"]),
            pipeline=artifact["pipeline"],
            chance=ChanceOfSale(
                **{**chance, "ratios": tuple(chance["ratios"]), "chances": tuple(chance["chances"])}
            ),
            prior=SalePrior(**artifact["prior"]),
            city_rows=dict(artifact["city_rows"]),
            card=dict(card),
        )

    # -- prediction -------------------------------------------------------------------------

    def curve(
        self,
        lot: Lot,
        settings: Settings,
        round_no: int = 1,
        previous_start_fen: int | None = None,
    ) -> OutcomeCurve:
        """Chance, expected final and expected recovery over the lawful start range."""
        lo_fen, hi_fen = lawful_start_range(
            lot.reference_fen, settings, round_no, previous_start_fen
        )
        starts = _grid(lot.reference_fen, lo_fen, hi_fen)
        return self._curve(lot, round_no, lo_fen, hi_fen, self._final_ratios(lot, starts))

    def curves(self, lot: Lot, settings: Settings) -> tuple[OutcomeCurve, OutcomeCurve]:
        """Round 1's curve and, should it fail, the re-auction's from round 1's proposal
        (拍卖规定 第二十六条): the same as two :meth:`curve` calls, with one predict for every
        start either may need (round 2's depends on which start round 1 proposes)."""
        lo1, hi1 = lawful_start_range(lot.reference_fen, settings)
        first = _grid(lot.reference_fen, lo1, hi1)
        seconds = {
            p: _grid(lot.reference_fen, *lawful_start_range(lot.reference_fen, settings, 2, p))
            for p in first
        }
        finals = self._final_ratios(
            lot, sorted({*first, *(s for g in seconds.values() for s in g)})
        )
        round1 = self._curve(lot, 1, lo1, hi1, finals)
        proposed = to_fen(round1.proposed.start_price)
        lo2, hi2 = lawful_start_range(lot.reference_fen, settings, 2, proposed)
        return round1, self._curve(lot, 2, lo2, hi2, finals)

    def _final_ratios(self, lot: Lot, starts: list[int]) -> dict[int, float]:
        """The regressor's expected final / reference at each start (fen), one predict."""
        finals = self._predict(lot.city, lot.when, lot.area_m2, lot.reference_fen, starts)
        return dict(zip(starts, finals.tolist(), strict=True))

    def _predict(
        self, city: Any, when: Any, area_m2: Any, reference_fen: Any, starts: Any
    ) -> np.ndarray:
        """Expected final / reference, one predict: each argument one value for every row or
        one per row."""
        n = len(starts)

        def rows(value: Any, dtype: Any = object) -> np.ndarray:
            if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
                return np.asarray(value, dtype=dtype)
            return np.full(n, value, dtype=dtype)

        sold_on = pd.to_datetime(when)
        columns = feature_columns(
            {
                "city": rows(city),
                "sold_on": rows(sold_on.to_datetime64(), None)
                if isinstance(sold_on, pd.Timestamp)
                else np.asarray(sold_on),
                "area_m2": rows(area_m2),
                "reference_fen": rows(reference_fen, None),
                "start_fen": np.asarray(starts),
            }
        )
        # The pipeline's fitted steps on arrays (:mod:`valuation.serving`): the same numbers as
        # ``self.pipeline.predict(features(frame))`` without its per-call overhead.
        return serving.predict(self.pipeline[-1], serving.transform(self.pipeline, columns))

    def knows_city(self, city: str) -> bool:
        """Whether the lot's city has enough sold history for the expected final price."""
        return self.city_rows.get(city, 0) >= MIN_CITY_ROWS

    def expected_finals(self, lots: Sequence[Lot], starts_fen: Sequence[int]) -> list[int]:
        """The expected final price (fen, given a sale) of each lot at its own start price,
        one predict for all: never below the start (拍卖规定 第二十条). Only meaningful where
        :meth:`knows_city`."""
        if not lots:
            return []
        ratios = self._predict(
            [lot.city for lot in lots],
            [lot.when for lot in lots],
            [lot.area_m2 for lot in lots],
            [lot.reference_fen for lot in lots],
            list(starts_fen),
        )
        return [
            _final_fen(lot.reference_fen, start, float(ratio))
            for lot, start, ratio in zip(lots, starts_fen, ratios, strict=True)
        ]

    def _curve(
        self, lot: Lot, round_no: int, lo_fen: int, hi_fen: int, finals: Mapping[int, float]
    ) -> OutcomeCurve:
        starts = _grid(lot.reference_fen, lo_fen, hi_fen)
        ratios = np.array([s / lot.reference_fen for s in starts])
        final_ratio = np.maximum(np.array([finals[s] for s in starts]), ratios)
        # The regressor is monotone within a city; the running maximum removes the ties a tree
        # can leave between grid points, so "never lower at a higher start" holds exactly.
        final_ratio = np.maximum.accumulate(final_ratio)
        chance = self.chance(ratios)
        points = tuple(
            _point(lot.reference_fen, start, float(c), float(f))
            for start, c, f in zip(starts, chance, final_ratio, strict=True)
        )
        fallback: list[str] = []
        if not self.chance.learned:
            fallback.append(
                f"{PRIOR_NOTE}仅 {self.chance.own_rounds} 场（需至少 "
                f"{MIN_OWN_ROUNDS} 场），{FALLBACK_PRIOR}"
            )
        city_n = self.city_rows.get(lot.city, 0)
        if city_n < MIN_CITY_ROWS:
            fallback.append(
                f"{lot.city}的成交记录仅 {city_n} 件（需至少 {MIN_CITY_ROWS} 件），{FALLBACK_FLOOR}"
            )
            proposed = points[0]
        else:
            # Highest expected recovery; on a tie the lower start (the likelier sale).
            proposed = max(points, key=lambda p: (p.expected_recovery, -p.start_price))
        return OutcomeCurve(
            round_no=round_no,
            lawful_min=fen_to_yuan(lo_fen),
            lawful_max=fen_to_yuan(hi_fen),
            points=points,
            proposed=proposed,
            chance_source="prior + own results" if self.chance.learned else "prior",
            fallback=tuple(fallback),
            history={
                "sold_lots": int(self.card["data"]["rows"]),
                "sold_lots_in_city": city_n,
                "own_finished_rounds": self.chance.own_rounds,
                "own_sold_rounds": self.chance.own_sold,
                **{
                    f"{key}_{origin}": n[key]
                    for origin, n in self.chance.by_origin.items()
                    for key in ("rounds", "sold")
                },
            },
        )


def lawful_start_range(
    reference_fen: int, settings: Settings, round_no: int = 1, previous_start_fen: int | None = None
) -> tuple[int, int]:
    """The lawful start prices (fen, inclusive) that the proposal may choose from, in whole
    yuan (:data:`fapai.law.START_PRICE_UNIT_FEN`: the low end rounded up, the high end down).

    Round 1: at least 70% of the reference (:func:`fapai.law.min_start_price`, 拍卖规定 第十条).
    Round 2: the previous start cut by at most 20% (:func:`fapai.law.min_reauction_start_price`,
    拍卖规定 第二十六条), and not above the previous start. Both capped at
    :data:`MAX_START_RATIO` × reference. A range with no whole yuan in it (a reference of a
    few yuan) keeps its exact ends.
    """
    cap = ratio_of(reference_fen, MAX_START_RATIO, rounding=ROUND_FLOOR)
    if round_no == 1:
        lo, hi = min_start_price(reference_fen, settings), cap
    elif round_no == 2:
        if previous_start_fen is None:
            raise ValueError("round 2 needs the previous round's start price")
        lo = min_reauction_start_price(previous_start_fen, settings)
        hi = min(previous_start_fen, cap)
    else:
        raise ValueError("the outcome model proposes start prices for rounds 1 and 2 only")
    if lo > hi:
        raise ValueError("no lawful start price in range")
    whole_lo, whole_hi = whole_yuan_up(lo), whole_yuan_down(hi)
    return (whole_lo, whole_hi) if whole_lo <= whole_hi else (lo, hi)


def _grid(reference_fen: int, lo_fen: int, hi_fen: int) -> list[int]:
    """Start prices: both ends of the lawful range and every whole percent of the reference
    between them, rounded up to whole yuan."""
    step = Decimal(reference_fen) * GRID_STEP
    k = math.ceil(Decimal(lo_fen) / step)
    inner: list[int] = []
    while (s := whole_yuan_up(int(k * step))) < hi_fen:
        if s > lo_fen and (not inner or s > inner[-1]):
            inner.append(s)
        k += 1
    return [lo_fen, *inner, hi_fen] if hi_fen > lo_fen else [lo_fen]


def _final_fen(reference_fen: int, start_fen: int, final_ratio: float) -> int:
    """Final / reference in fen, to the whole yuan (an expected price is an estimate: fen
    would be spurious precision), never below the start."""
    final = Decimal(reference_fen) * Decimal(repr(round(final_ratio, 6))) / 100
    return max(int(final.to_integral_value()) * 100, start_fen)


def _point(reference_fen: int, start_fen: int, chance: float, final_ratio: float) -> CurvePoint:
    final_fen = _final_fen(reference_fen, start_fen, final_ratio)
    c = Decimal(repr(round(chance, 3)))
    return CurvePoint(
        start_ratio=(Decimal(start_fen) / Decimal(reference_fen)).quantize(Decimal("0.0001")),
        start_price=fen_to_yuan(start_fen),
        chance_of_sale=c,
        expected_final_price=fen_to_yuan(final_fen),
        expected_recovery=fen_to_yuan(int((c * final_fen).to_integral_value())),
    )
