"""Bids: the public bid record and placing a bid (bidder)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from app import queries
from app.deps import BidderUser, ClockDep, LotId, SessionDep, SettingsDep, WriterSessionDep
from app.schemas import BidCreate, BidReceipt, BidView
from app.security import limit_bid
from auction import engine
from fapai import metrics
from fapai.money import to_fen

router = APIRouter(tags=["bids"])


@router.get("/lots/{lot_id}/bids", response_model=list[BidView])
def list_bids(
    lot_id: LotId,
    session: SessionDep,
    limit: Annotated[int | None, Query(ge=1, le=10_000)] = None,
) -> list[BidView]:
    """The lot's bids, newest first, by bidder code (identities stay confidential)."""
    return queries.list_bids(session, lot_id, limit)


@router.post("/lots/{lot_id}/bids", response_model=BidReceipt, status_code=201)
def place_bid(
    request: Request,
    lot_id: LotId,
    body: BidCreate,
    user: BidderUser,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=100,
            description="Retrying with the same key returns the same bid, never a second one.",
        ),
    ] = None,
) -> BidReceipt:
    """Bid (bidder). 409 when bidding is closed or a concurrent bid got there first; 429 with
    Retry-After past the bidder's or the address's rate limit."""
    limit_bid(request, settings, user.id)
    with metrics.counting_bid():
        bid = engine.place_bid(
            session, lot_id, user.id, to_fen(body.amount), clock.now(), settings, idempotency_key
        )
    receipt = queries.bid_receipt(session, bid)
    session.commit()
    return receipt
