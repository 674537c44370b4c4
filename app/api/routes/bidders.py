"""Bidders: self-registration with a checked resident ID (never returned in full)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.deps import ClockDep, SettingsDep, WriterSessionDep
from app.schemas import BidderCreate, BidderCreated
from app.security import NO_STORE, limit
from auction import auth

router = APIRouter(tags=["bidders"])


@router.post("/bidders", response_model=BidderCreated, status_code=201)
def create_bidder(
    request: Request,
    response: Response,
    body: BidderCreate,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> BidderCreated:
    """Open a bidder account; the token in the answer is shown once. The answer is the same
    whether or not the ID number already has an account (see ``BidderCreated``); 429 past
    the self-registration rate limit."""
    limit(request, "register", settings.rate_limit_register)
    _, token = auth.register_bidder_account(
        session, body.name, body.id_number, body.phone, clock.now(), settings
    )
    session.commit()
    response.headers.update(NO_STORE)
    return BidderCreated(token=token)
