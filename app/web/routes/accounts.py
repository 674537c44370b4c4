"""Sign-in with a token (court users and bidders), sign-out, bidder self-registration."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import TOKEN_COOKIE, ClockDep, PageUser, SessionDep, WriterSessionDep
from app.web.forms import explain
from app.web.templating import render
from auction.auth import register_bidder_account, user_for_token
from fapai.errors import FapaiError

router = APIRouter()

COOKIE_DAYS = 30


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _signed_in(request: Request, response: Response, token: str) -> Response:
    """The token in a cookie scripts cannot read (httponly), not sent with other sites' form
    posts (SameSite=Lax), and only over HTTPS when the site is served over HTTPS."""
    response.set_cookie(
        TOKEN_COOKIE,
        token,
        max_age=COOKIE_DAYS * 86400,
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
    request: Request, session: SessionDep, token: str = Form(""), next: str = Form("/")
) -> Response:
    """登录: the token printed by ``fapai users add`` or shown at registration."""
    user = user_for_token(session, token.strip()) if token.strip() else None
    if user is None:
        return render(
            request,
            "signin.html",
            None,
            status_code=401,
            nav="signin",
            next=safe_next(next),
            error="令牌无效：请检查是否完整复制（区分大小写）。",
        )
    target = safe_next(next)
    glue = "&" if "?" in target else "?"
    redirect = RedirectResponse(f"{target}{glue}done=signed_in", status_code=303)
    return _signed_in(request, redirect, token)


@router.post("/signout")
def signout() -> Response:
    response = RedirectResponse("/?done=signed_out", status_code=303)
    response.delete_cookie(TOKEN_COOKIE)
    return response


@router.get("/bidders/new", response_class=HTMLResponse)
def register_form(request: Request, user: PageUser, next: str = "/") -> HTMLResponse:
    return render(request, "register.html", user, nav="register", form={}, next=safe_next(next))


@router.post("/bidders/new", response_class=HTMLResponse)
def register(
    request: Request,
    session: WriterSessionDep,
    clock: ClockDep,
    name: str = Form(""),
    id_number: str = Form(""),
    phone: str = Form(""),
    next: str = Form("/"),
) -> Response:
    """竞买人注册: name, resident ID (GB 11643 checked, stored hashed), mobile number."""
    form = {"name": name, "id_number": id_number, "phone": phone}
    try:
        user, token = register_bidder_account(session, name, id_number, phone, clock.now())
    except FapaiError as exc:
        session.rollback()
        return render(
            request,
            "register.html",
            None,
            status_code=exc.status_code,
            nav="register",
            form=form,
            next=safe_next(next),
            error=explain(exc),
        )
    page = render(
        request,
        "register.html",
        user,
        status_code=201,
        nav="register",
        token=token,
        next=safe_next(next),
    )
    return _signed_in(request, page, token)
