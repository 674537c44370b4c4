"""发布拍卖 for court users: the lot form, filled from an inquiry report when there is one."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.deps import (
    ClockDep,
    PageUser,
    SessionDep,
    SettingsDep,
    WriterSessionDep,
    court_of,
    posted_form,
    stored_id,
)
from app.inquiry import stored_report
from app.publishing import publish_lot
from app.web import display
from app.web.forms import FormError, explain, lot_create
from app.web.templating import court_only, render
from auction.store import User
from fapai import law
from fapai.errors import FapaiError
from fapai.regions import CITIES
from fapai.settings import Settings
from valuation.inquiry import InquiryReport

router = APIRouter()

BIDDING_OPENS = time(10, 0)  # a morning start, Beijing time, as the platforms schedule it


def default_times(property_type: str, now: datetime, settings: Settings) -> tuple[str, str]:
    """The earliest lawful start (the announcement period after today, 拍卖规定 第十二条) at
    10:00 the next morning, and the end after the minimum bidding time (第二十条, at least one
    day); as ``datetime-local`` values in the display time zone."""
    tz = ZoneInfo(settings.display_timezone)
    earliest = now.astimezone(tz) + timedelta(
        days=law.announcement_days(property_type, settings) + 1
    )
    starts = datetime.combine(earliest.date(), BIDDING_OPENS, tz)
    ends = starts + timedelta(seconds=max(settings.min_bidding_seconds, 86400))
    return starts.strftime("%Y-%m-%dT%H:%M"), ends.strftime("%Y-%m-%dT%H:%M")


def form_from_report(r: InquiryReport) -> dict[str, object]:
    """The lot form filled from an inquiry: the property, the inquiry as the reference
    (参考价规定), and the proposed start price."""
    d = r.description
    place = "".join(str(d.get(k) or "") for k in ("community", "address"))
    return {
        "inquiry_id": r.id,
        "case_number": r.case_number,
        "property_type": d.get("property_type") or "residential",
        "city": d.get("city"),
        "district": d.get("district"),
        "address": place,
        "area_m2": d.get("area_m2"),
        "title": f"{d.get('district') or d.get('city') or ''}{place} {d.get('area_m2')}㎡".strip(),
        "start_price": r.outcome.proposed.start_price,
    }


def _form_page(
    request: Request,
    user: User,
    form: dict,
    report: InquiryReport | None,
    settings: Settings,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "lot_form.html",
        user,
        status_code=status_code,
        nav="publish",
        form=form,
        report=report,
        error=error,
        cities=CITIES,
        methods=display.REFERENCE_METHODS,
        floor=settings.start_price_floor_ratio,
        deposit_ratios=(settings.deposit_min_ratio, settings.deposit_max_ratio),
        notice_fields=law.NOTICE_FIELDS,
        notice_required=law.REAL_ESTATE_REQUIRED_NOTICE,
    )


def _report(
    session: SessionDep, user: User, inquiry_id: str | None, settings: Settings
) -> InquiryReport | None:
    if not (inquiry_id or "").isdigit() or not stored_id(int(inquiry_id)):
        return None
    return stored_report(session, int(inquiry_id), user.court_id, settings)


@router.get("/lots/new", response_class=HTMLResponse)
def lot_form(
    request: Request,
    session: SessionDep,
    clock: ClockDep,
    settings: SettingsDep,
    user: PageUser,
    inquiry_id: str | None = None,
) -> Response:
    refused = court_only(request, user)
    if refused is not None:
        return refused
    report = _report(session, user, inquiry_id, settings)
    form = form_from_report(report) if report else {"property_type": "residential"}
    form["court"] = court_of(session, user).name  # a lot is always published by its own court
    form["starts_at"], form["ends_at"] = default_times(
        str(form["property_type"]), clock.now(), settings
    )
    return _form_page(request, user, form, report, settings)


@router.post("/lots", response_class=HTMLResponse)
def publish(
    request: Request,
    user: PageUser,
    form: Annotated[FormData, Depends(posted_form)],
    session: WriterSessionDep,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    """Publish through the engine, as ``POST /api/lots`` does; refusals in words."""
    refused = court_only(request, user)
    if refused is not None:
        return refused
    fields = {k: str(v) for k, v in form.items()}
    try:
        body = lot_create(fields, settings.display_timezone)
        lot = publish_lot(
            session,
            request.app.state,
            body.to_data(user.id, court_of(session, user)),
            clock.now(),
            settings,
        )
    except (FormError, FapaiError) as exc:
        session.rollback()
        status = exc.status_code if isinstance(exc, FapaiError) else 422
        message = explain(exc) if isinstance(exc, FapaiError) else str(exc)
        report = _report(session, user, fields.get("inquiry_id"), settings)
        return _form_page(request, user, fields, report, settings, status, message)
    return RedirectResponse(f"/lots/{lot.id}?done=published", status_code=303)
