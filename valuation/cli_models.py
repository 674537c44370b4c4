"""``fapai data import|export``, ``fapai train``, ``fapai evaluate``, ``fapai models list|promote``.

Thin: options in, the room's functions called (:mod:`valuation.data`, :mod:`valuation.train`,
:mod:`valuation.registry`), a rich progress bar and a table out. Errors are said in words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fapai.clock import SystemClock, to_display
from fapai.db import make_engine, migrate, session_factory
from fapai.settings import get_settings
from fapai.terminal import print_whole
from valuation.data import (
    import_listings,
    listings_frame,
    read_listing_file,
    validate_frame,
    write_listing_file,
    write_rejects,
)
from valuation.evaluate import report_rows
from valuation.model import rule_words
from valuation.registry import IncompatibleModel, ModelRegistry, UnknownModel, model_names

console = Console()
data_app = typer.Typer(help="市场挂牌数据：导入项目数据库、从中导出。", no_args_is_help=True)
models_app = typer.Typer(
    help="各类已训练模型（价格模型、结果模型）：列出版本，启用其一。", no_args_is_help=True
)

KIND_NAMES = {"price": "价格", "outcome": "结果"}
SOURCE_HELP = (
    "挂牌数据的来源：default（随附的真实市场数据）、db（项目数据库，FAPAI_DATABASE_URL）"
    "或按挂牌数据格式的 CSV/Parquet 文件路径。"
)


# Run after a promotion, each saying what it did: the root command wires in the app's
# re-pricing of the lots' stored market estimates (this room knows nothing of lots).
_after_promote: list[Callable[[], str]] = []


def _promoted(name: str, version: str) -> None:
    console.print(f"已启用 {name}-{version}")
    for then in _after_promote:
        console.print(then(), soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    # A sentence is never broken at the terminal width: a path in it must stay copyable.
    console.print(f"[red]错误：[/red]{message}", soft_wrap=True)
    return typer.Exit(code=1)


def _factory():
    url = get_settings().database_url
    migrate(url)
    return session_factory(make_engine(url))


def _load_source(source: str, limit: int | None) -> pd.DataFrame:
    """Listings from 'default', 'db' or a file; a seeded random ``limit`` slice if given."""
    from valuation.market_data import load_default_listings

    if source == "default":
        return load_default_listings(limit)
    if source == "db":
        factory = _factory()
        with factory() as session:
            frame = listings_frame(session)
        if frame.empty:
            raise _fail("项目数据库中没有挂牌数据：请先运行 `fapai data import 文件`")
    else:
        path = Path(source)
        if not path.exists():
            raise _fail(f"{path}：文件不存在（来源应为 default、db 或一个文件）")
        try:
            frame = read_listing_file(path)
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        frame = _validated(frame)
    if limit is not None and limit < len(frame):
        frame = frame.sample(n=limit, random_state=0).reset_index(drop=True)
    return frame


def _validated(frame: pd.DataFrame) -> pd.DataFrame:
    """A file's rows through the listing schema; rejects are counted and printed."""
    clean, rejected = validate_frame(frame)
    _print_rejects(len(frame), len(clean), rejected)
    return clean


def _print_rejects(read: int, kept: int, rejected: dict[str, int]) -> None:
    console.print(f"读取 {read:,} 行，有效 {kept:,} 行，拒收 {read - kept:,} 行")
    if rejected:
        t = Table(title="拒收的行，按原因")
        t.add_column("原因（字段:规则）")
        t.add_column("说明")
        t.add_column("行数", justify="right")
        for reason, n in sorted(rejected.items(), key=lambda kv: -kv[1]):
            t.add_row(reason, rule_words(reason), f"{n:,}")
        print_whole(console, t)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeElapsedColumn(),
        console=console,
    )


# --- data ---------------------------------------------------------------------------------
@data_app.command("import")
def data_import(
    file: Path = typer.Argument(
        ..., help="CSV（.csv、.csv.gz）或 Parquet 文件，列名同挂牌数据格式。"
    ),
    batch_size: int = typer.Option(2000, help="每个事务写入的行数。"),
    rejects: Path = typer.Option(
        None,
        "--rejects",
        help="拒收行写到哪里（默认：与文件同目录，文件名加 .rejects.csv）。",
    ),
) -> None:
    """校验文件中的挂牌数据并写入项目数据库（已有的更新）。

    每个拒收的行按原因（字段:规则）计数并显示，连同行号（1 = 表头后的第一行）写入拒收文件，
    不会悄悄丢弃。价格可带小数（单价、总价均可）。
    """
    if not file.exists():
        raise _fail(f"{file}：文件不存在")
    try:
        frame = read_listing_file(file)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    factory = _factory()
    with _progress() as bar:
        task = bar.add_task(f"导入 {file.name}（行）", total=len(frame))
        report = import_listings(
            factory, frame, SystemClock().now(), batch_size, progress=lambda n: bar.advance(task, n)
        )
    _print_rejects(report.read, report.kept, dict(report.rejected))
    if report.rejected_rows:
        path = rejects or file.with_name(file.name + ".rejects.csv")
        write_rejects(report.rejected_rows, path)
        console.print(f"拒收的行及其行号已写入：{path}", soft_wrap=True)
    s = report.stored
    console.print(
        f"已写入：新增 {s.inserted:,} 条，更新 {s.updated:,} 条"
        f"（其中价格变动 {s.price_changed:,} 条），未变 {s.unchanged:,} 条"
    )


