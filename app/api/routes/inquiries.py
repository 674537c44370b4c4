"""inquiries routes: ``POST /api/inquiries`` (court) prices a property; ``GET`` returns the report
exactly as issued. Thin: the one inquiry service (:mod:`app.inquiry`) does the work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from app.deps import CourtUser, InquiryServiceDep, SessionDep, WriterSessionDep
from app.schemas import MAX_INT_ID, InquiryIn
from fapai.errors import NotFound
from valuation.inquiry_store import get_inquiry

router = APIRouter(tags=["inquiries"])
InquiryId = Annotated[int, Path(ge=1, le=MAX_INT_ID, description="The inquiry's id")]


@router.post("/inquiries", status_code=201, summary="Price a property (online inquiry)")
def create_inquiry(
    body: InquiryIn, user: CourtUser, session: WriterSessionDep, service: InquiryServiceDep
) -> JSONResponse:
    """The legal reference price: the mean of the listed platforms' results the court enters
    (参考价规定 第十三条; none yet without them), fapai's estimate beside it with interval and
    comparables, start-price floor (拍卖规定 第十条), proposed start price and its expected
    outcome, deposit range (第十七条) and validity (参考价规定 第二十七条). 422 naming the
    field when the property cannot be priced honestly, or a platform result far from every
    other source is not ``confirmed``."""
    return JSONResponse(service.inquire(session, body, user.court_id), status_code=201)


@router.get("/inquiries/{inquiry_id}", summary="An inquiry report, exactly as issued")
def read_inquiry(inquiry_id: InquiryId, user: CourtUser, session: SessionDep) -> dict[str, Any]:
    """The court's own report (another court's is 404, as if it did not exist)."""
    report = get_inquiry(session, inquiry_id, user.court_id)
    if report is None:
        raise NotFound(f"no inquiry {inquiry_id}", field="inquiry_id")
    return report
