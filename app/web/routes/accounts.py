"""Sign-in with a token (court users and bidders) into a web session, sign-out that ends it,
bidder self-registration.

The cookie holds a session key, never the API token: the session expires
(``FAPAI_SESSION_HOURS``), sign-out ends it on the server, ``fapai users revoke`` ends all of
a user's. Every form post here, like every page form, passes the same-origin check of
:mod:`app.security` (login CSRF included).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import (
    SESSION_COOKIE,
    ClockDep,
    PageUser,
    SettingsDep,
    WriterSessionDep,
)
from app.security import NO_STORE, limit, safe_next
from app.web.forms import FormError, bidder_form, explain
from app.web.templating import render
from auction.auth import close_session, open_session, register_bidder_account, user_for_token
from fapai.errors import FapaiError
from fapai.settings import Settings

router = APIRouter()


def _with_session(request: Request, response: Response, key: str, settings: Settings) -> Response:
    """The session key in a cookie scripts cannot read (httponly), not sent with other sites'
    form posts (SameSite=Lax), only over HTTPS when the site is served over HTTPS; it lasts
    as long as the session."""
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request, user: PageUser, next: str = "/") -> HTMLResponse:
    return render(request, "signin.html", user, nav="signin", next=safe_next(next))


@router.post("/signin", response_class=HTMLResponse)
def signin(
    request: Request,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    token: str = Form("", max_length=200),
    next: str = Form("/", max_length=2000),
) -> Response:
    """登录: the token printed by ``fapai users add`` or shown at registration opens a web
    session."""
    limit(request, "signin", settings.rate_limit_signin)
    now = clock.now()
    user = user_for_token(session, token.strip(), now) if token.strip() else None
    if user is None:
        return render(
            request,
            "signin.html",
            None,
            status_code=401,
            nav="signin",
            next=safe_next(next),
            error="令牌无效：请检查是否完整复制（区分大小写），或令牌已过期、已被吊销。",
        )
    key = open_session(session, user, now, settings.session_hours)
    session.commit()
    target = safe_next(next)
    glue = "&" if "?" in target else "?"
    redirect = RedirectResponse(f"{target}{glue}done=signed_in", status_code=303)
    return _with_session(request, redirect, key, settings)


@router.post("/signout")
def signout(request: Request, session: WriterSessionDep, clock: ClockDep) -> Response:
    """退出: the session ends on the server too (a copied cookie no longer signs in)."""
    key = request.cookies.get(SESSION_COOKIE)
    if key:
        close_session(session, key, clock.now())
        session.commit()
    response = RedirectResponse("/?done=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/bidders/new", response_class=HTMLResponse)
def register_form(request: Request, user: PageUser, next: str = "/") -> HTMLResponse:
    return render(request, "register.html", user, nav="register", form={}, next=safe_next(next))


@router.post("/bidders/new", response_class=HTMLResponse)
def register(
    request: Request,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    name: str = Form(""),
    id_number: str = Form(""),
    phone: str = Form(""),
    next: str = Form("/", max_length=2000),
) -> Response:
    """竞买人注册: checked as ``POST /api/bidders`` checks it (the same schema and account
    rules); the answer does not reveal whether the ID number already has an account."""
    limit(request, "register", settings.rate_limit_register)
    form = {"name": name[:100], "id_number": id_number[:18], "phone": phone[:20]}
    now = clock.now()
    try:
        body = bidder_form(name, id_number, phone)
        user, token = register_bidder_account(
            session, body.name, body.id_number, body.phone, now, settings
        )
        key = (
            secrets.token_urlsafe(32)
            if user is None
            else open_session(session, user, now, settings.session_hours)
        )
        session.commit()
    except (FormError, FapaiError) as exc:
        session.rollback()
        return render(
            request,
            "register.html",
            None,
            status_code=exc.status_code if isinstance(exc, FapaiError) else 422,
            nav="register",
            form=form,
            next=safe_next(next),
            error=explain(exc) if isinstance(exc, FapaiError) else str(exc),
        )
    page = render(
        request,
        "register.html",
        None,
        status_code=201,
        nav="register",
        token=token,
        next=safe_next(next),
    )
    page.headers.update(NO_STORE)
    return _with_session(request, page, key, settings)