@data_app.command("export")
def data_export(
    file: Path = typer.Argument(..., help="输出文件：.csv、.csv.gz 或 .parquet。"),
) -> None:
    """把项目数据库中的全部挂牌数据写入文件（挂牌数据格式的列）。"""
    factory = _factory()
    with factory() as session:
        frame = listings_frame(session)
    if frame.empty:
        from valuation.market_data import default_listings_path

        console.print(
            "项目数据库中没有挂牌数据，无可导出。随附的市场数据在 "
            f"{default_listings_path()}（`fapai train --source default` 即用它训练；"
            "用 `fapai data import` 导入后即在数据库中）。",
            soft_wrap=True,
        )
        raise typer.Exit(code=1)
    try:
        write_listing_file(frame, file)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"已把 {len(frame):,} 条挂牌数据写入 {file}", soft_wrap=True)


# --- training and evaluation --------------------------------------------------------------
def train(
    source: str = typer.Option("default", "--source", help=SOURCE_HELP),
    name: str = typer.Option("price", "--name", help="模型名称：模型文件为 名称-版本。"),
    limit: int = typer.Option(None, "--limit", help="只用固定随机种子抽取的 N 行训练。"),
    promote: bool = typer.Option(False, "--promote", help="训练后立即启用新版本。"),
) -> None:
    """训练价格模型，写出 models/名称-版本.joblib 及其 JSON 模型卡。"""
    from valuation.train import train_price_model

    settings = get_settings()
    frame = _load_source(source, limit)
    with _progress() as bar:
        task = bar.add_task("训练（已完成的步骤占比）", total=1.0)

        def step(what: str, done: float) -> None:
            bar.update(task, completed=done, description=what)

        try:
            trained = train_price_model(
                frame, now=SystemClock().now(), name=name, source=source, progress=step
            )
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    registry = ModelRegistry(settings.models_dir, name)
    path = registry.save(trained.artifact, trained.card)
    console.print(f"已写出 {path}（{path.stat().st_size / 1e6:.1f} MB）及其模型卡", soft_wrap=True)
    check = trained.card.get("metrics", {}).get("check_rows_random_10pct")
    if check:
        _print_report("随机 10% 校验行", check)
    if promote:
        registry.promote(trained.card["version"])
        _promoted(name, trained.card["version"])


def _print_report(title: str, report: dict) -> None:
    t = Table(title=title)
    for col in ("指标", "模型", "区县单价中位数 × 面积"):
        t.add_column(col, justify="left" if col == "指标" else "right")
    for row in report_rows(report):
        t.add_row(*row)
    print_whole(console, t)


def evaluate(
    source: str = typer.Option("default", "--source", help=SOURCE_HELP),
    test_share: float = typer.Option(
        0.2, "--test-share", min=0.05, max=0.5, help="按时间留出最新的这一比例的行作检验。"
    ),
    limit: int = typer.Option(None, "--limit", help="只用固定随机种子抽取的 N 行。"),
) -> None:
    """按时间留出检验：用较早的挂牌训练，为最新的估价，并与基线对照。

    显示 MdAPE、误差在 ±10%/±20% 以内的比例、IAAO 中位比率、COD 与 PRD、80%/90% 区间覆盖率，
    每项都与同一批行上的“区县单价中位数 × 面积”对照。
    """
    from valuation.train import evaluate_time_ordered

    frame = _load_source(source, limit)
    with _progress() as bar:
        task = bar.add_task("检验（已完成的步骤占比）", total=1.0)
        try:
            report = evaluate_time_ordered(
                frame,
                now=SystemClock().now(),
                test_share=test_share,
                progress=lambda what, done: bar.update(task, completed=done, description=what),
            )
        except ValueError as exc:
            raise _fail(str(exc)) from exc
    s = report["split"]
    _print_report(
        f"按时间留出检验：训练 {s['train_rows']:,} 行，检验 {s['test_rows']:,} 行"
        f"（{s['test_from']} – {s['test_to']}）",
        report,
    )


# --- models -------------------------------------------------------------------------------
def _mdape(card: dict) -> str:
    """The card's headline accuracy: the price model's random 10% check rows, the outcome
    model's time-ordered hold-out."""
    metrics = card.get("metrics", {})
    m = metrics.get("check_rows_random_10pct", {}).get("model") or metrics.get("model", {})
    return f"{m['mdape']:.1%}" if "mdape" in m else "—"


