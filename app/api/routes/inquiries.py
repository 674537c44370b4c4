"""inquiries routes: ``POST /api/inquiries`` (court) prices a property; ``GET`` returns the report
exactly as issued. Thin: the one inquiry service (:mod:`app.inquiry`) does the work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from app.deps import CourtUser, InquiryServiceDep, SessionDep, WriterSessionDep
from app.inquiry import court_name
from app.schemas import MAX_INT_ID, InquiryIn
from fapai.errors import NotFound
from valuation.inquiry import InquiryReport
from valuation.inquiry_store import get_inquiry, save_inquiry

router = APIRouter(tags=["inquiries"])
InquiryId = Annotated[int, Path(ge=1, le=MAX_INT_ID, description="The inquiry's id")]


def priced_inquiry(
    request: Request, user: CourtUser, body: InquiryIn, service: InquiryServiceDep
) -> InquiryReport:
    """The court's report, priced before the route's write transaction begins: on SQLite that
    transaction holds the one write lock, for storing the report only, not while pricing."""
    with request.app.state.session_factory() as session:
        court = court_name(session, user.court_id)
    return service.price(body, court)


@router.post("/inquiries", status_code=201, summary="Price a property (online inquiry)")
def create_inquiry(
    user: CourtUser,
    report: Annotated[InquiryReport, Depends(priced_inquiry)],
    session: WriterSessionDep,
) -> JSONResponse:
    """The legal reference price: the mean of the listed platforms' results the court enters
    (参考价规定 第十三条; none yet without them), fapai's estimate beside it with interval and
    comparables, start-price floor (拍卖规定 第十条), proposed start price and its expected
    outcome, deposit range (第十七条) and validity (参考价规定 第二十七条). 422 naming the
    field when the property cannot be priced honestly, or a platform result far from every
    other source is not ``confirmed``."""
    return JSONResponse(save_inquiry(session, report, user.court_id), status_code=201)


@router.get("/inquiries/{inquiry_id}", summary="An inquiry report, exactly as issued")
def read_inquiry(inquiry_id: InquiryId, user: CourtUser, session: SessionDep) -> dict[str, Any]:
    """The court's own report (another court's is 404, as if it did not exist)."""
    report = get_inquiry(session, inquiry_id, user.court_id)
    if report is None:
        raise NotFound(f"no inquiry {inquiry_id}", field="inquiry_id")
    return report
