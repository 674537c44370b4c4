"""fapai's market estimate on every lot: where an auction lot meets the price and outcome models.

For each lot fapai can price honestly (residential, a city and district with market data, an
area), the lot page, ``GET /api/lots/{id}`` and the search show fapai's **independent** market
estimate with its 80%/90% interval, the start price as a share of it (起拍价 ÷ 市场估价) and
the outcome model's expected final price at the lot's start price. It is never the legal
reference price (参考价规定 第十三条): every place that shows it says so. A lot fapai cannot
price gets the reason in a sentence instead of a number.

Priced with the one pricing path, the inquiry service's models
(:meth:`valuation.model.PriceModel.appraise`, the batch appraisal behind
``POST /api/appraisals``) and stored (:mod:`valuation.estimate_store`), in batch:

- when a lot is published or relisted (if the server has its models loaded; otherwise the
  server's sweep does it as soon as they are);
- when a model is promoted: ``fapai models promote`` (and ``train --promote``) re-price the
  stored estimates at once, and a running server's sweep (:func:`estimate_loop`) re-prices
  every estimate whose model versions are no longer the promoted ones;
- by ``fapai demo`` for the demo lots.

A lot published from an inquiry is described by the inquiry's subject (rooms, floors, year…),
the lot's own facts (city, district, area, type) taking precedence.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import State

from app.inquiry import InquiryService
from app.schemas import MarketEstimateView
from auction.store import Lot
from fapai.clock import Clock, to_display
from fapai.db import make_engine, migrate, session_factory, session_scope, writer_engine
from fapai.money import fen_to_yuan
from fapai.regions import normalize_city
from fapai.settings import Settings
from valuation.estimate_store import (
    EstimateRow,
    MarketEstimate,
    save_estimates,
    stale_condition,
)
from valuation.inquiry_store import Inquiry
from valuation.model import REFUSALS, PriceModel
from valuation.outcome import Lot as OutcomeLot
from valuation.outcome import OutcomeModel
from valuation.schema import PROPERTY_FIELDS

log = logging.getLogger(__name__)

LABEL = "fapai 市场估价（本平台独立估价，非法定参考价）"
NOTE = (
    "本估价由 fapai 价格模型依同城同区房源的市场数据独立估算，仅供竞买人参考；"
    "它不是法院确定的参考价（参考价规定 第十三条），也不是评估机构的评估价。"
    "区间为模型的 80%/90% 预测区间；预期成交价为拍卖结果模型按当前起拍价给出的成交条件下的预期。"
)
PENDING = "市场估价尚未计算：价格模型载入后即按批量计算（通常在标的发布后一分钟内）。"
NO_OUTCOME_CITY = "该市的法拍成交历史不足，不给出预期成交价。"
NO_OUTCOME_SALE = "变卖阶段不给出预期成交价：拍卖结果模型只学过一拍、二拍的成交。"
START_CHANGED = "起拍价已变更，预期成交价正按新的起拍价重新计算。"
FIELD_WORDS = {
    "city": "城市",
    "district": "区县",
    "bizcircle": "商圈",
    "area_m2": "建筑面积",
    "property_type": "标的类型",
    "as_of": "估价时点",
}
CHUNK = 2000  # lots priced per appraise call
RATIO_PLACES = Decimal("0.0001")


@dataclass
class Refreshed:
    """What one refresh did: lots priced, and the refused ones counted by reason."""

    priced: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    model_version: str = ""

    def count(self, rows: Sequence[EstimateRow]) -> None:
        self.priced += sum(r.estimate is not None for r in rows)
        self.refused.update(r.refused for r in rows if r.refused)

    def words(self) -> str:
        """One line for the CLI."""
        total = self.priced + sum(self.refused.values())
        if not total:
            return f"市场估价：均为最新（价格模型 {self.model_version}）"
        why = "，".join(f"{k} {n} 件" for k, n in self.refused.most_common())
        return (
            f"市场估价：已用价格模型 {self.model_version} 为 {total} 件拍品估价，"
            f"{self.priced} 件有估价"
            + (f"，{sum(self.refused.values())} 件无法估价（{why}）" if why else "")
        )


# --- what a lot is, for the price model ----------------------------------------------------


def _descriptions(session: Session, lots: Sequence[Lot]) -> dict[int, dict[str, Any]]:
    """The subject description of each lot's inquiry, by inquiry id."""
    ids = {lot.inquiry_id for lot in lots if lot.inquiry_id is not None}
    if not ids:
        return {}
    rows = session.execute(select(Inquiry.id, Inquiry.report).where(Inquiry.id.in_(ids)))
    return {i: json.loads(report).get("description") or {} for i, report in rows}


