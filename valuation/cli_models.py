"""``fapai data import|export``, ``fapai train``, ``fapai evaluate``, ``fapai models list|promote``.

Thin: options in, the room's functions called (:mod:`valuation.data`, :mod:`valuation.train`,
:mod:`valuation.registry`), a rich progress bar and a table out. Errors are said in words.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fapai.clock import SystemClock
from fapai.db import make_engine, migrate, session_factory
from fapai.settings import get_settings
from valuation.data import (
    import_listings,
    listings_frame,
    read_listing_file,
    validate_frame,
    write_listing_file,
    write_rejects,
)
from valuation.evaluate import report_rows
from valuation.registry import IncompatibleModel, ModelRegistry, UnknownModel, model_names

console = Console()
data_app = typer.Typer(
    help="Market listings in and out of the project database.", no_args_is_help=True
)
models_app = typer.Typer(
    help="Trained models of every kind (price, outcome): list them, promote one.",
    no_args_is_help=True,
)

SOURCE_HELP = (
    "Where the listings come from: 'default' (the shipped real market data), 'db' (the "
    "project database, FAPAI_DATABASE_URL) or a CSV/Parquet FILE with the listing schema."
)


# Run after a promotion, each saying what it did: the root command wires in the app's
# re-pricing of the lots' stored market estimates (this room knows nothing of lots).
_after_promote: list[Callable[[], str]] = []


def _promoted(name: str, version: str) -> None:
    console.print(f"promoted {name}-{version}")
    for then in _after_promote:
        console.print(then(), soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    # A sentence is never broken at the terminal width: a path in it must stay copyable.
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
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
            raise _fail("the project database holds no listings: `fapai data import FILE` first")
    else:
        path = Path(source)
        if not path.exists():
            raise _fail(f"{path}: no such file (the source is 'default', 'db' or a file)")
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
    console.print(f"{read:,} rows read, {kept:,} valid, {read - kept:,} rejected")
    if rejected:
        t = Table(title="rejected rows by reason")
        t.add_column("reason")
        t.add_column("rows", justify="right")
        for reason, n in sorted(rejected.items(), key=lambda kv: -kv[1]):
            t.add_row(reason, f"{n:,}")
        console.print(t)


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
    file: Path = typer.Argument(..., help="CSV (.csv, .csv.gz) or Parquet file, schema columns."),
    batch_size: int = typer.Option(2000, help="Rows per transaction."),
    rejects: Path = typer.Option(
        None,
        "--rejects",
        help="Where to write the rejected rows (default: FILE's name + .rejects.csv beside it).",
    ),
) -> None:
    """Validate listings from FILE and upsert them into the project database.

    Every rejected row is counted by reason (field:rule) and printed, and written with its row
    number (1 = the first row after the header) to a rejects file; none is dropped silently.
    Prices may carry decimals (rounded to the yuan).
    """
    if not file.exists():
        raise _fail(f"{file}: no such file")
    try:
        frame = read_listing_file(file)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    factory = _factory()
    with _progress() as bar:
        task = bar.add_task(f"importing {file.name} (rows)", total=len(frame))
        report = import_listings(
            factory, frame, SystemClock().now(), batch_size, progress=lambda n: bar.advance(task, n)
        )
    _print_rejects(report.read, report.kept, dict(report.rejected))
    if report.rejected_rows:
        path = rejects or file.with_name(file.name + ".rejects.csv")
        write_rejects(report.rejected_rows, path)
        console.print(f"rejected rows with their row numbers: {path}", soft_wrap=True)
    s = report.stored
    console.print(
        f"stored: {s.inserted:,} new, {s.updated:,} updated "
        f"({s.price_changed:,} price changes), {s.unchanged:,} unchanged"
    )


@data_app.command("export")
def data_export(
    file: Path = typer.Argument(..., help="Output .csv, .csv.gz or .parquet file."),
) -> None:
    """Write every listing in the project database to FILE (the listing schema's columns)."""
    factory = _factory()
    with factory() as session:
        frame = listings_frame(session)
    if frame.empty:
        from valuation.market_data import default_listings_path

        console.print(
            "the project database holds no listings: nothing to export. The shipped market "
            f"data is {default_listings_path()} (`fapai train --source default` uses it; "
            "`fapai data import` it to have it in the database).",
            soft_wrap=True,
        )
        raise typer.Exit(code=1)
    try:
        write_listing_file(frame, file)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"wrote {len(frame):,} listings to {file}")


