"""Who you are (``GET /api/me``) and the courts (public: lots are filtered by court code)."""

from __future__ import annotations

from fastapi import APIRouter

from app import queries
from app.deps import CurrentUser, SessionDep
from app.schemas import CourtView, MeView
from auction.store import Court

router = APIRouter(tags=["accounts"])


@router.get("/me", response_model=MeView)
def me(user: CurrentUser, session: SessionDep) -> MeView:
    """Your account: id (a court names a bidder by it), name, role and court."""
    court = session.get(Court, user.court_id) if user.court_id is not None else None
    return MeView(
        id=user.id,
        name=user.name,
        role=user.role,
        court=None if court is None else CourtView(code=court.code, name=court.name),
    )


@router.get("/courts", response_model=list[CourtView])
def courts(session: SessionDep) -> list[CourtView]:
    """Every court by code and name (filter lots with ``GET /api/lots?court=CODE``)."""
    return queries.list_courts(session)