def lot_subject(lot: Lot, description: dict[str, Any] | None) -> dict[str, Any]:
    """The property to price: the inquiry's description (if the lot came from one) with the
    lot's own city, district, area and type over it."""
    subject = {k: (description or {}).get(k) for k in PROPERTY_FIELDS}
    own = {"city": lot.city, "district": lot.district, "area_m2": lot.area_m2}
    subject.update({k: v for k, v in own.items() if v not in (None, "")})
    subject["property_type"] = lot.property_type
    return subject


def refusal_sentence(code: str, subject: dict[str, Any], model: PriceModel) -> str:
    """Why fapai gives no estimate for this lot, in a sentence (never a machine code)."""
    field_name, _, why = code.partition(":")
    words = REFUSALS.get(why, "取值不合规")
    detail = FIELD_WORDS.get(field_name, "")
    if why == "no_market_data":
        place = "".join(str(subject.get(k) or "") for k in ("city", "district"))
        if field_name == "city":
            place = str(subject.get("city") or "")
        known = "、".join(sorted(model.coverage))
        detail = f"{place}；目前有数据的城市：{known}"
    elif why == "area_out_of_data":
        city = subject.get("city")
        lo, hi = model.coverage.get(str(city), {}).get("area_m2", (None, None))
        detail = f"{subject.get('area_m2')} m²，{city}的数据为 {lo}–{hi} m²"
    elif why in ("bad_value", "required") and subject.get(field_name) not in (None, ""):
        detail = f"{detail}：{subject.get(field_name)}"
    elif why == "not_residential":
        detail = "其他类型的标的请以法院的参考价或评估价为准"
    return f"fapai 不对本标的给出市场估价：{words}" + (f"（{detail}）" if detail else "") + "。"


# --- pricing and storing -------------------------------------------------------------------


def price_lots(
    session: Session, lots: Sequence[Lot], service: InquiryService, now: datetime
) -> list[EstimateRow]:
    """Each lot's estimate at today's date (where the court sits), from one appraise of all of
    them and one predict of the outcome model for the priced ones."""
    model: PriceModel = service.price_model()
    outcome: OutcomeModel = service.outcome_model()
    as_of = to_display(now, service.settings.display_timezone).date()
    descriptions = _descriptions(session, lots)
    subjects = [lot_subject(lot, descriptions.get(lot.inquiry_id or 0)) for lot in lots]
    priced = model.appraise(pd.DataFrame(subjects), as_of)
    base = {
        "computed_at": now,
        "as_of": as_of,
        "model_version": model.version,
        "outcome_model_version": outcome.version,
    }
    rows: list[EstimateRow] = []
    for lot, subject, p in zip(lots, subjects, priced.itertuples(index=False), strict=True):
        common = {**base, "lot_id": lot.id, "start_price": lot.start_price}
        if isinstance(p.refused, str):
            rows.append(
                EstimateRow(
                    **common, refused=p.refused, reason=refusal_sentence(p.refused, subject, model)
                )
            )
            continue
        fen = {
            k: int(getattr(p, k)) * 100 for k in ("estimate", "low80", "high80", "low90", "high90")
        }
        rows.append(EstimateRow(**common, **fen))
    # The outcome model, for the priced lots of cities with enough sold history, in an
    # auction round (it learned rounds 1 and 2; a 变卖 sells at a price fixed beforehand).
    known = [
        i
        for i, r in enumerate(rows)
        if r.estimate is not None
        and lots[i].round != "sale"
        and outcome.knows_city(_canonical_city(subjects[i]["city"]))
    ]
    finals = outcome.expected_finals(
        [
            OutcomeLot(
                city=_canonical_city(subjects[i]["city"]),
                reference_fen=lots[i].reference_price,
                when=as_of,
                area_m2=subjects[i]["area_m2"],
                district=subjects[i]["district"],
            )
            for i in known
        ],
        [lots[i].start_price for i in known],
    )
    for i, final in zip(known, finals, strict=True):
        rows[i] = replace(rows[i], expected_final=final)
    for i, r in enumerate(rows):
        if r.estimate is not None and r.expected_final is None:
            rows[i] = replace(
                r, reason=NO_OUTCOME_SALE if lots[i].round == "sale" else NO_OUTCOME_CITY
            )
    return rows


