"""The ``fapai`` command: one Typer app wiring each room's commands, and ``fapai serve``.

Each room keeps its commands in its own ``cli.py`` with a ``register(app)`` function; this
module (the top floor, so it may import every room) only assembles them, and wires the
valuation room's price model into ``fapai demo``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import typer

from app.inquiry_cli import register as register_inquiry
from app.market import refresh_database
from auction import demo
from auction.cli import register as register_auction
from crawlers.cli import register as register_crawlers
from fapai import logs
from fapai.clock import SystemClock
from fapai.db import migrate
from fapai.metrics import MULTIPROC_ENV
from fapai.settings import Settings, get_settings
from valuation.cli import register as register_valuation
from valuation.registry import ensure_default_model

app = typer.Typer(
    name="fapai",
    help="fapai 法拍: online price inquiry and online judicial auction for court enforcement.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail.")) -> None:
    if not logging.getLogger().handlers:  # like basicConfig: a host that set up logging wins
        logs.configure("DEBUG" if verbose else "INFO", "text")


@contextmanager
def _metrics_dir() -> Iterator[None]:
    """One multiprocess metrics directory for the workers (prometheus_client), emptied of a
    previous run's files: ``PROMETHEUS_MULTIPROC_DIR`` chooses it, else a fresh one made here
    and removed when the server stops."""
    folder = os.environ.get(MULTIPROC_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()
        yield
        return
    with tempfile.TemporaryDirectory(prefix="fapai-metrics-") as fresh:
        os.environ[MULTIPROC_ENV] = fresh
        try:
            yield
        finally:
            del os.environ[MULTIPROC_ENV]


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, min=1, help="Worker processes (each runs the closing loop)."),
) -> None:
    """Run the API and the web pages with uvicorn on FAPAI_DATABASE_URL: migrated once, here,
    before the workers start; logs as JSON lines (FAPAI_LOG_FORMAT=text for plain text)."""
    import uvicorn

    settings = get_settings()
    logs.configure("INFO", settings.log_format)
    migrate(settings.database_url)
    with _metrics_dir() if workers > 1 else nullcontext():
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logs.logging_config("INFO", settings.log_format),
            access_log=False,
        )


def _price_model(settings: Settings) -> str:
    """Make sure a promoted price model exists (the valuation room trains one from the shipped
    data if none is), price the lots' market estimates with it; say both."""
    version = ensure_default_model(settings)
    return (
        f"price model {version} is the promoted one (trained from the shipped data if none "
        f"was); {refresh_database(settings, SystemClock())}"
    )


def _after_promote() -> str:
    """After ``fapai models promote`` or ``train --promote``: re-price the stored market
    estimates with the newly promoted models."""
    return refresh_database(get_settings(), SystemClock())


register_auction(app)
demo.register(app, ensure_model=_price_model)
register_valuation(app, after_promote=_after_promote)
register_crawlers(app)
register_inquiry(app)
