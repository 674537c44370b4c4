"""Running fapai as a service: ``GET /healthz``, ``GET /metrics`` (Prometheus), ``/favicon.ico``
and the request middleware that writes one structured log line and the metrics per request.

The metrics themselves are defined once, in :mod:`fapai.metrics`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web.templating import STATIC_DIR
from fapai import metrics
from fapai.db import schema_lag
from fapai.logs import REQUESTS

router = APIRouter(include_in_schema=False)
request_log = logging.getLogger(REQUESTS)

# The routes that price a property (the API and the court's form): counted as inquiries too.
INQUIRY_ROUTES = {("POST", "/api/inquiries"), ("POST", "/inquiries")}


def _models_state(state: Any) -> tuple[str, bool]:
    """(what the inquiry models are doing, whether that is healthy)."""
    if getattr(state, "inquiry_service", None) is not None:
        return "loaded", True
    error = getattr(state, "models_error", None)
    if error:
        return f"failed to load: {error}", False
    if state.settings.warm_models:
        return "loading", False
    return "loaded on the first inquiry (FAPAI_WARM_MODELS=0)", True


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, its schema is at the migrations' heads and the inquiry
    models are loaded (or lazily loaded by configuration); 503 naming what is not."""
    state = request.app.state
    checks: dict[str, str] = {}
    healthy = True
    try:
        behind = schema_lag(state.engine)
    except SQLAlchemyError as exc:
        checks["database"] = f"unreachable: {type(exc).__name__}"
        checks["migrations"] = "unknown"
        healthy = False
    else:
        checks["database"] = "ok"
        checks["migrations"] = "at head" if not behind else f"behind: {', '.join(behind)}"
        healthy = not behind
    checks["models"], models_ok = _models_state(state)
    healthy = healthy and models_ok
    body = {"status": "ok" if healthy else "unavailable", "checks": checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


@router.get("/metrics")
def prometheus_metrics() -> Response:
    """Every fapai metric in the Prometheus text format (all workers under ``fapai serve``)."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """The site icon (an SVG; the pages link it from ``/static`` too)."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


def route_template(scope: Scope) -> str:
    """The path with its parameters put back as ``{name}`` (``/api/lots/{lot_id}/bids``): a
    bounded label. ``unmatched`` when no route took the request."""
    if scope.get("route") is None:
        return "unmatched"
    names = {str(value): f"{{{name}}}" for name, value in scope.get("path_params", {}).items()}
    return "/".join(names.get(part, part) for part in scope["path"].split("/"))


class RequestLog:
    """ASGI middleware: per HTTP request, one log line (method, path without its query string,
    route template, status, duration; never headers, tokens or form fields) and the request
    metrics; for the inquiry routes, the inquiry count and latency."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    @staticmethod
    def _record(scope: Scope, status: int, seconds: float) -> None:
        method = scope["method"]
        route = route_template(scope)
        metrics.HTTP_REQUESTS.labels(method, route, str(status)).inc()
        metrics.HTTP_SECONDS.labels(route).observe(seconds)
        if (method, route) in INQUIRY_ROUTES:
            outcome = "failed" if status >= 500 else "refused" if status >= 400 else "issued"
            metrics.INQUIRIES.labels(outcome).inc()
            metrics.INQUIRY_SECONDS.observe(seconds)
        fields = {
            "event": "request",
            "method": method,
            "path": scope["path"],
            "route": route,
            "status": status,
            "ms": round(seconds * 1000, 1),
        }
        request_log.info(
            "%s %s %s %.1fms",
            method,
            scope["path"],
            status,
            seconds * 1000,
            extra={"fields": fields},
        )