def _coverage(card: dict) -> str:
    m = card.get("metrics", {}).get("check_rows_random_10pct", {}).get("model", {})
    return f"{m['coverage_80']:.1%}" if "coverage_80" in m else "—"


def _shown_time(stamp: str, tz: str) -> str:
    """A card's UTC time stamp as people read it (the display time zone)."""
    return to_display(datetime.fromisoformat(stamp), tz).strftime("%Y-%m-%d %H:%M")


@models_app.command("list")
def models_list(
    name: str = typer.Option(None, "--name", help="只列这一名称的模型（price、outcome…）。"),
) -> None:
    """列出各类模型已保存的版本：训练数据、精度、是否已启用。"""
    settings = get_settings()
    models_dir, tz = settings.models_dir, settings.display_timezone
    names = [name] if name else model_names(models_dir)
    cards = [c for n in names for c in ModelRegistry(models_dir, n).list()]
    if not cards:
        console.print(f"{models_dir} 中没有模型：请运行 `fapai train`", soft_wrap=True)
        return
    t = Table(title=f"{models_dir} 中的模型")
    for col in (
        "名称",
        "版本",
        "种类",
        "创建时间",
        "行数",
        "MdAPE",
        "80%覆盖率",
        "sklearn",
        "已启用",
    ):
        t.add_column(col, no_wrap=True)
    for c in cards:
        t.add_row(
            c["name"],
            c["version"],
            KIND_NAMES.get(c.get("kind", "price"), c.get("kind", "price")),
            _shown_time(c["created_at"], tz),
            f"{c['data']['rows']:,}",
            _mdape(c),
            _coverage(c),
            c["versions"]["scikit-learn"] + ("" if c["compatible"] else " [red]（不兼容）"),
            "[green]是[/green]" if c["promoted"] else "",
        )
    print_whole(console, t)  # a version id is copied into `fapai models promote`: never cut


@models_app.command("promote")
def models_promote(
    version: str = typer.Argument(..., help="要启用的版本（见 `fapai models list`）。"),
    name: str = typer.Option(None, "--name", help="模型名称；不填时按版本查找。"),
    force: bool = typer.Option(False, "--force", help="即使该版本在同一批留出行上得分更差也启用。"),
) -> None:
    """从现在起启用该版本（任何种类的模型）；运行中的服务在下一次询价时切换。

    若该版本与当前启用的版本在同一批留出行上检验过（同一训练数据与随机种子），
    MdAPE 更差时拒绝启用，除非加 --force。
    """
    models_dir = get_settings().models_dir
    if name is None:
        owners = [
            n
            for n in model_names(models_dir)
            if ModelRegistry(models_dir, n).card_path(version).exists()
        ]
        if len(owners) > 1:
            raise _fail(f"{'、'.join(owners)} 都有版本 {version!r}：请加 --name")
        name = owners[0] if owners else "price"
    registry = ModelRegistry(models_dir, name)
    try:
        worse = _worse_than_promoted(registry, version)
        if worse and not force:
            raise _fail(f"{worse}；如仍要启用，请加 --force")
        if worse:
            console.print(f"[yellow]警告：[/yellow]{worse}", soft_wrap=True)
        registry.promote(version)
    except (UnknownModel, IncompatibleModel) as exc:
        raise _fail(str(exc)) from exc
    _promoted(name, version)


def _worse_than_promoted(registry: ModelRegistry, version: str) -> str | None:
    """Why VERSION is worse than the promoted one on the same hold-out, or None."""
    current = registry.promoted_version()
    if current is None or current == version:
        return None
    new, old = registry.card(version), registry.card(current)

    def held_out(card: dict) -> tuple:
        data = card.get("data", {})
        return (data.get("hash"), card.get("params", {}).get("random_state"), data.get("split"))

    if None in held_out(new) or held_out(new) != held_out(old):
        return None  # different rows held out: the cards' figures do not compare
    key = "check_rows_random_10pct"
    new_m = new.get("metrics", {}).get(key, {}).get("model", {}).get("mdape")
    old_m = old.get("metrics", {}).get(key, {}).get("model", {}).get("mdape")
    if new_m is None or old_m is None or new_m <= old_m:
        return None
    return (
        f"{version} 在同一批留出行上比当前启用的 {current} 更差"
        f"（MdAPE {new_m:.2%}，对比 {old_m:.2%}）"
    )


def register(app: typer.Typer, after_promote: Callable[[], str] | None = None) -> None:
    """Add this module's commands; ``after_promote()`` runs after every promotion."""
    _after_promote[:] = [after_promote] if after_promote else []
    app.add_typer(data_app, name="data")
    app.add_typer(models_app, name="models")
    app.command("train")(train)
    app.command("evaluate")(evaluate)
