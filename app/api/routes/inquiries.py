"""inquiries routes: ``POST /api/inquiries`` (court) prices a property; ``GET`` returns the report
exactly as issued. Thin: the rules live in :mod:`valuation.inquiry`."""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import State

from app.deps import ClockDep, CourtUser, SessionDep, SettingsDep, WriterSessionDep
from app.schemas import MAX_INT_ID, InquiryIn
from fapai.errors import NotFound, RuleViolation
from valuation.inquiry import InquiryError, InquiryModels, price
from valuation.inquiry_store import get_inquiry, save_inquiry

router = APIRouter(tags=["inquiries"])
InquiryId = Annotated[int, Path(ge=1, le=MAX_INT_ID, description="The inquiry's id")]
_load_lock = threading.Lock()


def load_models(state: State) -> InquiryModels:
    """The models, loaded once and kept on ``app.state`` (never per request).

    Called by the start-up warm-up (``FAPAI_WARM_MODELS``) and, failing that, by the first
    inquiry.
    """
    models = getattr(state, "inquiry_models", None)
    if models is None:
        with _load_lock:
            models = getattr(state, "inquiry_models", None)
            if models is None:
                models = InquiryModels.load(
                    state.settings, state.clock.now(), getattr(state, "registry", None)
                )
                state.inquiry_models = models
    return models


def inquiry_models(request: Request) -> InquiryModels:
    return load_models(request.app.state)


ModelsDep = Annotated[InquiryModels, Depends(inquiry_models)]


@router.post("/inquiries", status_code=201, summary="Price a property (online inquiry)")
def create_inquiry(
    body: InquiryIn,
    user: CourtUser,
    session: WriterSessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    models: ModelsDep,
) -> JSONResponse:
    """Reference price = mean of fapai's model and the given platforms' results (参考价规定
    第十三条), with interval, comparables, start-price floor (拍卖规定 第十条), proposed start
    price and its expected outcome, deposit range (第十七条) and validity. 422 naming the field
    when the property cannot be priced honestly."""
    description = body.model_dump(exclude={"sources"})
    sources = [s.model_dump() for s in body.sources]
    try:
        report = price(description, sources, clock.now(), models.registry, settings, models.outcome)
    except InquiryError as exc:
        raise RuleViolation(exc.field, exc.reason, exc.article) from exc
    return JSONResponse(save_inquiry(session, report, user.court_id), status_code=201)


@router.get("/inquiries/{inquiry_id}", summary="An inquiry report, exactly as issued")
def read_inquiry(inquiry_id: InquiryId, user: CourtUser, session: SessionDep) -> dict[str, Any]:
    """The court's own report (another court's is 404, as if it did not exist)."""
    report = get_inquiry(session, inquiry_id, user.court_id)
    if report is None:
        raise NotFound(f"no inquiry {inquiry_id}", field="inquiry_id")
    return report