def _canonical_city(city: Any) -> str:
    return normalize_city(str(city or "")) or str(city or "")


def stale_lot_ids(session: Session, model_version: str, outcome_version: str) -> list[int]:
    """Lots with no stored estimate, one by other models than these, or one computed for
    another start price (a new round)."""
    query = (
        select(Lot.id)
        .outerjoin(MarketEstimate, MarketEstimate.lot_id == Lot.id)
        .where(
            or_(
                MarketEstimate.id.is_(None),
                stale_condition(model_version, outcome_version),
                MarketEstimate.start_price != Lot.start_price,
            )
        )
        .order_by(Lot.id)
    )
    return list(session.scalars(query))


def _lots(session: Session, lot_ids: Sequence[int]) -> list[Lot]:
    return list(session.scalars(select(Lot).where(Lot.id.in_(lot_ids)).order_by(Lot.id)))


def _chunks(lot_ids: Sequence[int]) -> list[Sequence[int]]:
    return [lot_ids[i : i + CHUNK] for i in range(0, len(lot_ids), CHUNK)]


def refresh_estimates(
    session: Session, service: InquiryService, now: datetime, lot_ids: Sequence[int]
) -> Refreshed:
    """Price and store the estimates of ``lot_ids`` in the caller's transaction (a lot just
    published or relisted)."""
    done = Refreshed(model_version=service.price_model().version)
    for chunk in _chunks(lot_ids):
        rows = price_lots(session, _lots(session, chunk), service, now)
        save_estimates(session, rows)
        done.count(rows)
    return done


def refresh_stale(
    reader: sessionmaker[Session],
    writer: sessionmaker[Session],
    service: InquiryService,
    now: datetime,
) -> Refreshed:
    """Price every lot whose stored estimate is missing or stale with the promoted models:
    chunk by chunk, each priced outside any write transaction and stored in a short one of
    its own (bids are never kept waiting for a whole re-pricing)."""
    model, outcome = service.price_model(), service.outcome_model()
    with reader() as session:
        stale = stale_lot_ids(session, model.version, outcome.version)
    done = Refreshed(model_version=model.version)
    for chunk in _chunks(stale):
        with reader() as session:
            rows = price_lots(session, _lots(session, chunk), service, now)
        with session_scope(writer) as session:
            save_estimates(session, rows)
        done.count(rows)
    return done


def refresh_database(settings: Settings, clock: Clock) -> str:
    """For the CLI (after a promotion, after ``fapai demo``): re-price every missing or stale
    estimate in the database with the promoted models; what it did, in a line. A failure is
    said, never raised: the models are promoted either way, and a running server's sweep
    re-prices the estimates."""
    try:
        migrate(settings.database_url)
        service = InquiryService.load(settings, clock)
        engine = make_engine(settings.database_url)
        try:
            reader, writer = session_factory(engine), session_factory(writer_engine(engine))
            return refresh_stale(reader, writer, service, clock.now()).words()
        finally:
            engine.dispose()
    except Exception as exc:  # noqa: BLE001 - said in words; the server's sweep retries
        return (
            f"市场估价未能重新计算（{type(exc).__name__}：{exc}）；运行中的服务会在一分钟内重新计算"
        )


