"""The one inquiry service: ``POST /api/inquiries``, the judge's web form and ``fapai inquire``
all call :class:`InquiryService`.

It holds the promoted price model and outcome model in memory (loaded once, on ``app.state``
for the server; both switch to a newly promoted version without a restart, through the one
model registry), prices a request with :func:`valuation.inquiry.price` (the description
validated once, one predict of the price model, comparables from the index the model loaded
with), and stores the report as issued. A refusal is a :class:`fapai.errors.RuleViolation`
naming the field, the rule and the article, whoever called.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import Session
from starlette.datastructures import State

from app.schemas import InquiryIn
from auction.store import Court
from fapai.clock import Clock
from fapai.errors import RuleViolation
from fapai.settings import Settings
from valuation.inquiry import InquiryError, InquiryReport, price
from valuation.inquiry_store import get_inquiry, save_inquiry
from valuation.model import PriceModel
from valuation.outcome import OutcomeModel
from valuation.registry import ModelRegistry

_load_lock = threading.Lock()


class InquiryService:
    """Price, report and store inquiries with the models kept in memory."""

    def __init__(
        self, settings: Settings, clock: Clock, prices: ModelRegistry, outcomes: ModelRegistry
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.prices = prices
        self.outcomes = outcomes

    @classmethod
    def load(cls, settings: Settings, clock: Clock) -> InquiryService:
        """Load the promoted price and outcome models (on a fresh machine, or after a
        scikit-learn upgrade, each is first trained from the shipped data and promoted)."""
        prices = ModelRegistry(settings.models_dir, "price")
        outcomes = ModelRegistry(settings.models_dir, "outcome")
        prices.ensure("price", clock)
        outcomes.ensure("outcome", clock)
        return cls(settings, clock, prices, outcomes)

    def price_model(self) -> PriceModel:
        return self.prices.current()

    def outcome_model(self) -> OutcomeModel:
        return self.outcomes.current()

    def price(self, request: InquiryIn, court: str | None = None) -> InquiryReport:
        """The report for ``request`` asked by the court named ``court``, not stored."""
        description = request.model_dump(exclude={"sources", "confirmed", "case_number"})
        sources = [s.model_dump() for s in request.sources]
        try:
            return price(
                description,
                sources,
                self.clock.now(),
                self.price_model(),
                self.outcome_model(),
                self.settings,
                confirmed=request.confirmed,
                case_number=request.case_number,
                court=court,
            )
        except InquiryError as exc:
            raise RuleViolation(exc.field, exc.reason, exc.article) from exc

    def inquire(self, session: Session, request: InquiryIn, court_id: int | None) -> dict[str, Any]:
        """Price ``request`` and store the report as the court ``court_id``'s; the report as
        issued, with its ``id`` (and the court's name). The caller owns the transaction."""
        report = self.price(request, court_name(session, court_id))
        return save_inquiry(session, report, court_id)


def court_name(session: Session, court_id: int | None) -> str | None:
    """The name of the court ``court_id`` (None for none), as its reports carry it."""
    court = session.get(Court, court_id) if court_id is not None else None
    return None if court is None else court.name


def stored_report(
    session: Session, inquiry_id: int, court_id: int | None, settings: Settings
) -> InquiryReport | None:
    """The court ``court_id``'s stored report as issued, for the page and the PDF (no model
    needed); None if that court has no such inquiry."""
    body = get_inquiry(session, inquiry_id, court_id)
    return None if body is None else InquiryReport.from_json(body, settings.display_timezone)


def inquiry_service(state: State) -> InquiryService:
    """The app's service, loaded once and kept on ``app.state`` (never per request).

    Called by the start-up warm-up (``FAPAI_WARM_MODELS``) and, failing that, by the first
    inquiry.
    """
    service = getattr(state, "inquiry_service", None)
    if service is None:
        with _load_lock:
            service = getattr(state, "inquiry_service", None)
            if service is None:
                service = InquiryService.load(state.settings, state.clock)
                state.inquiry_service = service
    return service
