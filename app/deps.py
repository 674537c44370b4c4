"""The app's one deps module: sessions, settings, the injected clock, the inquiry service, the
current user (bearer token for the API, sign-in cookie for the pages), and the small request
helpers routes share."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.inquiry import InquiryService, inquiry_service
from app.schemas import MAX_INT_ID
from auction.auth import user_for_session, user_for_token
from auction.engine import court_lot
from auction.store import Court, User
from fapai.clock import Clock
from fapai.db import session_scope
from fapai.errors import Forbidden, Unauthorized
from fapai.settings import Settings


def get_session(request: Request) -> Iterator[Session]:
    """A reading session; committed when the route returns (before the response is sent)."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


async def get_writer_session(request: Request) -> AsyncIterator[Session]:
    """A writing session: its transaction takes the write lock at BEGIN on SQLite, and the
    lot row lock on PostgreSQL. Committed (or rolled back) when the route returns, before the
    response is sent, so a client never sees a success that was not stored.

    A transaction holding the lock must never wait for a request-pool thread while every pool
    thread waits for that lock: that deadlock stalls all writers until the busy timeout. So the
    commit or rollback here runs on the app's own committer threads, and the API's write routes
    commit before returning (their response is validated on the pool); this commit then has
    nothing left to do. On SQLite, where there is one writer anyway, writers also queue on the
    app's ``writer_gate`` (first come, first served, in the event loop, holding no thread)
    rather than polling SQLite's busy handler.
    """
    state = request.app.state
    loop = asyncio.get_running_loop()
    gate: asyncio.Lock | None = state.writer_gate
    if gate is not None:
        await gate.acquire()
    try:
        session = state.writer_session_factory()
        try:
            yield session
            await loop.run_in_executor(state.committer, session.commit)
        except BaseException:
            await loop.run_in_executor(state.committer, session.rollback)
            raise
        finally:
            await loop.run_in_executor(state.committer, session.close)
    finally:
        if gate is not None:
            gate.release()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriterSessionDep = Annotated[Session, Depends(get_writer_session, scope="function")]


def get_inquiry_service(request: Request) -> InquiryService:
    """The app's one inquiry service, its models loaded once (see :func:`inquiry_service`)."""
    return inquiry_service(request.app.state)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
InquiryServiceDep = Annotated[InquiryService, Depends(get_inquiry_service)]

_bearer = HTTPBearer(
    auto_error=False, description="A token from `fapai users add` or POST /api/bidders"
)


def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """The user of the bearer token. Looked up in its own short transaction so a request
    holds one pooled connection at a time."""
    if credentials is None or not credentials.credentials:
        raise Unauthorized("须提供访问令牌（在请求头中以 Bearer 方式提供）")
    with request.app.state.session_factory() as session:
        user = user_for_token(session, credentials.credentials, request.app.state.clock.now())
    if user is None:
        raise Unauthorized("访问令牌无效（不存在、已过期或已吊销）")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


ACCOUNTS = {"court": "法院账号", "bidder": "竞买人账号"}


def require_role(role: str) -> Callable[[User], User]:
    """A dependency admitting only users of ``role`` ("court" or "bidder")."""

    def dependency(user: CurrentUser) -> User:
        if user.role != role:
            raise Forbidden(f"此操作须使用{ACCOUNTS[role]}；您使用的是{ACCOUNTS[user.role]}")
        return user

    return dependency


CourtUser = Annotated[User, Depends(require_role("court"))]
BidderUser = Annotated[User, Depends(require_role("bidder"))]

LotId = Annotated[int, Path(ge=1, le=MAX_INT_ID, description="The lot's id")]
RegistrationId = Annotated[int, Path(ge=1, le=MAX_INT_ID, description="The registration's id")]


def own_lot(request: Request, lot_id: LotId, user: CourtUser) -> int:
    """The path's lot id when the lot is the court user's own court's; 404 otherwise, as for
    a lot that does not exist (a court learns nothing of other courts' lots)."""
    with request.app.state.session_factory() as session:
        court_lot(session, lot_id, user.court_id)
    return lot_id


OwnLotId = Annotated[int, Depends(own_lot)]


def court_of(session: Session, user: User) -> Court:
    """The court of a court user."""
    court = session.get(Court, user.court_id) if user.court_id is not None else None
    if court is None:
        raise Forbidden("此法院账号未归属任何法院，请联系管理员（fapai users add --court）")
    return court


# --- the pages: the user of the sign-in cookie, ids and forms ------------------------------

SESSION_COOKIE = "fapai_session"


def page_user(request: Request) -> User | None:
    """The user of the live web session named by the sign-in cookie, or None. Looked up in
    its own short transaction, like the API's bearer-token check."""
    key = request.cookies.get(SESSION_COOKIE)
    if not key:
        return None
    with request.app.state.session_factory() as session:
        return user_for_session(session, key, request.app.state.clock.now())


PageUser = Annotated[User | None, Depends(page_user)]


def stored_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all: a URL with a larger number is a plain 404,
    never a database error."""
    return 1 <= value <= MAX_INT_ID


async def posted_form(request: Request) -> FormData:
    """The posted form, read once, for routes whose fields repeat (``getlist``)."""
    return await request.form()
