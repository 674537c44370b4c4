"""``fapai inquire`` (an inquiry report from the command line) and ``fapai train-outcome``.

Thin: ``inquire`` builds the API's own request body and calls the one inquiry service
(:mod:`app.inquiry`); ``train-outcome`` wires the auction room's finished rounds
(:func:`auction.history.finished_rounds`) and the crawled results into the outcome model's
training (:mod:`valuation.outcome`), the two rooms meeting here, above both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from app.market import refresh_database
from auction.auth import court_by_code
from fapai.clock import SystemClock, to_display
from fapai.db import make_engine, migrate, session_factory, session_scope
from fapai.errors import NotFound, RuleViolation
from fapai.settings import get_settings

if TYPE_CHECKING:
    from valuation.outcome import FinishedRound

console = Console()
COMPARABLE_COLUMNS = (
    "district",
    "community",
    "area_m2",
    "rooms",
    "observed_on",
    "price_total",
    "adjusted_price_total",
)


def _parse_source(raw: str) -> dict[str, str | None]:
    platform, sep, amount = raw.partition("=")
    if not platform.strip() or (sep and not amount.strip()):
        raise typer.BadParameter(
            f"{raw!r}: write PLATFORM=PRICE in yuan, e.g. 京东=2100000 (PLATFORM alone: asked, "
            "no answer)"
        )
    return {"platform": platform.strip(), "price": amount.strip() or None}


def inquire(
    city: str = typer.Option(..., help="City, e.g. 广州 or 广州市."),
    district: str = typer.Option(None, help="District, e.g. 天河 or 天河区."),
    area: float = typer.Option(..., "--area", help="Building area in m²."),
    community: str = typer.Option(None, help="Residential community (小区)."),
    address: str = typer.Option(None, help="Address, kept in the report as given."),
    property_type: str = typer.Option("residential", help="residential, commercial, parking…"),
    rooms: int = typer.Option(None, help="Bedrooms (室)."),
    halls: int = typer.Option(None, help="Living rooms (厅)."),
    bathrooms: int = typer.Option(None, help="Bathrooms (卫)."),
    floor: int = typer.Option(None, help="Floor number."),
    total_floors: int = typer.Option(None, help="Floors in the building."),
    build_year: int = typer.Option(None, help="Year built."),
    decoration: str = typer.Option(None, help="精装, 简装, 毛坯 or 其他."),
    building_type: str = typer.Option(None, help="塔楼 (tower), 板塔结合 (mixed) or 板楼 (slab)."),
    near_metro: bool = typer.Option(
        None, "--near-metro/--no-near-metro", help="Near a metro station, if known."
    ),
    source: list[str] = typer.Option(
        [],
        "--source",
        help="A listed inquiry platform asked, PLATFORM=YUAN (its result) or PLATFORM (no "
        "answer); repeat for more.",
    ),
    confirmed: bool = typer.Option(
        False, "--confirm", help="Keep a platform result flagged as far from every other source."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    save: bool = typer.Option(
        False,
        "--save/--no-save",
        help="Store the report in the database so a lot can take its reference price.",
    ),
    court: str = typer.Option(
        None,
        "--court",
        help="With --save: the court (its code) whose report it is; only that court's users "
        "see it and publish from it.",
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="Valuation date (YYYY-MM-DD); default today (Asia/Shanghai)."
    ),
    bizcircle: str = typer.Option(None, help="Business circle (商圈), where no district."),
) -> None:
    """Price a property: the legal reference price (the mean of the listed platforms'
    results, 参考价规定 第十三条), fapai's estimate beside it with interval and comparables,
    start-price floor (70%, 拍卖规定 第十条), proposed start price with its expected outcome,
    and deposit range (5–20%, 第十七条)."""
    from pydantic import ValidationError

    from app.inquiry import InquiryService
    from app.schemas import InquiryIn

    settings = get_settings()
    clock = SystemClock()
    try:
        request = InquiryIn.model_validate(
            {
                "property_type": property_type,
                "city": city,
                "district": district,
                "area_m2": area,
                "community": community,
                "address": address,
                "rooms": rooms,
                "halls": halls,
                "bathrooms": bathrooms,
                "floor": floor,
                "total_floors": total_floors,
                "build_year": build_year,
                "decoration": decoration,
                "building_type": building_type,
                "near_metro": near_metro,
                "as_of": as_of,
                "bizcircle": bizcircle,
                "sources": [_parse_source(s) for s in source],
                "confirmed": confirmed,
            }
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        console.print(f"[red]Cannot price this property[/red]: {where}: {first['msg']}")
        raise typer.Exit(2) from exc
    with console.status("loading models…"):
        service = InquiryService.load(settings, clock)
    try:
        if save:
            migrate(settings.database_url)
            with session_scope(session_factory(make_engine(settings.database_url))) as session:
                home = court_by_code(session, court).id if court else None  # None: no court's
                body = service.inquire(session, request, home)
        else:
            body = {"id": None, **service.price(request).to_json()}
    except NotFound as exc:
        console.print(f"[red]{exc.message}[/red]", soft_wrap=True)
        raise typer.Exit(2) from exc
    except RuleViolation as exc:
        article = f" ({exc.article})" if exc.article else ""
        console.print(
            f"[red]Cannot price this property[/red]: {exc.field}: {exc.rule}{article}",
            soft_wrap=True,
        )
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        _print_report(body, settings.display_timezone)


def _yuan(v: Any) -> str:
    return "—" if v is None else f"¥{v:,.2f}"


def _print_report(body: dict[str, Any], tz: str) -> None:
    from datetime import datetime

    d = body["description"]
    title = f"Inquiry {body['id'] or '(not saved)'}: {d['city']}{d.get('district') or ''}"
    t = Table(title=title, show_header=False)
    # The legal words on lines of their own, never wrapped inside a cell.
    if body["reference_price"] is None:
        t.add_row("reference price", "[bold yellow]none yet[/bold yellow]")
        notes = [body["reference_note"]]
    else:
        t.add_row("reference price", f"[bold]{_yuan(body['reference_price'])}[/bold]")
        notes = [body["reference_rule"]]
    for s in body["sources"]:
        answer = _yuan(s["price"]) if s["price"] is not None else "no answer"
        flag = " [yellow](far from the others; confirmed)[/yellow]" if s["flagged"] else ""
        t.add_row(f"  source {s['platform']}", f"{answer}, asked {s['asked_at'][:16]}{flag}")
    counts = "counts as a source" if body["estimate_counts_as_source"] else "independent check"
    t.add_row("fapai estimate", f"{_yuan(body['estimate_price'])}  ({counts})")
    t.add_row("unit price (fapai)", f"{_yuan(body['unit_price'])} / m²")
    for level, (lo, hi) in body["interval"].items():
        t.add_row(f"{level}% interval", f"{_yuan(lo)} – {_yuan(hi)}")
    t.add_row("start price floor", f"{_yuan(body['start_price_floor'])}  (拍卖规定 第十条)")
    exp = body["expected_outcome"]
    t.add_row(
        "proposed start",
        f"[bold]{_yuan(body['proposed_start_price'])}[/bold]  "
        f"chance of sale {exp['chance_of_sale']:.0%}, expected final "
        f"{_yuan(exp['expected_final_price'])}, expected recovery "
        f"{_yuan(exp['expected_recovery'])}",
    )
    again = body["if_unsold"]
    t.add_row(
        "if unsold: round 2",
        f"start {_yuan(again['proposed']['start_price'])} in "
        f"{_yuan(again['lawful_range'][0])} – {_yuan(again['lawful_range'][1])} "
        "(cut ≤ 20%, 拍卖规定 第二十六条)",
    )
    lo, hi = body["deposit_range"]
    t.add_row("deposit range", f"{_yuan(lo)} – {_yuan(hi)}  (拍卖规定 第十七条)")
    valid = to_display(datetime.fromisoformat(body["valid_until"]), tz)
    t.add_row("valid until", valid.strftime("%Y-%m-%d %H:%M %Z"))
    t.add_row("models", f"price {body['model_version']}, outcome {body['outcome_model_version']}")
    for note in body["outcome"]["fallback"]:
        t.add_row("[yellow]note[/yellow]", note)
    console.print(t)
    for note in notes:
        console.print(note, soft_wrap=True)
    if body["comparables"]:
        c = Table(title="Comparables (price adjusted to the subject)")
        keys = [k for k in COMPARABLE_COLUMNS if k in body["comparables"][0]]
        for k in keys:
            c.add_column(k.replace("_", " "), justify="right")
        for row in body["comparables"]:
            c.add_row(*("" if row.get(k) is None else str(row[k]) for k in keys))
        console.print(c)
    curve = Table(title="Outcome by start price (this round)")
    for col in ("start ratio", "start", "chance of sale", "expected final", "expected recovery"):
        curve.add_column(col, justify="right")
    proposed = body["proposed_start_price"]
    for p in body["outcome"]["curve"][::5]:
        style = "bold" if p["start_price"] == proposed else None
        curve.add_row(
            f"{p['start_ratio']:.2f}",
            _yuan(p["start_price"]),
            f"{p['chance_of_sale']:.0%}",
            _yuan(p["expected_final_price"]),
            _yuan(p["expected_recovery"]),
            style=style,
        )
    console.print(curve)


def own_finished_rounds(session: Session) -> list[FinishedRound]:
    """The auction room's finished rounds as the outcome model's records: the one door
    between the two rooms, opened here above both."""
    from auction.history import finished_rounds
    from valuation.outcome import FinishedRound, Lot

    return [
        FinishedRound(
            Lot(r.city, r.reference_fen, r.closed_on, r.area_m2, r.district),
            r.start_fen,
            r.sold,
            r.final_fen,
        )
        for r in finished_rounds(session)
    ]


def train_outcome_command(
    source: str = typer.Option(
        "db",
        help="db: the shipped history plus the database's finished rounds (own auctions "
        "and crawled results); shipped: the shipped history only.",
    ),
    models_dir: Path = typer.Option(None, help="Where to write the artifact (default: settings)."),
    promote: bool = typer.Option(
        False,
        "--promote",
        help="Serve it at once; otherwise it serves once promoted (`fapai models promote V`).",
    ),
) -> None:
    """Train the auction-outcome model (chance of sale and expected final price by start ratio)
    and write models/outcome-VERSION.joblib with its JSON card (the one model registry)."""
    from valuation.outcome import (
        MODEL_NAME,
        crawled_rounds,
        load_history,
        train_outcome,
    )
    from valuation.registry import ModelRegistry

    if source not in ("db", "shipped"):
        raise typer.BadParameter("--source is db or shipped")
    settings = get_settings()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        step = progress.add_task("reading the shipped history", total=3)
        history = load_history()
        own: list[FinishedRound] = []
        crawled: list[FinishedRound] = []
        if source == "db":
            progress.update(step, description="reading finished rounds from the database")
            migrate(settings.database_url)
            with session_scope(session_factory(make_engine(settings.database_url))) as session:
                own = own_finished_rounds(session)
                crawled = crawled_rounds(session)
        progress.update(step, advance=1, description="training")
        rounds = own + crawled
        model = train_outcome(
            history,
            rounds,
            SystemClock().now(),
            {"own_rounds": len(own), "crawled_rounds": len(crawled)},
        )
        progress.update(step, advance=1, description="saving")
        registry = ModelRegistry(models_dir or settings.models_dir, MODEL_NAME)
        path = registry.save(model.artifact(), model.card)
        if promote:
            registry.promote(model.version)
        progress.update(step, advance=1, description="done")
    m = model.card["metrics"]
    console.print(
        f"wrote {path}{' (promoted)' if promote else ''} "
        f"({model.card['data']['rows']} sold lots; "
        f"{len(rounds)} observed finished rounds)"
    )
    if promote and models_dir is None:  # the served models: re-price the lots' estimates
        console.print(refresh_database(settings, SystemClock()), soft_wrap=True)
    base = m["baseline_start_times_median_premium"]
    console.print(
        f"hold-out: MdAPE {m['model']['mdape']:.1%}, Σ predicted ÷ Σ actual "
        f"{m['model']['total_ratio']:.3f} (baseline start × median premium: "
        f"{base['mdape']:.1%}, {base['total_ratio']:.3f}); chance of sale: "
        f"{model.card['chance_of_sale']['source']}"
    )


def register(app: typer.Typer) -> None:
    """Add ``inquire`` and ``train-outcome`` to the root app."""
    app.command("inquire")(inquire)
    app.command("train-outcome")(train_outcome_command)
