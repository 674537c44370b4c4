"""Every Prometheus metric fapai exposes, defined once (``GET /metrics`` serves them).

On the ground floor so any room may count (the auction's closing loop, the crawlers' pipeline,
the app's requests). Names follow Prometheus conventions: ``fapai_`` prefix, ``_total`` for
counters, ``_seconds`` for durations; labels stay few and bounded (never a user, a lot id or a
message).

Several processes (``fapai serve --workers N``): prometheus_client's multiprocess mode adds up
every process's values when ``PROMETHEUS_MULTIPROC_DIR`` names a writable directory before the
processes start; ``fapai serve`` sets one up (and empties it) itself. A plain ``uvicorn
--workers N`` without it answers ``/metrics`` with the counts of whichever worker took the
scrape. A crawl run counts its items into the same directory when it shares the variable.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)

from fapai.errors import FapaiError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
if os.environ.get(MULTIPROC_ENV):  # each process writes its values there from its first metric
    Path(os.environ[MULTIPROC_ENV]).mkdir(parents=True, exist_ok=True)

HTTP_REQUESTS = Counter(
    "fapai_http_requests_total",
    "HTTP requests answered, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_SECONDS = Histogram(
    "fapai_http_request_seconds",
    "Time to answer an HTTP request, by route template.",
    ["route"],
)
BIDS = Counter(
    "fapai_bids_total",
    "Bids placed: accepted, or refused with the reason (error kind and the field it names).",
    ["outcome", "reason"],
)
INQUIRIES = Counter(
    "fapai_inquiries_total",
    "Price inquiries asked (API and pages), by outcome: issued, refused or failed.",
    ["outcome"],
)
INQUIRY_SECONDS = Histogram(
    "fapai_inquiry_seconds",
    "Time to answer a price inquiry, request to response.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CLOSING_LAG = Histogram(
    "fapai_closing_lag_seconds",
    "How late the closing loop closed a round: close time minus the round's end (after "
    "extensions).",
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
LOTS_CLOSED = Counter(
    "fapai_lots_closed_total", "Rounds the closing loop closed, by outcome.", ["outcome"]
)
CRAWL_ITEMS = Counter(
    "fapai_crawl_items_total",
    "Items the crawlers stored, by kind (market listing or auction result) and site.",
    ["kind", "site"],
)


def bid_refusal_reason(exc: FapaiError) -> str:
    """A bounded label for a refused bid: the error kind and the field, e.g. ``conflict:amount``
    (outbid) or ``forbidden:lot_id`` (not registered)."""
    return f"{type(exc).__name__.lower()}:{exc.field or '-'}"


@contextmanager
def counting_bid() -> Iterator[None]:
    """Count the bid placed inside the block: accepted, or refused with its reason."""
    try:
        yield
    except FapaiError as exc:
        BIDS.labels("refused", bid_refusal_reason(exc)).inc()
        raise
    BIDS.labels("accepted", "").inc()


def exposition() -> tuple[bytes, str]:
    """(body, content type) of a scrape: every process's values in multiprocess mode, else
    this process's."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
