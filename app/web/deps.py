"""What every page needs: the signed-in user (from a cookie) and a way to render."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.schemas import MAX_INT_ID
from app.web.templating import templates
from auction.auth import user_for_token
from auction.store import User

TOKEN_COOKIE = "fapai_token"
# A notice after a redirect is named by a code in the URL, never by free text from the URL.
NOTICES: dict[str, str] = {
    "signed_in": "已登录。",
    "signed_out": "已退出登录。",
    "registered": "报名成功，保证金已交纳。",
    "bid": "出价成功。",
    "published": "拍卖已发布。",
}


def page_user(request: Request) -> User | None:
    """The user whose token is in the sign-in cookie, or None. Looked up in its own short
    transaction, like the API's bearer-token check."""
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    with request.app.state.session_factory() as session:
        return user_for_token(session, token)


PageUser = Annotated[User | None, Depends(page_user)]


def render(
    request: Request,
    template: str,
    user: User | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page from ``template`` with the user and the notice named in the URL, if any."""
    notice = NOTICES.get(request.query_params.get("done", ""))
    return templates.TemplateResponse(
        request,
        template,
        {"user": user, "notice": notice, **context},
        status_code=status_code,
    )


def error_page(
    request: Request, user: User | None, status_code: int, heading: str, message: str
) -> HTMLResponse:
    return render(
        request, "error.html", user, status_code=status_code, heading=heading, message=message
    )


def stored_id(value: int) -> bool:
    """Whether ``value`` can be a row id at all: a URL with a larger number is a plain 404,
    never a database error."""
    return 1 <= value <= MAX_INT_ID


def court_only(request: Request, user: User | None) -> Response | None:
    """None for a court user; else the sign-in page (anonymous) or a 403 page (a bidder)."""
    if user is None:
        return RedirectResponse(f"/signin?next={request.url.path}", status_code=303)
    if user.role != "court":
        return error_page(request, user, 403, "没有权限", "此页面只对法院账号开放。")
    return None


async def posted_form(request: Request) -> FormData:
    """The posted form, read once, for routes whose fields repeat (``getlist``)."""
    return await request.form()
