"""Search, the lot page with its live fragment, the printable confirmation, registration and
bidding."""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from app import queries
from app.deps import ClockDep, PageUser, SessionDep, SettingsDep, WriterSessionDep, stored_id
from app.security import limit_bid
from app.web import display
from app.web.forms import SORT_CHOICES, FormError, amount_fen, explain, lot_query
from app.web.lot_page import load_lot_page
from app.web.templating import error_page, render, templates
from auction import engine
from fapai import metrics
from fapai.crypto import keys
from fapai.errors import Conflict, FapaiError, NotFound
from fapai.money import fen_to_yuan
from fapai.regions import CITIES

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def search(request: Request, session: SessionDep, clock: ClockDep, user: PageUser) -> HTMLResponse:
    """拍品搜索: filters, text search, sort and pages, all held in the URL."""
    params = dict(request.query_params)
    now = clock.now()
    error = None
    try:
        query = lot_query(params)
    except FormError as exc:
        error, query = str(exc), lot_query({})
    page = queries.search_lots(session, query, now)

    def page_url(number: int) -> str:
        return "/?" + urlencode({**{k: v for k, v in params.items() if v}, "page": number})

    return render(
        request,
        "search.html",
        user,
        status_code=422 if error else 200,
        nav="lots",
        query=query,
        page=page,
        page_url=page_url,
        errors=error,
        now=now,
        cities=CITIES,
        court_choices={c.code: c.name for c in queries.list_courts(session)},
        status_choices=display.STATUSES,
        sort_choices=SORT_CHOICES,
    )


def _no_lot(request: Request, user: PageUser, lot_id: int) -> HTMLResponse:
    return error_page(request, user, 404, "找不到拍品", f"没有编号为 {lot_id} 的拍品。")


def _lot_response(
    request: Request,
    session: SessionDep,
    lot_id: int,
    user: PageUser,
    clock: ClockDep,
    settings: SettingsDep,
    refusal: FapaiError | FormError | None = None,
    confirm_amount: Decimal | None = None,
) -> HTMLResponse:
    """The lot page; after a refused registration or bid, with the refusal in words and its
    status (409, 422…)."""
    now = clock.now()
    try:
        lot_page = load_lot_page(session, lot_id, user, now)
    except NotFound:
        return _no_lot(request, user, lot_id)
    status_code, bid_error = 200, None
    if isinstance(refusal, FapaiError):
        status_code, bid_error = refusal.status_code, explain(refusal, lot_page.next_bid)
    elif refusal is not None:
        status_code, bid_error = 422, str(refusal)
    return render(
        request,
        "lot.html",
        user,
        status_code=status_code,
        nav="lots",
        bid_error=bid_error,
        **lot_page.context(settings, now),
        confirm_amount=confirm_amount,
    )


@router.get("/lots/{lot_id:int}", response_class=HTMLResponse)
def lot(
    request: Request,
    lot_id: int,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
) -> HTMLResponse:
    """拍品页: facts, rules, live price and countdown, bid record, result; register and bid."""
    return _lot_response(request, session, lot_id, user, clock, settings)


@router.get("/lots/{lot_id:int}/confirmation", response_class=HTMLResponse)
def confirmation(
    request: Request, lot_id: int, session: SessionDep, settings: SettingsDep, user: PageUser
) -> HTMLResponse:
    """成交确认书, printable (拍卖规定 第二十二条): the buyer's real name once the round sold."""
    try:
        doc = queries.confirmation(session, lot_id, keys(settings)) if stored_id(lot_id) else None
    except NotFound:
        doc = None
    except Conflict:
        return error_page(
            request,
            user,
            409,
            "尚无成交确认书",
            "该标的尚未成交；成交前竞买人身份保密（拍卖规定 第十八条）。",
        )
    if doc is None:
        return _no_lot(request, user, lot_id)
    return render(request, "confirmation.html", user, nav="lots", doc=doc)


@router.get("/lots/{lot_id:int}/live")
def lot_live(
    request: Request,
    lot_id: int,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
) -> JSONResponse:
    """What the lot page refreshes every few seconds, rendered by the same templates."""
    now = clock.now()
    try:
        lot_page = load_lot_page(session, lot_id, user, now)
    except NotFound as exc:
        return JSONResponse(exc.to_dict(), status_code=404)
    ctx = {"request": request, "user": user, **lot_page.context(settings, now)}
    fragments = {
        f"{name}_html": templates.get_template(f"_{name}.html").render(ctx)
        for name in ("bids", "result", "bidding")
    }
    return JSONResponse({**lot_page.live(now), **fragments}, headers={"Cache-Control": "no-store"})


def _signed_in_bidder(request: Request, user: PageUser, lot_id: int) -> HTMLResponse | None:
    if not stored_id(lot_id):
        return _no_lot(request, user, lot_id)
    if user is None:
        return RedirectResponse(f"/signin?next=/lots/{lot_id}", status_code=303)
    if user.role != "bidder":
        message = "法院账号不能报名或出价，请使用竞买人账号。"
        return error_page(request, user, 403, "不能竞买", message)
    return None


@router.post("/lots/{lot_id:int}/registrations", response_class=HTMLResponse)
def register(
    request: Request,
    lot_id: int,
    session: WriterSessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
    accept_conditions: str = Form(""),
) -> HTMLResponse:
    """报名: the payment adapter asks for the deposit: a payment reference to quote (pending
    until the court confirms) or, in the demo, recorded as paid with a bidder code at once."""
    refused = _signed_in_bidder(request, user, lot_id)
    if refused is not None:
        return refused
    try:
        reg = engine.register_bidder(
            session,
            lot_id,
            user.id,
            clock.now(),
            settings,
            accepts_conditions=accept_conditions == "yes",
        )
    except FapaiError as exc:
        session.rollback()
        return _lot_response(request, session, lot_id, user, clock, settings, exc)
    done = "registered" if reg.bidder_code else "registered_pending"
    return RedirectResponse(f"/lots/{lot_id}?done={done}", status_code=303)


@router.post("/lots/{lot_id:int}/bids", response_class=HTMLResponse)
def bid(
    request: Request,
    lot_id: int,
    session: WriterSessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
    amount: str = Form(""),
    idempotency_key: str = Form(""),
    confirmed: str = Form(""),
) -> HTMLResponse:
    """出价 in two steps: the amount in yuan is shown back in capital numerals (壹佰零伍万元整)
    for the bidder to confirm; only the confirmed form bids. A repeated confirmed form (same
    key) never bids twice."""
    refused = _signed_in_bidder(request, user, lot_id)
    if refused is not None:
        return refused
    limit_bid(request, settings, user.id)
    try:
        fen = amount_fen(amount)
        if confirmed != "1":
            # Would the engine take it now? Tried and rolled back, so a refusal comes before
            # the confirmation, not after it.
            trial = session.begin_nested()
            try:
                engine.place_bid(session, lot_id, user.id, fen, clock.now(), settings)
            finally:
                trial.rollback()
            return _lot_response(
                request, session, lot_id, user, clock, settings, confirm_amount=fen_to_yuan(fen)
            )
        with metrics.counting_bid():
            engine.place_bid(
                session,
                lot_id,
                user.id,
                fen,
                clock.now(),
                settings,
                idempotency_key=idempotency_key[:100] or None,
            )
    except (FormError, FapaiError) as exc:
        session.rollback()
        return _lot_response(request, session, lot_id, user, clock, settings, exc)
    return RedirectResponse(f"/lots/{lot_id}?done=bid", status_code=303)
