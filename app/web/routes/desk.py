"""法院工作台 (/desk): a court user's lots by state and their inquiries; per lot, everything the
API allows from the web (relist with a lawful schedule proposed, record a renege, confirm a
priority purchaser by name and ID number, attach documents and photos), each through the
engine, with its refusals in words. The lot's files are public downloads (/lots/{id}/files)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from app.deps import (
    ClockDep,
    PageUser,
    SessionDep,
    SettingsDep,
    WriterSessionDep,
    posted_form,
    stored_id,
)
from app.publishing import relist_lot
from app.schemas import PaymentCreate, RelistRequest, ResumeRequest
from app.web import desk
from app.web.forms import FormError, explain, local_time_field, money_fields, validate_body
from app.web.templating import court_only, error_page, render
from auction import auth, deposits, engine
from auction.attachments import KINDS, attach, attachment_path, get_attachment
from auction.store import Lot, User
from fapai.clock import Clock
from fapai.errors import FapaiError, NotFound
from fapai.money import to_fen
from fapai.settings import Settings

router = APIRouter()

DEPOSIT_WORDS = {
    "pending": "待确认",
    "paid": "已交纳",
    "refund_due": "待退还",
    "refunded": "已退还",
    "applied": "已转价款",
    "forfeited": "不予退还",
}


@router.get("/desk", response_class=HTMLResponse)
def court_desk(request: Request, session: SessionDep, clock: ClockDep, user: PageUser) -> Response:
    """法院工作台: the court user's lots by state, and recent inquiries."""
    refused = court_only(request, user)
    if refused is not None:
        return refused
    now = clock.now()
    return render(
        request,
        "desk.html",
        user,
        nav="desk",
        groups=desk.court_desk(session, user, now),
        inquiries=desk.recent_inquiries(session, user),
        now=now,
    )


def _lot_desk_page(
    request: Request,
    session: SessionDep,
    user: User,
    lot_id: int,
    now: datetime,
    settings: Settings,
    error: str | None = None,
    status_code: int = 200,
    form: dict | None = None,
) -> Response:
    view = desk.lot_desk(session, user, lot_id, now, settings) if stored_id(lot_id) else None
    if view is None:
        return _not_mine(request, user, lot_id)
    return render(
        request,
        "desk_lot.html",
        user,
        status_code=status_code,
        nav="desk",
        view=view,
        lot=view.lot,
        error=error,
        form=form or {},
        kinds=KINDS,
        deposit_words=DEPOSIT_WORDS,
        settings=settings,
        now=now,
    )


@router.get("/desk/lots/{lot_id:int}", response_class=HTMLResponse)
def lot_desk(
    request: Request,
    lot_id: int,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
) -> Response:
    refused = court_only(request, user)
    if refused is not None:
        return refused
    return _lot_desk_page(request, session, user, lot_id, clock.now(), settings)


def _owned(session: Session, user: User, lot_id: int) -> bool:
    return stored_id(lot_id) and (
        session.scalar(select(Lot.id).where(Lot.id == lot_id, desk.owned_by(user))) is not None
    )


def _not_mine(request: Request, user: User, lot_id: int) -> Response:
    """Another court's lot is not found, like a lot that does not exist."""
    message = f"您的工作台没有编号为 {lot_id} 的拍品。"
    return error_page(request, user, 404, "找不到拍品", message)


@dataclass(frozen=True)
class DeskAction:
    """What every action of the lot desk needs (one dependency, not six parameters): the
    request, a writing session, the clock, the settings and the signed-in user."""

    request: Request
    session: Session
    clock: Clock
    settings: Settings
    user: User | None

    def run(
        self, lot_id: int, action: Callable[[], None], done: str, form: dict | None = None
    ) -> Response:
        """Run ``action()`` for a court user's own lot; a refusal shows the lot's desk page
        with it in words (and the form as typed), success redirects with a notice."""
        request, session, user = self.request, self.session, self.user
        refused = court_only(request, user)
        if refused is not None:
            return refused
        if not _owned(session, user, lot_id):
            return _not_mine(request, user, lot_id)
        try:
            action()
        except (FormError, FapaiError) as exc:
            session.rollback()
            status = exc.status_code if isinstance(exc, FapaiError) else 422
            message = explain(exc) if isinstance(exc, FapaiError) else str(exc)
            return _lot_desk_page(
                request,
                session,
                user,
                lot_id,
                self.clock.now(),
                self.settings,
                message,
                status,
                form,
            )
        return RedirectResponse(f"/desk/lots/{lot_id}?done={done}", status_code=303)


