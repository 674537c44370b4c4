"""成交结果: finished rounds with their outcome, and a chart of final / reference ratios."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import queries, schemas
from app.deps import PageUser, SessionDep
from app.web import charts, display
from app.web.forms import FormError, result_query
from app.web.templating import render
from fapai.regions import CITIES

router = APIRouter()

OUTCOME_CHOICES = {code: display.OUTCOMES[code] for code in schemas.OUTCOMES}
# The chart shows the most recent sold rounds: enough to compare types and rounds, bounded so
# the page stays fast with any number of lots.
CHART_ROUNDS = 400


def ratio_groups(results: list[schemas.ResultView]) -> dict[str, list[Decimal]]:
    """final price / reference price of each sold round, grouped as 住宅用房·一拍 etc., in the
    order of property types, then rounds."""
    groups: dict[tuple[str, str], list[Decimal]] = defaultdict(list)
    for r in results:
        if r.final_price is not None and r.reference_price:
            groups[(r.property_type, str(r.round))].append(r.final_price / r.reference_price)
    types, rounds = list(display.PROPERTY_TYPES), list(display.ROUNDS)

    def order(key: tuple[str, str]) -> tuple[int, int]:
        kind, rnd = key
        return (
            types.index(kind) if kind in types else len(types),
            rounds.index(rnd) if rnd in rounds else len(rounds),
        )

    def name(kind: str, rnd: str) -> str:
        return f"{display.label(display.PROPERTY_TYPES, kind)}·{display.label(display.ROUNDS, rnd)}"

    return {name(kind, rnd): groups[(kind, rnd)] for kind, rnd in sorted(groups, key=order)}


@router.get("/results", response_class=HTMLResponse)
def results(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    """成交结果: finished rounds (filter by city, type, outcome) and the ratio chart of the
    same city and type."""
    params = dict(request.query_params)
    error = None
    try:
        query = result_query(params)
    except FormError as exc:
        error, query = str(exc), result_query({})
    page = queries.list_results(session, query)
    sold = queries.list_results(
        session, replace(query, outcome="sold", page=1, page_size=CHART_ROUNDS)
    )
    groups = ratio_groups(sold.items)
    return render(
        request,
        "results.html",
        user,
        status_code=422 if error else 200,
        nav="results",
        page=page,
        query=query,
        errors=error,
        city_choices={c: c for c in CITIES},
        outcomes=OUTCOME_CHOICES,
        plot=charts.ratio_strips(groups, frame_width=960) if groups else None,
        page_url=lambda n: (
            "/results?" + urlencode({**{k: v for k, v in params.items() if v}, "page": n})
        ),
    )
