"""Publishing a lot from the app: the one place where an auction lot meets a price inquiry.

The auction room never reads inquiries (rooms are siblings); a lot published from an inquiry
gets the inquiry's reference price and validity here, then goes to :func:`auction.engine.create_lot`
like any other, and gets fapai's market estimate (:mod:`app.market`). Shared by the API route
and the web form (:func:`publish_lot`, and :func:`relist_lot` for a lot's next round).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy.orm import Session
from starlette.datastructures import State

from app.market import estimate_published
from auction import engine
from auction.engine import LotData
from auction.store import Lot
from fapai.errors import RuleViolation
from fapai.law import REFERENCE_ART_13
from fapai.settings import Settings
from valuation.inquiry_store import get_inquiry_reference


def with_inquiry_reference(session: Session, data: LotData) -> LotData:
    """``data`` with the reference price, method and validity of its ``inquiry_id``, an inquiry
    of the lot's own court (unchanged when it names none)."""
    if data.inquiry_id is None:
        return data
    found = get_inquiry_reference(session, data.inquiry_id, data.court_id)
    if found is None:
        raise RuleViolation("inquiry_id", f"no price inquiry {data.inquiry_id}")
    price, valid_until = found
    if price is None:
        raise RuleViolation(
            "inquiry_id",
            f"询价报告 {data.inquiry_id} 尚无法定参考价（名单内询价平台的结果尚未录入），"
            "不能据此发布拍卖",
            REFERENCE_ART_13,
        )
    return dataclasses.replace(
        data, reference_price=price, reference_method="inquiry", reference_valid_until=valid_until
    )


def publish_lot(
    session: Session, state: State, data: LotData, now: datetime, settings: Settings
) -> Lot:
    """Publish ``data`` (with its inquiry's reference price, if it names one) through the
    engine, and price it for its market estimate when the server's models are loaded (the
    server's sweep does it otherwise). The caller owns the transaction."""
    lot = engine.create_lot(session, with_inquiry_reference(session, data), now, settings)
    estimate_published(session, state, lot.id, now)
    return lot


def relist_lot(
    session: Session,
    state: State,
    lot_id: int,
    terms: engine.RelistTerms,
    now: datetime,
    settings: Settings,
) -> None:
    """Open the lot's next round through the engine and price it again at its new start
    price (as :func:`publish_lot`). The caller owns the transaction."""
    engine.relist(session, lot_id, terms, now, settings)
    estimate_published(session, state, lot_id, now)
