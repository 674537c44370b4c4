"""``create_app(settings)``: the one FastAPI application (JSON API + web pages)."""

from __future__ import annotations

from fastapi import FastAPI

from fapai.clock import Clock, SystemClock
from fapai.settings import Settings, get_settings


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """Assemble routers, error handlers, the closing scheduler and the model registry.

    ``clock`` is injected so tests control time; the server uses the system clock (UTC).
    """
    from auction.api import api_router
    from auction.web import web_router

    settings = settings or get_settings()
    app = FastAPI(title="fapai 法拍", version="0.1.0")
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.include_router(api_router, prefix="/api")
    app.include_router(web_router)
    return app
