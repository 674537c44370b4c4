"""Who you are (``GET /api/me``), a new token for yourself (``POST /api/me/token``), and the
courts (public: lots are filtered by court code)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app import queries
from app.deps import ClockDep, CurrentUser, SessionDep, SettingsDep, WriterSessionDep
from app.schemas import BidderCreated, CourtView, MeView
from app.security import NO_STORE
from auction import auth
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


@router.post("/me/token", response_model=BidderCreated)
def rotate_token(
    user: CurrentUser,
    response: Response,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
) -> BidderCreated:
    """A new token, shown once; the one used for this request, every other token of yours and
    your web sessions end now (use it when a token may have leaked)."""
    token = auth.rotate_token(session, user.id, clock.now(), settings.api_token_days)
    session.commit()
    response.headers.update(NO_STORE)
    return BidderCreated(token=token)


@router.get("/courts", response_model=list[CourtView])
def courts(session: SessionDep) -> list[CourtView]:
    """Every court by code and name (filter lots with ``GET /api/lots?court=CODE``)."""
    return queries.list_courts(session)
