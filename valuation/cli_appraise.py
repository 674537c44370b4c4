"""``fapai appraise IN -o OUT``: price a whole table of properties (批量评估) in one run.

Thin: the file in (:func:`valuation.data.read_listing_file`), the promoted price model's
:meth:`~valuation.model.PriceModel.appraise` chunk by chunk under a progress bar, the file out
with the input's columns plus ``estimate``, ``low80``, ``high80``, ``low90``, ``high90`` and
``refused``, and the refusals counted by reason.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fapai.clock import SystemClock, to_display
from fapai.settings import get_settings
from valuation.data import read_listing_file, write_listing_file
from valuation.model import REFUSALS

console = Console()
CHUNK_ROWS = 20_000


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]错误：[/red]{message}", soft_wrap=True)
    return typer.Exit(code=1)


def appraise(
    file: Path = typer.Argument(..., help="CSV (.csv, .csv.gz) or Parquet file, schema columns."),
    out: Path = typer.Option(..., "-o", "--out", help="Output .csv, .csv.gz or .parquet file."),
    as_of: str = typer.Option(
        None, "--as-of", help="Valuation date (YYYY-MM-DD); default today (Asia/Shanghai)."
    ),
) -> None:
    """Price every property in FILE at one valuation date; write OUT with the input's columns
    plus estimate, low80, high80, low90, high90 (yuan) and refused (why a row has no price)."""
    from valuation.registry import ModelRegistry, ensure_default_model

    settings = get_settings()
    try:
        when = (
            date.fromisoformat(as_of)
            if as_of
            else to_display(SystemClock().now(), settings.display_timezone).date()
        )
    except ValueError as exc:
        raise _fail(f"--as-of 应为日期，如 2024-06-30：{as_of!r}") from exc
    if not file.exists():
        raise _fail(f"{file}：文件不存在")
    try:
        table = read_listing_file(file)
        write_listing_file(table.head(0), out)  # the output type is checked before the work
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    with console.status("loading the price model…"):
        ensure_default_model(settings)
        model = ModelRegistry(settings.models_dir).current()
    parts = []
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("properties appraised", total=len(table))
        for start in range(0, len(table), CHUNK_ROWS):
            chunk = table.iloc[start : start + CHUNK_ROWS]
            parts.append(model.appraise(chunk, when))
            bar.advance(task, len(chunk))
    result = pd.concat([table, pd.concat(parts or [model.appraise(table, when)])], axis=1)
    write_listing_file(result, out)
    refused = result["refused"].value_counts()
    console.print(
        f"{len(table):,} properties, {len(table) - int(refused.sum()):,} priced at {when} "
        f"by price model {model.version}, {int(refused.sum()):,} refused; wrote {out}",
        soft_wrap=True,
    )
    if len(refused):
        t = Table(title="refused rows by reason")
        for col in ("reason", "rows", "why"):
            t.add_column(col, justify="right" if col == "rows" else "left")
        for reason, n in refused.items():
            t.add_row(reason, f"{n:,}", REFUSALS[reason.partition(":")[2]])
        console.print(t)


def register(app: typer.Typer) -> None:
    app.command("appraise")(appraise)
