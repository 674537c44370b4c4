"""Results: finished rounds with their outcome and prices (public)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app import queries
from app.deps import SessionDep
from app.schemas import Page, ResultSearch, ResultView

router = APIRouter(tags=["results"])


@router.get("/results", response_model=Page[ResultView])
def list_results(session: SessionDep, params: Annotated[ResultSearch, Query()]) -> Page[ResultView]:
    """Finished rounds, newest first: outcome, final and start price, reference, bid count."""
    return queries.list_results(session, params.to_query())
