"""Dependencies of the API: sessions, settings, the injected clock, the current user."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from auction.auth import user_for_token
from auction.errors import Forbidden, Unauthorized
from auction.store import User
from fapai.clock import Clock
from fapai.settings import Settings


def _session(factory: sessionmaker[Session]) -> Iterator[Session]:
    # Commit when the route returns, before the response is sent (scope="function"), so a
    # client never sees a success that was not stored; roll back on any error.
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def get_session(request: Request) -> Iterator[Session]:
    yield from _session(request.app.state.session_factory)


def get_writer_session(request: Request) -> Iterator[Session]:
    """A session whose transaction takes the write lock at BEGIN on SQLite (one writer)."""
    yield from _session(request.app.state.writer_session_factory)


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
WriterSessionDep = Annotated[Session, Depends(get_writer_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]

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
        raise Unauthorized("a bearer token is required (Authorization: Bearer <token>)")
    with request.app.state.session_factory() as session:
        user = user_for_token(session, credentials.credentials)
    if user is None:
        raise Unauthorized("the bearer token is not valid")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(role: str) -> Callable[[User], User]:
    """A dependency admitting only users of ``role`` ("court" or "bidder")."""

    def dependency(user: CurrentUser) -> User:
        if user.role != role:
            raise Forbidden(f"this needs a {role} account; yours is a {user.role} account")
        return user

    return dependency


CourtUser = Annotated[User, Depends(require_role("court"))]
BidderUser = Annotated[User, Depends(require_role("bidder"))]
