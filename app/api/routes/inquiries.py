"""inquiries routes: ``POST /api/inquiries`` (court) prices a property; ``GET`` returns the report
exactly as issued. Thin: the rules live in :mod:`valuation.inquiry`."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import State

from app.deps import ClockDep, CourtUser, SessionDep, SettingsDep, WriterSessionDep
from fapai.errors import NotFound, RuleViolation
from valuation.inquiry import InquiryError, InquiryModels, price
from valuation.inquiry_store import get_inquiry, save_inquiry
from valuation.schema import PROPERTY_TYPES

router = APIRouter(tags=["inquiries"])
_load_lock = threading.Lock()


class SourceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str = Field(min_length=1, max_length=40, description="Inquiry platform, e.g. JD")
    price: Decimal = Field(gt=0, max_digits=15, decimal_places=2, description="Its result, yuan")


class InquiryIn(BaseModel):
    """A property to price (the market listing schema's field names and units) and the
    external platforms' results. Minimal input: city, district and area; more narrows the
    interval."""

    model_config = ConfigDict(extra="forbid")

    property_type: Literal[PROPERTY_TYPES] = "residential"  # type: ignore[valid-type]
    city: str = Field(min_length=1, max_length=20, examples=["广州"])
    district: str | None = Field(None, max_length=30, examples=["天河"])
    community: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=300)
    area_m2: float = Field(gt=0, description="Building area, m²", examples=[89])
    rooms: int | None = Field(None, ge=0, le=30)
    halls: int | None = Field(None, ge=0, le=20)
    bathrooms: int | None = Field(None, ge=0, le=20)
    floor: int | None = None
    floor_level: Literal["低", "中", "高"] | None = None
    total_floors: int | None = Field(None, ge=1, le=150)
    orientation: str | None = Field(None, max_length=40)
    decoration: Literal["精装", "简装", "毛坯", "其他"] | None = None
    building_type: Literal["塔楼", "板塔结合", "板楼"] | None = None
    near_metro: bool | None = None
    build_year: int | None = None
    elevator: bool | None = None
    lat: float | None = None
    lon: float | None = None
    sources: list[SourceIn] = Field(default_factory=list, max_length=20)


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
    _user: CourtUser,
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
    return JSONResponse(save_inquiry(session, report), status_code=201)


@router.get("/inquiries/{inquiry_id}", summary="An inquiry report, exactly as issued")
def read_inquiry(inquiry_id: int, _user: CourtUser, session: SessionDep) -> dict[str, Any]:
    report = get_inquiry(session, inquiry_id)
    if report is None:
        raise NotFound(f"no inquiry {inquiry_id}", field="inquiry_id")
    return report