def desk_action(
    request: Request,
    session: WriterSessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
) -> DeskAction:
    return DeskAction(request, session, clock, settings, user)


Desk = Annotated[DeskAction, Depends(desk_action)]
Form = Annotated[FormData, Depends(posted_form)]


def _typed(form: FormData, *hidden: str) -> dict[str, str]:
    """The form as typed, to show again beside a refusal (never the ``hidden`` fields)."""
    return {k: str(v) for k, v in form.items() if k not in hidden}


@router.post("/desk/lots/{lot_id:int}/relist", response_class=HTMLResponse)
def relist(lot_id: int, form: Form, ctx: Desk) -> Response:
    """再次拍卖 / 变卖, as ``POST /api/lots/{id}/relist`` (拍卖规定 第二十六条)."""
    fields = _typed(form)

    def action() -> None:
        given = money_fields(fields, ("start_price", "deposit", "increment"))
        for name in ("starts_at", "ends_at"):
            given[name] = local_time_field(fields.get(name), ctx.settings.display_timezone)
        body = validate_body(RelistRequest, given)
        state, now = ctx.request.app.state, ctx.clock.now()
        relist_lot(ctx.session, state, lot_id, body.to_terms(), now, ctx.settings)

    return ctx.run(lot_id, action, "relisted", fields)


@router.post("/desk/lots/{lot_id:int}/renege", response_class=HTMLResponse)
def renege(lot_id: int, ctx: Desk) -> Response:
    """悔拍: the buyer did not pay (拍卖规定 第二十四条)."""

    def action() -> None:
        engine.renege(ctx.session, lot_id, ctx.clock.now(), ctx.settings)

    return ctx.run(lot_id, action, "reneged")


@router.post("/desk/lots/{lot_id:int}/priority-holders", response_class=HTMLResponse)
def add_priority_holder(lot_id: int, form: Form, ctx: Desk) -> Response:
    """优先购买权人: named by name and resident ID number, with a rank (第十九条、第二十一条)."""
    fields = _typed(form, "id_number")

    def action() -> None:
        rank = (fields.get("rank") or "").strip()
        if not rank.isdigit() or not 1 <= int(rank) <= 1000:
            raise FormError("顺位须为 1 至 1000 的整数（1 为第一顺位，拍卖规定 第二十一条）")
        holder = auth.bidder_by_id_number(
            ctx.session,
            fields.get("name", ""),
            str(form.get("id_number", "")),
            ctx.clock.now(),
            ctx.settings,
        )
        engine.add_priority_holder(ctx.session, lot_id, holder.id, int(rank), ctx.clock.now())

    return ctx.run(lot_id, action, "holder_added", fields)


@router.post(
    "/desk/lots/{lot_id:int}/registrations/{registration_id:int}/{step}",
    response_class=HTMLResponse,
)
def deposit_step(
    request: Request,
    lot_id: int,
    registration_id: int,
    step: Literal["confirm", "refund"],
    ctx: Desk,
) -> Response:
    """确认到账 (the deposit arrived: a bidder code, 第十七条) or 记录已退还 (第二十三条), as
    ``POST /api/registrations/{id}/confirm`` and ``…/refund``."""

    def action() -> None:
        if not stored_id(registration_id):
            raise NotFound(f"没有编号为 {registration_id} 的报名", "registration_id")
        if step == "confirm":
            engine.confirm_deposit(
                ctx.session, registration_id, ctx.user.court_id, ctx.clock.now(), ctx.settings
            )
        else:
            deposits.record_refund(ctx.session, registration_id, ctx.user.court_id, ctx.clock.now())

    done = "deposit_confirmed" if step == "confirm" else "refund_recorded"
    return ctx.run(lot_id, action, done)