def loaded_service(state: State) -> InquiryService | None:
    """The app's inquiry service if its models are already loaded (never loads them: a
    request must not wait for a model to load or train)."""
    return getattr(state, "inquiry_service", None)


def estimate_published(session: Session, state: State, lot_id: int, now: datetime) -> None:
    """Price a lot just published or relisted, inside the caller's transaction, when the
    server has its models loaded; otherwise the sweep does it once they are. A failure to
    price never fails the publication (it is logged; the sweep tries again)."""
    service = loaded_service(state)
    if service is None:
        return
    try:
        with session.begin_nested():
            refresh_estimates(session, service, now, [lot_id])
    except Exception:
        log.exception("could not price lot %s now; the sweep will", lot_id)


def sweep_once(state: State) -> Refreshed:
    """The server's pass: re-price every stale estimate with the promoted models, if loaded
    (the registry switches to a newly promoted version here)."""
    service = loaded_service(state)
    if service is None:
        return Refreshed()
    done = refresh_stale(
        state.session_factory, state.writer_session_factory, service, state.clock.now()
    )
    if done.priced or done.refused:
        log.info(done.words())
    return done


async def estimate_loop(state: State, settings: Settings) -> None:
    """The server's sweep: every ``market_estimate_interval_seconds`` (0: never), re-price
    what is stale (new lots, a promoted model, a new round's start price). Until the models
    are loaded it looks every second, so the first sweep follows the warm-up at once. A
    failed pass is logged and retried."""
    if not settings.market_estimate_interval_seconds:
        return
    while loaded_service(state) is None:
        await asyncio.sleep(min(1.0, settings.market_estimate_interval_seconds))
    while True:
        try:
            await asyncio.to_thread(sweep_once, state)
        except Exception:
            log.exception("market estimate sweep failed; retrying")
        await asyncio.sleep(settings.market_estimate_interval_seconds)


# --- what a person reads -------------------------------------------------------------------


def market_ratio(start_fen: int, estimate_fen: int) -> Decimal:
    """起拍价 ÷ 市场估价, to 4 places."""
    return (Decimal(start_fen) / Decimal(estimate_fen)).quantize(RATIO_PLACES, ROUND_HALF_UP)


def market_view(row: MarketEstimate | None, start_fen: int) -> MarketEstimateView:
    """The lot's estimate as the API and the page show it, against its current start price."""
    if row is None:
        return MarketEstimateView(status="pending", label=LABEL, note=NOTE, reason=PENDING)
    common = {
        "label": LABEL,
        "note": NOTE,
        "as_of": row.as_of,
        "computed_at": row.computed_at,
        "model_version": row.model_version,
        "outcome_model_version": row.outcome_model_version,
    }
    if row.estimate is None:
        return MarketEstimateView(
            status="refused", refused=row.refused, reason=row.reason, **common
        )
    assert row.low80 is not None and row.high80 is not None
    assert row.low90 is not None and row.high90 is not None
    same_start = row.start_price == start_fen
    final = row.expected_final if same_start else None
    reason = row.reason if same_start else START_CHANGED
    return MarketEstimateView(
        status="priced",
        estimate=fen_to_yuan(row.estimate),
        interval={
            "80": (fen_to_yuan(row.low80), fen_to_yuan(row.high80)),
            "90": (fen_to_yuan(row.low90), fen_to_yuan(row.high90)),
        },
        market_ratio=market_ratio(start_fen, row.estimate),
        expected_final_price=None if final is None else fen_to_yuan(final),
        reason=reason,
        **common,
    )
