"""成交结果: finished rounds with their outcome, and a chart of final / reference ratios."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from auction import services
from auction.api.deps import SessionDep
from auction.web import charts, display
from auction.web.deps import PageUser, render
from auction.web.forms import FormError, page_number

router = APIRouter()

PAGE_SIZE = 30
# The chart shows the most recent sold rounds: enough to compare types and rounds, bounded so
# the page stays fast with any number of lots.
CHART_ROUNDS = 400


def ratio_groups(results: list[services.ResultView]) -> dict[str, list[Decimal]]:
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

    return {
        f"{display.label(display.PROPERTY_TYPES, kind)}·{display.label(display.ROUNDS, rnd)}":
        groups[(kind, rnd)]
        for kind, rnd in sorted(groups, key=order)
    }  # fmt: skip


@router.get("/results", response_class=HTMLResponse)
def results(request: Request, session: SessionDep, user: PageUser) -> HTMLResponse:
    try:
        number = page_number(request.query_params.get("page"))
    except FormError:
        number = 1
    page = services.list_results(session, services.ResultQuery(page=number, page_size=PAGE_SIZE))
    sold = services.list_results(
        session, services.ResultQuery(outcome="sold", page_size=CHART_ROUNDS)
    )
    groups = ratio_groups(sold.items)
    return render(
        request, "results.html", user, nav="results", page=page,
        plot=charts.ratio_strips(groups) if groups else None,
        page_url=lambda n: "/results?" + urlencode({"page": n}),
    )  # fmt: skip
