"""``create_app(settings, clock)``: the one FastAPI application (JSON API + web pages, and
``/healthz``, ``/metrics`` with a log line per request: :mod:`app.ops`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from fastapi import FastAPI

from app.market import estimate_loop
from auction.closing import close_once, closing_loop
from fapai.clock import Clock, SystemClock
from fapai.db import make_engine, migrate, session_factory, writer_engine
from fapai.settings import Settings, get_settings

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Migrate the database, open the engine, close what ended while the server was down,
    then run the closing loop until shutdown."""
    settings: Settings = app.state.settings
    await asyncio.to_thread(migrate, settings.database_url)
    engine = make_engine(settings.database_url, pool_size=20, max_overflow=40)
    app.state.engine = engine
    app.state.session_factory = session_factory(engine)
    app.state.writer_session_factory = session_factory(writer_engine(engine))
    # Commits of writing requests run here, never on the request thread pool (see
    # app.deps.get_writer_session).
    app.state.committer = ThreadPoolExecutor(max_workers=16, thread_name_prefix="fapai-commit")
    # SQLite has one writer: queue this process's writers fairly in the event loop.
    app.state.writer_gate = asyncio.Lock() if engine.dialect.name == "sqlite" else None
    await asyncio.to_thread(close_once, app.state.writer_session_factory, app.state.clock, settings)
    task = asyncio.create_task(
        closing_loop(app.state.writer_session_factory, app.state.clock, settings)
    )
    warm = asyncio.create_task(_warm_models(app)) if settings.warm_models else None
    # fapai's market estimate of every lot: priced once the models are loaded, and again when
    # a lot's round or the promoted models change (app.market).
    estimates = asyncio.create_task(estimate_loop(app.state, settings))
    try:
        yield
    finally:
        if warm is not None:
            warm.cancel()
        task.cancel()
        estimates.cancel()
        for running in (task, estimates):
            with contextlib.suppress(asyncio.CancelledError):
                await running
        app.state.committer.shutdown(wait=True)
        engine.dispose()


async def _warm_models(app: FastAPI) -> None:
    """Load the inquiry models off the event loop; a failure is logged, and the first inquiry
    then tries again and answers with the reason."""
    from app.inquiry import inquiry_service

    try:
        await asyncio.to_thread(inquiry_service, app.state)
        log.info("inquiry models loaded")
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        app.state.models_error = f"{type(exc).__name__}: {exc}"  # shown by /healthz
        log.exception("could not load the inquiry models at start-up")


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """Assemble routers, error handlers and the closing scheduler.

    ``clock`` is injected so tests control time; the server uses the system clock (UTC).
    """
    from app.api import api_router
    from app.errors import install_error_handlers
    from app.ops import RequestLog
    from app.ops import router as ops_router
    from app.security import install_security
    from app.web import web_router

    settings = settings or get_settings()
    # /docs and /redoc are pages of app.web (served offline, never from a CDN).
    app = FastAPI(
        title="fapai 法拍", version="0.1.0", lifespan=_lifespan, docs_url=None, redoc_url=None
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_error_handlers(app)
    install_security(app, settings)
    app.add_middleware(RequestLog)
    app.include_router(ops_router)
    app.include_router(api_router, prefix="/api")
    app.include_router(web_router)
    return app
