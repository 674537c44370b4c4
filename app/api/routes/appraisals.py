"""appraisals route: ``POST /api/appraisals`` (court) prices up to 10,000 properties in one call
(批量评估), each with its 80%/90% interval or the reason it cannot be priced. Thin: the work is
:meth:`valuation.model.PriceModel.appraise`."""

from __future__ import annotations

import pandas as pd
from fastapi import APIRouter

from app.deps import ClockDep, CourtUser, InquiryServiceDep, SettingsDep
from app.schemas import AppraisalIn, AppraisalOut
from fapai.clock import to_display
from valuation.model import REFUSALS

router = APIRouter(tags=["appraisals"])


@router.post("/appraisals", summary="Price many properties at one valuation date (批量评估)")
def create_appraisals(
    body: AppraisalIn,
    _user: CourtUser,
    settings: SettingsDep,
    clock: ClockDep,
    service: InquiryServiceDep,
) -> AppraisalOut:
    """For each property, in order: ``estimate`` and the 80%/90% interval in whole yuan at
    ``as_of`` (default today), or ``refused`` (a stable ``field:code``) with a Chinese
    ``message`` where fapai cannot price it honestly. Not stored: an appraisal is not an
    inquiry report (参考价规定 第十三条 needs the platforms' results)."""
    as_of = body.as_of or to_display(clock.now(), settings.display_timezone).date()
    model = service.price_model()
    table = pd.DataFrame([p.model_dump() for p in body.properties])
    priced = model.appraise(table, as_of)
    results = []
    for ref, row in zip(table["ref"], priced.itertuples(index=False), strict=True):
        refused = row.refused if isinstance(row.refused, str) else None
        results.append(
            {
                "ref": ref,
                **{
                    k: None if pd.isna(v := getattr(row, k)) else int(v)
                    for k in ("estimate", "low80", "high80", "low90", "high90")
                },
                "refused": refused,
                "message": REFUSALS[refused.partition(":")[2]] if refused else None,
            }
        )
    return AppraisalOut(model_version=model.version, as_of=as_of, results=results)
