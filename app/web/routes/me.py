"""我的竞拍 (/me): a bidder's registrations with deposit and refund state, their standing on
each lot (领先, 已出局, 您已竞得 with the balance due), the lots they follow (关注) and the
reminders made for them, and where reminders go by e-mail. Following works for any signed-in
person."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import ClockDep, PageUser, SessionDep, WriterSessionDep, stored_id
from app.web import desk
from app.web.forms import explain
from app.web.routes.desk import DEPOSIT_WORDS
from app.web.templating import error_page, render
from auction import follows
from fapai.errors import FapaiError

router = APIRouter()


def _me_page(
    request: Request,
    session,
    user,
    now,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    return render(
        request,
        "me.html",
        user,
        status_code=status_code,
        nav="me",
        registrations=desk.my_registrations(session, user, now),
        followed=desk.followed_lots(session, user, now),
        reminders=follows.user_reminders(session, user.id),
        email=follows.email_of(session, user.id),
        deposit_words=DEPOSIT_WORDS,
        standing_words=desk.STANDING_WORDS,
        error=error,
        now=now,
    )


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, session: SessionDep, clock: ClockDep, user: PageUser) -> Response:
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    if user.role != "bidder":
        return error_page(request, user, 403, "没有权限", "“我的竞拍”只对竞买人账号开放。")
    return _me_page(request, session, user, clock.now())


@router.post("/me/contact", response_class=HTMLResponse)
def save_contact(
    request: Request,
    session: WriterSessionDep,
    clock: ClockDep,
    user: PageUser,
    email: str = Form(""),
) -> Response:
    """The e-mail address reminders go to (where the deployment sends e-mail)."""
    if user is None:
        return RedirectResponse("/signin?next=/me", status_code=303)
    try:
        follows.set_email(session, user.id, email)
    except FapaiError as exc:
        session.rollback()
        return _me_page(request, session, user, clock.now(), exc.status_code, explain(exc))
    return RedirectResponse("/me?done=contact_saved", status_code=303)


def _follow(request: Request, session, user, lot_id: int, now, on: bool) -> Response:
    if not stored_id(lot_id):
        return error_page(request, user, 404, "找不到拍品", f"没有编号为 {lot_id} 的拍品。")
    if user is None:
        return RedirectResponse(f"/signin?next=/lots/{lot_id}", status_code=303)
    try:
        if on:
            follows.follow(session, user.id, lot_id, now)
        else:
            follows.unfollow(session, user.id, lot_id)
    except FapaiError as exc:
        session.rollback()
        return error_page(request, user, exc.status_code, "未能关注", explain(exc))
    done = "followed" if on else "unfollowed"
    return RedirectResponse(f"/lots/{lot_id}?done={done}", status_code=303)


@router.post("/lots/{lot_id:int}/follow", response_class=HTMLResponse)
def follow(
    request: Request, lot_id: int, session: WriterSessionDep, clock: ClockDep, user: PageUser
) -> Response:
    """关注: reminders before bidding starts and before it ends."""
    return _follow(request, session, user, lot_id, clock.now(), True)


@router.post("/lots/{lot_id:int}/unfollow", response_class=HTMLResponse)
def unfollow(
    request: Request, lot_id: int, session: WriterSessionDep, clock: ClockDep, user: PageUser
) -> Response:
    return _follow(request, session, user, lot_id, clock.now(), False)