# --- training and evaluation --------------------------------------------------------------
def train(
    source: str = typer.Option("default", "--source", help=SOURCE_HELP),
    name: str = typer.Option("price", "--name", help="Model name: the artifact is NAME-VERSION."),
    limit: int = typer.Option(None, "--limit", help="Train on a seeded random slice of N rows."),
    promote: bool = typer.Option(False, "--promote", help="Promote the new version at once."),
) -> None:
    """Train a price model and write models/NAME-VERSION.joblib with its JSON model card."""
    from valuation.train import train_price_model

    settings = get_settings()
    frame = _load_source(source, limit)
    with _progress() as bar:
        task = bar.add_task("training (share of the steps)", total=1.0)

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
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) and its card", soft_wrap=True)
    check = trained.card.get("metrics", {}).get("check_rows_random_10pct")
    if check:
        _print_report("random 10% check rows", check)
    if promote:
        registry.promote(trained.card["version"])
        _promoted(name, trained.card["version"])


def _print_report(title: str, report: dict) -> None:
    t = Table(title=title)
    for col in ("metric", "model", "district median × area"):
        t.add_column(col, justify="left" if col == "metric" else "right")
    for row in report_rows(report):
        t.add_row(*row)
    console.print(t)


def evaluate(
    source: str = typer.Option("default", "--source", help=SOURCE_HELP),
    test_share: float = typer.Option(
        0.2, "--test-share", min=0.05, max=0.5, help="The latest share of rows held out."
    ),
    limit: int = typer.Option(None, "--limit", help="Use a seeded random slice of N rows."),
) -> None:
    """Time-ordered hold-out: train on earlier listings, price the latest, beside the baseline.

    Prints MdAPE, within ±10%/±20%, the IAAO median ratio, COD and PRD, and the 80%/90%
    interval coverage, each beside district median unit price × area from the same rows.
    """
    from valuation.train import evaluate_time_ordered

    frame = _load_source(source, limit)
    with _progress() as bar:
        task = bar.add_task("evaluating (share of the steps)", total=1.0)
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
        f"time-ordered hold-out: {s['train_rows']:,} train, {s['test_rows']:,} test "
        f"({s['test_from']} – {s['test_to']})",
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


@models_app.command("list")
def models_list(
    name: str = typer.Option(None, "--name", help="Only this model name (price, outcome…)."),
) -> None:
    """Saved versions of every model kind with their data, accuracy and whether promoted."""
    models_dir = get_settings().models_dir
    names = [name] if name else model_names(models_dir)
    cards = [c for n in names for c in ModelRegistry(models_dir, n).list()]
    if not cards:
        console.print(f"no models in {models_dir}: run `fapai train`", soft_wrap=True)
        return
    t = Table(title=f"models in {models_dir}")
    t.add_column("name", no_wrap=True, min_width=max(len(c["name"]) for c in cards))
    # A version id is copied into `fapai models promote`: never cut, whatever the width.
    t.add_column("version", no_wrap=True, min_width=max(len(c["version"]) for c in cards))
    for col in ("kind", "created", "rows", "MdAPE", "80% cov.", "sklearn", "promoted"):
        t.add_column(col, overflow="fold")
    for c in cards:
        t.add_row(
            c["name"],
            c["version"],
            c.get("kind", "price"),
            c["created_at"][:19],
            f"{c['data']['rows']:,}",
            _mdape(c),
            _coverage(c),
            c["versions"]["scikit-learn"] + ("" if c["compatible"] else " [red](incompatible)"),
            "[green]yes[/green]" if c["promoted"] else "",
        )
    console.print(t)


@models_app.command("promote")
def models_promote(
    version: str = typer.Argument(..., help="The version to serve (see `fapai models list`)."),
    name: str = typer.Option(
        None, "--name", help="The model name; found from the version when not given."
    ),
    force: bool = typer.Option(
        False, "--force", help="Promote even if VERSION scores worse on the same hold-out."
    ),
) -> None:
    """Serve VERSION (of any kind) from now on; running servers switch at their next inquiry.

    When VERSION and the promoted version were checked on the same hold-out rows (the same
    training data and seed), a worse MdAPE is refused unless --force.
    """
    models_dir = get_settings().models_dir
    if name is None:
        owners = [
            n
            for n in model_names(models_dir)
            if ModelRegistry(models_dir, n).card_path(version).exists()
        ]
        if len(owners) > 1:
            raise _fail(f"version {version!r} exists for {', '.join(owners)}: add --name")
        name = owners[0] if owners else "price"
    registry = ModelRegistry(models_dir, name)
    try:
        worse = _worse_than_promoted(registry, version)
        if worse and not force:
            raise _fail(f"{worse}; add --force to promote it anyway")
        if worse:
            console.print(f"[yellow]warning:[/yellow] {worse}", soft_wrap=True)
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
        f"{version} scores worse than the promoted {current} on the same hold-out "
        f"(MdAPE {new_m:.2%} vs {old_m:.2%})"
    )


def register(app: typer.Typer, after_promote: Callable[[], str] | None = None) -> None:
    """Add this module's commands; ``after_promote()`` runs after every promotion."""
    _after_promote[:] = [after_promote] if after_promote else []
    app.add_typer(data_app, name="data")
    app.add_typer(models_app, name="models")
    app.command("train")(train)
    app.command("evaluate")(evaluate)
