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

from app.cli_chinese import speak_chinese
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

speak_chinese()
app = typer.Typer(
    name="fapai",
    help="fapai 法拍：法院强制执行的网络询价与网络司法拍卖。",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="记录调试细节（含数据库迁移）。"),
) -> None:
    if not logging.getLogger().handlers:  # like basicConfig: a host that set up logging wins
        logs.configure("DEBUG" if verbose else "INFO", "text", migrations=verbose)


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
    host: str = typer.Option("127.0.0.1", help="监听的网络接口（0.0.0.0 为全部）。"),
    port: int = typer.Option(8000, help="TCP 端口。"),
    workers: int = typer.Option(1, min=1, help="工作进程数（每个都运行结拍循环）。"),
) -> None:
    """以 uvicorn 运行接口与网页（数据库为 FAPAI_DATABASE_URL，在工作进程启动前迁移一次）；
    日志为 JSON 行（FAPAI_LOG_FORMAT=text 为纯文本）。"""
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
        f"当前启用的价格模型为 {version}（若原先没有，已用随附数据训练）；"
        f"{refresh_database(settings, SystemClock())}"
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
