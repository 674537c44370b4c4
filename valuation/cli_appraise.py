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
from fapai.terminal import print_whole
from valuation.data import read_listing_file, write_listing_file
from valuation.model import rule_words

console = Console()
CHUNK_ROWS = 20_000


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]错误：[/red]{message}", soft_wrap=True)
    return typer.Exit(code=1)


def appraise(
    file: Path = typer.Argument(
        ..., help="CSV（.csv、.csv.gz）或 Parquet 文件，列名同挂牌数据格式。"
    ),
    out: Path = typer.Option(..., "-o", "--out", help="输出文件：.csv、.csv.gz 或 .parquet。"),
    as_of: str = typer.Option(
        None, "--as-of", help="估价时点（YYYY-MM-DD）；默认今天（北京时间）。"
    ),
) -> None:
    """批量评估：按同一估价时点为文件中的每处房产估价；输出文件保留输入的列，
    另加 estimate、low80、high80、low90、high90（元）与 refused（无法估价的原因）。"""
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
    with console.status("正在载入价格模型…"):
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
        task = bar.add_task("已评估的房产（处）", total=len(table))
        for start in range(0, len(table), CHUNK_ROWS):
            chunk = table.iloc[start : start + CHUNK_ROWS]
            parts.append(model.appraise(chunk, when))
            bar.advance(task, len(chunk))
    result = pd.concat([table, pd.concat(parts or [model.appraise(table, when)])], axis=1)
    write_listing_file(result, out)
    refused = result["refused"].value_counts()
    console.print(
        f"共 {len(table):,} 处房产：{len(table) - int(refused.sum()):,} 处已由价格模型 "
        f"{model.version} 按 {when} 估价，{int(refused.sum()):,} 处无法估价；已写出 {out}",
        soft_wrap=True,
    )
    if len(refused):
        t = Table(title="无法估价的行，按原因")
        for col in ("原因（字段:代码）", "行数", "说明"):
            t.add_column(col, justify="right" if col == "行数" else "left")
        for reason, n in refused.items():
            t.add_row(reason, f"{n:,}", rule_words(reason))
        print_whole(console, t)


def register(app: typer.Typer) -> None:
    app.command("appraise")(appraise)
