"""网络询价 for court users: the form, the report page and its PDF."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from app.deps import (
    ClockDep,
    InquiryServiceDep,
    PageUser,
    SessionDep,
    SettingsDep,
    WriterSessionDep,
    posted_form,
    stored_id,
)
from app.inquiry import InquiryService, court_name, stored_report
from app.security import NO_STORE
from app.web.forms import (
    FIELD_NAMES,
    PLATFORM_ROWS,
    FormError,
    inquiry_places,
    inquiry_request,
    reads_as_chinese,
)
from app.web.pdf import NoFont, ReportPDFCache
from app.web.report import page_context
from app.web.templating import court_only, error_page, render
from auction.store import User
from fapai.errors import RuleViolation
from fapai.settings import Settings
from valuation.inquiry import InquiryReport
from valuation.inquiry_store import save_inquiry

router = APIRouter()

# Said when the inquiry service's reason is not yet in Chinese words.
INQUIRY_REFUSED = (
    "此项不符合询价要求，或模型没有足够的市场数据为该财产估价；网络询价不成的，可以委托评估"
    "（参考价规定 第十四条）"
)

# What fapai prices (the price model values homes only); the rest goes to appraisal.
INQUIRY_TYPES = {"residential": "住宅用房"}


_cache_lock = threading.Lock()


def pdf_cache(request: Request) -> ReportPDFCache:
    """The app's cache of report PDFs, made on first use and kept on ``app.state``."""
    state = request.app.state
    with _cache_lock:
        if getattr(state, "report_pdfs", None) is None:
            state.report_pdfs = ReportPDFCache()
    return state.report_pdfs


PdfCacheDep = Annotated[ReportPDFCache, Depends(pdf_cache)]


def _form_page(
    request: Request,
    user: User,
    service: InquiryService,
    form: dict,
    status_code: int = 200,
    error: str | None = None,
    ask_confirm: bool = False,
) -> HTMLResponse:
    for key in ("platforms", "platform_prices", "platform_asked"):
        form.setdefault(key, [""] * PLATFORM_ROWS)
    return render(
        request,
        "inquiry_form.html",
        user,
        status_code=status_code,
        nav="inquiry",
        form=form,
        error=error,
        ask_confirm=ask_confirm,
        places=inquiry_places(service.price_model().coverage),
        residential_types=INQUIRY_TYPES,
    )


@router.get("/inquiries/new", response_class=HTMLResponse)
def inquiry_form(request: Request, user: PageUser, service: InquiryServiceDep) -> Response:
    return court_only(request, user) or _form_page(request, user, service, {})


@router.post("/inquiries", response_class=HTMLResponse)
def create_inquiry(
    request: Request,
    user: PageUser,
    form: Annotated[FormData, Depends(posted_form)],
    session: SessionDep,
    writer: WriterSessionDep,
    settings: SettingsDep,
    service: InquiryServiceDep,
) -> Response:
    """Price the property with the one inquiry service (as ``POST /api/inquiries``), store the
    report as issued, and show it. Priced before the writer session is first used: on SQLite
    its transaction holds the one write lock, for storing the report only."""
    refused = court_only(request, user)
    if refused is not None:
        return refused
    fields = {k: str(v) for k, v in form.items()}
    platforms = [str(v) for v in form.getlist("platform")]
    prices = [str(v) for v in form.getlist("platform_price")]
    asked = [str(v) for v in form.getlist("platform_asked_at")]
    shown = {**fields, "platforms": platforms, "platform_prices": prices, "platform_asked": asked}
    try:
        body = inquiry_request(fields, platforms, prices, asked, settings.display_timezone)
        report = service.price(body, court_name(session, user.court_id))
        stored = save_inquiry(writer, report, user.court_id)
    except FormError as exc:
        return _form_page(request, user, service, shown, 422, str(exc))
    except RuleViolation as exc:
        field = FIELD_NAMES.get(exc.field.split(".")[0], exc.field)
        article = f"（{exc.article}）" if exc.article else ""
        reason = exc.rule if reads_as_chinese(exc.rule) else INQUIRY_REFUSED
        message = f"无法询价（{field}）：{reason}{article}"
        flagged = exc.field.startswith("sources.") and exc.field.endswith(".price")
        return _form_page(request, user, service, shown, 422, message, ask_confirm=flagged)
    return RedirectResponse(f"/inquiries/{stored['id']}", status_code=303)


def _stored_report(
    request: Request, session: SessionDep, user: PageUser, inquiry_id: int, settings: Settings
) -> tuple[Response | None, InquiryReport | None]:
    """(a refusal page, None) or (None, the report as issued) for a court user."""
    refused = court_only(request, user)
    if refused is not None:
        return refused, None
    report = (
        stored_report(session, inquiry_id, user.court_id, settings)
        if stored_id(inquiry_id)
        else None
    )
    if report is None:
        message = f"没有编号为 {inquiry_id} 的询价报告。"
        return error_page(request, user, 404, "找不到询价报告", message), None
    return None, report


@router.get("/inquiries/{inquiry_id:int}.pdf")
def inquiry_pdf(
    request: Request,
    inquiry_id: int,
    session: SessionDep,
    user: PageUser,
    pdfs: PdfCacheDep,
    settings: SettingsDep,
) -> Response:
    """The report as a PDF document, made on the server."""
    refused, report = _stored_report(request, session, user, inquiry_id, settings)
    if refused is not None:
        return refused
    try:
        body = pdfs.get(report)
    except NoFont as exc:
        return error_page(request, user, 503, "暂时无法生成 PDF", str(exc))
    return Response(
        body,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="inquiry-{inquiry_id}.pdf"',
            **NO_STORE,
        },
    )


@router.get("/inquiries/{inquiry_id:int}", response_class=HTMLResponse)
def inquiry_report(
    request: Request,
    inquiry_id: int,
    session: SessionDep,
    user: PageUser,
    pdfs: PdfCacheDep,
    background: BackgroundTasks,
    clock: ClockDep,
    settings: SettingsDep,
) -> Response:
    """The report as issued: reference price, interval, sources, comparables, start price.
    Its PDF is made in the background once the page is sent, ready for the download."""
    refused, report = _stored_report(request, session, user, inquiry_id, settings)
    if refused is not None:
        return refused
    background.add_task(pdfs.warm, report)
    return render(
        request,
        "inquiry_report.html",
        user,
        nav="inquiry",
        **page_context(report),
        expired=report.valid_until <= clock.now(),
    )
