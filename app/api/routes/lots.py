"""Lots: public search and detail; court publication, priority holders, relisting, reneging;
bidder registration. Routes parse, call the engine or a read model, and shape the answer.

Write routes commit before they return: FastAPI validates the response on the request thread
pool, and a transaction holding the lot lock must not wait for a pool thread (see
``app.deps.get_writer_session``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app import queries
from app.deps import (
    BidderUser,
    ClockDep,
    CourtUser,
    LotId,
    OwnLotId,
    SessionDep,
    SettingsDep,
    WriterSessionDep,
    court_of,
)
from app.publishing import publish_lot, relist_lot
from app.schemas import (
    CourtRegistrationView,
    LotCreate,
    LotSearch,
    LotSummary,
    LotView,
    Page,
    PriorityHolderCreate,
    PriorityHolderView,
    RegistrationCreate,
    RegistrationView,
    RelistRequest,
    RenegeRequest,
)
from auction import engine
from fapai.crypto import keys
from fapai.money import to_fen

router = APIRouter(tags=["lots"])


@router.get("/lots", response_model=Page[LotSummary])
def search_lots(
    session: SessionDep, clock: ClockDep, params: Annotated[LotSearch, Query()]
) -> Page[LotSummary]:
    """Search lots by status, place, type, current price, text and court; sorted and paged."""
    return queries.search_lots(session, params.to_query(), clock.now())


@router.get("/lots/{lot_id}", response_model=LotView)
def get_lot(lot_id: LotId, session: SessionDep, clock: ClockDep) -> LotView:
    """One lot: current price, bid count, round, status and end after extensions."""
    return queries.get_lot(session, lot_id, clock.now())


@router.post("/lots", response_model=LotView, status_code=201)
def create_lot(
    request: Request,
    body: LotCreate,
    user: CourtUser,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> LotView:
    """Publish a lot of your court (court). Refused with 422 naming the rule if any term
    breaks the law. The lot gets fapai's market estimate (``market``) once priced."""
    now = clock.now()
    data = body.to_data(user.id, court_of(session, user))
    lot = publish_lot(session, request.app.state, data, now, settings)
    view = queries.get_lot(session, lot.id, now)
    session.commit()
    return view


@router.post("/lots/{lot_id}/priority-holders", response_model=PriorityHolderView, status_code=201)
def add_priority_holder(
    lot_id: OwnLotId,
    body: PriorityHolderCreate,
    session: WriterSessionDep,
    clock: ClockDep,
) -> PriorityHolderView:
    """Confirm a priority purchaser with a rank (court; 拍卖规定 第十九条)."""
    holder = engine.add_priority_holder(session, lot_id, body.bidder_id, body.rank, clock.now())
    view = PriorityHolderView(lot_id=holder.lot_id, bidder_id=holder.user_id, rank=holder.rank)
    session.commit()
    return view


@router.post("/lots/{lot_id}/relist", response_model=LotView)
def relist(
    request: Request,
    lot_id: OwnLotId,
    body: RelistRequest,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> LotView:
    """Open the next round (court): after a 流拍 a 2nd auction, then a 变卖 (deposit = the whole
    变卖 price); after a 悔拍 the same round again (重新拍卖, 第二十四条)."""
    now = clock.now()
    relist_lot(session, request.app.state, lot_id, body.to_terms(), now, settings)
    view = queries.get_lot(session, lot_id, now)
    session.commit()
    return view


@router.post("/lots/{lot_id}/renege", response_model=LotView)
def renege(
    lot_id: OwnLotId,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: RenegeRequest | None = None,
) -> LotView:
    """Record that the buyer reneged (悔拍): deposit forfeited (paying the ``costs`` first, then
    the re-auction's shortfall), buyer barred, lot re-auctioned in the same round (拍卖规定
    第二十四条). The closing loop records it by itself when the balance deadline passes."""
    now = clock.now()
    costs = to_fen(body.costs) if body is not None else 0
    engine.renege(session, lot_id, now, settings, costs)
    view = queries.get_lot(session, lot_id, now)
    session.commit()
    return view


@router.post("/lots/{lot_id}/registrations", response_model=RegistrationView, status_code=201)
def register(
    lot_id: LotId,
    user: BidderUser,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    body: RegistrationCreate | None = None,
) -> RegistrationView:
    """Register for the current round (bidder; 第十七、十八条). Where the notice states special
    conditions or purchase restrictions, send ``{"accept_conditions": true}`` (第十四条).
    With the court-account adapter the answer is ``pending`` with a payment reference: pay the
    deposit into the court's account quoting it; once the court confirms, the registration has
    its bidder code and you may bid."""
    accepted = body is not None and body.accept_conditions
    reg = engine.register_bidder(
        session, lot_id, user.id, clock.now(), settings, accepts_conditions=accepted
    )
    view = queries.registration_view(session, reg)
    session.commit()
    return view


@router.get("/lots/{lot_id}/registrations", response_model=list[CourtRegistrationView])
def list_registrations(
    lot_id: OwnLotId, session: SessionDep, settings: SettingsDep
) -> list[CourtRegistrationView]:
    """Who registered for your court's lot, with deposits and payment references (court)."""
    return queries.court_registrations(session, lot_id, keys(settings))
