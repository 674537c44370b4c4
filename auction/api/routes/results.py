"""Results: finished rounds with their outcome and prices (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from auction import services
from auction.api.deps import SessionDep
from auction.api.schemas import Page, ResultSearch, ResultView

router = APIRouter(tags=["results"])


@router.get("/results", response_model=Page[ResultView])
def list_results(session: SessionDep, params: Annotated[ResultSearch, Query()]) -> Page[ResultView]:
    """Finished rounds, newest first: outcome, final and start price, reference, bid count."""
    return services.list_results(session, params.to_query())