@router.post("/desk/lots/{lot_id:int}/attachments", response_class=HTMLResponse)
async def add_attachment(lot_id: int, form: Form, ctx: Desk) -> Response:
    """上传公告、竞买须知、评估或询价报告（PDF）与照片."""
    upload = form.get("file")
    content = b""
    if isinstance(upload, UploadFile):
        content = await upload.read(ctx.settings.attachment_max_bytes + 1)
    kind, title = str(form.get("kind", "")), str(form.get("title", ""))

    def action() -> None:
        attach(
            ctx.session, lot_id, kind, title, content, ctx.user.id, ctx.clock.now(), ctx.settings
        )

    return ctx.run(lot_id, action, "attached", {"title": title})


def _reason(form: FormData) -> str:
    reason = str(form.get("reason", "")).strip()
    if not reason:
        raise FormError("请填写理由（将随拍品公示）")
    return reason[:1000]


@router.post("/desk/lots/{lot_id:int}/suspend", response_class=HTMLResponse)
def suspend(lot_id: int, form: Form, ctx: Desk) -> Response:
    """暂缓 or 中止 (拍卖规定 第二十八条), as ``POST /api/lots/{id}/suspend``."""

    def action() -> None:
        stop = str(form.get("mode", "")) == "stop"
        engine.suspend(ctx.session, lot_id, _reason(form), ctx.clock.now(), ctx.settings, stop=stop)

    fields = _typed(form)
    return ctx.run(lot_id, action, "suspended", fields)


@router.post("/desk/lots/{lot_id:int}/resume", response_class=HTMLResponse)
def resume(lot_id: int, form: Form, ctx: Desk) -> Response:
    """恢复 a suspended or stopped lot on a new schedule (第二十八条)."""
    fields = _typed(form)

    def action() -> None:
        given = {
            name: local_time_field(fields.get(name), ctx.settings.display_timezone)
            for name in ("starts_at", "ends_at")
        }
        body = validate_body(ResumeRequest, {k: v for k, v in given.items() if v})
        engine.resume(
            ctx.session, lot_id, body.starts_at, body.ends_at, ctx.clock.now(), ctx.settings
        )

    return ctx.run(lot_id, action, "resumed", fields)


@router.post("/desk/lots/{lot_id:int}/withdraw", response_class=HTMLResponse)
def withdraw(lot_id: int, form: Form, ctx: Desk) -> Response:
    """撤回, e.g. the debt was paid: bidding stops, deposits are refunded."""

    def action() -> None:
        engine.withdraw(ctx.session, lot_id, _reason(form), ctx.clock.now(), ctx.settings)

    fields = _typed(form)
    return ctx.run(lot_id, action, "withdrawn", fields)


@router.post("/desk/lots/{lot_id:int}/payments", response_class=HTMLResponse)
def record_payment(lot_id: int, form: Form, ctx: Desk) -> Response:
    """尾款到账 (拍卖规定 第二十五条); paid in full, the sale is confirmed."""
    fields = _typed(form)

    def action() -> None:
        body = validate_body(PaymentCreate, money_fields(fields, ("amount",)))
        engine.record_payment(
            ctx.session, lot_id, to_fen(body.amount), ctx.clock.now(), ctx.settings
        )

    return ctx.run(lot_id, action, "paid", fields)


@router.get("/lots/{lot_id:int}/files/{attachment_id:int}")
def download(
    request: Request,
    lot_id: int,
    attachment_id: int,
    session: SessionDep,
    settings: SettingsDep,
    user: PageUser,
) -> Response:
    """A lot's document (a download, named by its title) or photo (shown inline)."""
    try:
        if not (stored_id(lot_id) and stored_id(attachment_id)):
            raise NotFound("没有这个文件", "attachment_id")
        row = get_attachment(session, lot_id, attachment_id)
    except NotFound:
        return error_page(request, user, 404, "找不到文件", "该拍品没有这个文件。")
    path = attachment_path(settings, row)
    if not path.is_file():
        return error_page(request, user, 404, "找不到文件", "该文件已不在服务器上。")
    inline = row.kind == "photo"
    suffix = path.suffix
    return FileResponse(
        path,
        media_type=row.content_type,
        filename=f"{row.title}{suffix}",
        content_disposition_type="inline" if inline else "attachment",
    )
