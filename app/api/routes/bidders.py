"""Bidders: self-registration with a checked resident ID (never returned in full)."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import ClockDep, WriterSessionDep
from app.schemas import BidderCreate, BidderCreated
from auction import auth

router = APIRouter(tags=["bidders"])


@router.post("/bidders", response_model=BidderCreated, status_code=201)
def create_bidder(body: BidderCreate, session: WriterSessionDep, clock: ClockDep) -> BidderCreated:
    """Open a bidder account; the token in the answer is shown once."""
    user, token = auth.register_bidder_account(
        session, body.name, body.id_number, body.phone, clock.now()
    )
    session.commit()
    return BidderCreated(bidder_id=user.id, token=token)
