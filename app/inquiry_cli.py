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
from fapai.terminal import print_whole

if TYPE_CHECKING:
    from valuation.outcome import FinishedRound

console = Console()
# Where the outcome model's chance of sale comes from (its card's code) in words.
CHANCE_SOURCES = {
    "prior": "先验估计（尚无足够的成交与流拍记录）",
    "prior + own results": "先验估计结合本平台的成交与流拍记录学得",
}
REPORT_WIDTH = 64  # the report's text column, in cells: the same lines at any terminal width
# A comparable's fields as the report's table shows them.
COMPARABLE_COLUMNS = {
    "source_name": "来源",
    "price_kind": "价格类型",
    "district": "区县",
    "community": "小区",
    "area_m2": "面积（m²）",
    "rooms": "室",
    "observed_on": "日期",
    "price_total": "总价（元）",
    "adjusted_price_total": "修正后总价（元）",
}


def _parse_source(raw: str) -> dict[str, str | None]:
    platform, sep, amount = raw.partition("=")
    if not platform.strip() or (sep and not amount.strip()):
        raise typer.BadParameter(
            f"{raw!r}：应写作 平台=价格（元），如 京东=2100000（只写平台：已询价，尚无结果）"
        )
    return {"platform": platform.strip(), "price": amount.strip() or None}


def inquire(
    city: str = typer.Option(..., help="城市，如 广州 或 广州市。"),
    district: str = typer.Option(None, help="区县，如 天河 或 天河区。"),
    area: float = typer.Option(..., "--area", help="建筑面积（m²）。"),
    community: str = typer.Option(None, help="小区名称。"),
    address: str = typer.Option(None, help="地址，报告中照录。"),
    property_type: str = typer.Option(
        "residential", help="房产类型：residential（住宅）、commercial（商业）、parking（车位）…"
    ),
    rooms: int = typer.Option(None, help="室。"),
    halls: int = typer.Option(None, help="厅。"),
    bathrooms: int = typer.Option(None, help="卫。"),
    floor: int = typer.Option(None, help="所在楼层。"),
    total_floors: int = typer.Option(None, help="总楼层。"),
    build_year: int = typer.Option(None, help="建成年份。"),
    decoration: str = typer.Option(None, help="装修：精装、简装、毛坯或其他。"),
    building_type: str = typer.Option(None, help="建筑类型：塔楼、板塔结合或板楼。"),
    near_metro: bool = typer.Option(
        None, "--near-metro/--no-near-metro", help="是否近地铁站（知道时填写）。"
    ),
    metro_station: str = typer.Option(
        None, "--metro-station", help="最近地铁站（房源所说的），如 车陂南站。"
    ),
    metro_distance: int = typer.Option(
        None, "--metro-distance", help="距该地铁站的距离（米，整数；知道时填写）。"
    ),
    source: list[str] = typer.Option(
        [],
        "--source",
        help="已询价的名单内询价平台：平台=元（其结果）或只写平台（尚无结果）；可重复。",
    ),
    confirmed: bool = typer.Option(
        False, "--confirm", help="保留被标为与其他来源相差过大的平台结果（确认无误）。"
    ),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出报告。"),
    save: bool = typer.Option(
        False,
        "--save/--no-save",
        help="把报告存入数据库，以便拍品采用其参考价（默认不存）。",
    ),
    court: str = typer.Option(
        None,
        "--court",
        help="与 --save 同用：报告所属法院的代码；只有该院用户能看到并据以发布。",
    ),
    as_of: str = typer.Option(
        None, "--as-of", help="估价时点（YYYY-MM-DD）；默认今天（北京时间）。"
    ),
    bizcircle: str = typer.Option(None, help="商圈（无区县时填写）。"),
    case_number: str = typer.Option(
        None, "--case-number", help="执行案号，如（2026）粤0106执1234号；报告中照录。"
    ),
) -> None:
    """询价：法定参考价（名单内询价平台结果的平均值，参考价规定 第十三条），
    旁列 fapai 的估价及其区间与可比案例、起拍价下限（70%，
    拍卖规定 第十条）、建议起拍价及预期结果、保证金范围（5%–20%，拍卖规定 第十七条）。"""
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
                "metro_station": metro_station,
                "metro_distance_m": metro_distance,
                "as_of": as_of,
                "bizcircle": bizcircle,
                "sources": [_parse_source(s) for s in source],
                "confirmed": confirmed,
                "case_number": case_number,
            }
        )
    except ValidationError as exc:
        from app.web.forms import FIELD_NAMES, validation_words

        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        words = validation_words(first)
        if first["type"] == "value_error":  # the validator's own sentence
            words = str(first["msg"]).removeprefix("Value error, ")
        console.print(
            f"[red]无法询价[/red]：{FIELD_NAMES.get(where, where)}：{words}", soft_wrap=True
        )
        raise typer.Exit(2) from exc
    with console.status("正在载入模型…"):
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
        from app.web.forms import FIELD_NAMES

        where = f"{FIELD_NAMES.get(exc.field, exc.field)}：" if exc.field else ""
        console.print(f"[red]无法询价[/red]：{where}{exc.message}", soft_wrap=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        _print_report(body, settings.display_timezone)


def _yuan(v: Any) -> str:
    return "—" if v is None else f"¥{v:,.2f}"


def _print_report(body: dict[str, Any], tz: str) -> None:
    from datetime import datetime

    from app.web.report import metro_facts, note_words
    from valuation.comparables import PRICE_KINDS

    d = body["description"]
    saved = f"询价报告 {body['id']}" if body["id"] else "询价报告（未保存）"
    t = Table(title=f"{saved}：{d['city']}{d.get('district') or ''}", show_header=False)
    t.add_column(no_wrap=True)
    t.add_column(max_width=REPORT_WIDTH, overflow="fold")
    if body.get("case_number"):
        t.add_row("案号", body["case_number"])
    if body.get("court"):
        t.add_row("询价法院", body["court"])
    for label, value in metro_facts(d):
        t.add_row(label, value)
    # The legal words on lines of their own, never wrapped inside a cell.
    if body["reference_price"] is None:
        t.add_row("参考价", "[bold yellow]尚无[/bold yellow]")
        notes = [body["reference_note"]]
    else:
        t.add_row("参考价", f"[bold]{_yuan(body['reference_price'])}[/bold]")
        notes = [body["reference_rule"]]
    for s in body["sources"]:
        answer = _yuan(s["price"]) if s["price"] is not None else "尚无结果"
        flag = " [yellow]（与其他来源相差过大，已确认）[/yellow]" if s["flagged"] else ""
        asked = to_display(datetime.fromisoformat(s["asked_at"]), tz).strftime("%Y-%m-%d %H:%M")
        t.add_row(f"  询价平台 {s['platform']}", f"{answer}，询价于 {asked}{flag}")
    counts = "计入参考价来源" if body["estimate_counts_as_source"] else "独立核对，不计入参考价"
    t.add_row("fapai 估价", f"{_yuan(body['estimate_price'])}（{counts}）")
    t.add_row("估价时点", body["valuation_date"]["as_of"])
    t.add_row("单价（fapai）", f"{_yuan(body['unit_price'])} / m²")
    for level, (lo, hi) in body["interval"].items():
        t.add_row(f"{level}% 区间", f"{_yuan(lo)} – {_yuan(hi)}")
    t.add_row("起拍价下限", f"{_yuan(body['start_price_floor'])}（拍卖规定 第十条）")
    exp = body["expected_outcome"]
    t.add_row(
        "建议起拍价",
        f"[bold]{_yuan(body['proposed_start_price'])}[/bold]，"
        f"成交概率 {exp['chance_of_sale']:.0%}，预计成交价 "
        f"{_yuan(exp['expected_final_price'])}，预计回收 {_yuan(exp['expected_recovery'])}",
    )
    again = body["if_unsold"]
    t.add_row(
        "如流拍：二拍",
        f"起拍 {_yuan(again['proposed']['start_price'])}，可在 "
        f"{_yuan(again['lawful_range'][0])} – {_yuan(again['lawful_range'][1])} 之间"
        "（降价不超过 20%，拍卖规定 第二十六条）",
    )
    lo, hi = body["deposit_range"]
    t.add_row("保证金范围", f"{_yuan(lo)} – {_yuan(hi)}（拍卖规定 第十七条）")
    valid = to_display(datetime.fromisoformat(body["valid_until"]), tz)
    t.add_row("有效期至", valid.strftime("%Y-%m-%d %H:%M"))
    t.add_row("模型", f"价格模型 {body['model_version']}，结果模型 {body['outcome_model_version']}")
    for note in body["outcome"]["fallback"]:
        t.add_row("[yellow]说明[/yellow]", note_words(note))
    print_whole(console, t)
    for note in notes:
        console.print(note, soft_wrap=True)
    if body["comparables"]:
        c = Table(title="可比案例（价格已按本房产修正）")
        for name in COMPARABLE_COLUMNS.values():
            c.add_column(name, justify="right")
        for row in body["comparables"]:
            shown = {**row, "price_kind": PRICE_KINDS.get(row.get("price_kind"), "")}
            c.add_row(*("" if shown.get(k) is None else str(shown[k]) for k in COMPARABLE_COLUMNS))
        print_whole(console, c)
    curve = Table(title="不同起拍价下的预计结果（本轮）")
    for col in ("起拍价 ÷ 参考价", "起拍价", "成交概率", "预计成交价", "预计回收"):
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
    print_whole(console, curve)


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
        help="db：随附的历史成交加上数据库中已结束的拍卖（本平台的与爬取的）；"
        "shipped：只用随附的历史成交。",
    ),
    models_dir: Path = typer.Option(None, help="模型文件写到哪里（默认：配置中的目录）。"),
    promote: bool = typer.Option(
        False,
        "--promote",
        help="训练后立即启用；否则待启用后才用于询价（`fapai models promote 版本`）。",
    ),
) -> None:
    """训练拍卖结果模型（按起拍价与参考价之比估计成交概率与预计成交价），
    写出 models/outcome-版本.joblib 及其 JSON 模型卡。"""
    from valuation.outcome import (
        MODEL_NAME,
        crawled_rounds,
        load_history,
        train_outcome,
    )
    from valuation.registry import ModelRegistry

    if source not in ("db", "shipped"):
        raise typer.BadParameter("应为 db 或 shipped", param_hint="'--source'")
    settings = get_settings()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        step = progress.add_task("读取随附的历史成交（共 3 步）", total=3)
        history = load_history()
        own: list[FinishedRound] = []
        crawled: list[FinishedRound] = []
        if source == "db":
            progress.update(step, description="从数据库读取已结束的拍卖（共 3 步）")
            migrate(settings.database_url)
            with session_scope(session_factory(make_engine(settings.database_url))) as session:
                own = own_finished_rounds(session)
                crawled = crawled_rounds(session)
        progress.update(step, advance=1, description="训练（共 3 步）")
        rounds = own + crawled
        model = train_outcome(
            history,
            rounds,
            SystemClock().now(),
            {"own_rounds": len(own), "crawled_rounds": len(crawled)},
        )
        progress.update(step, advance=1, description="保存（共 3 步）")
        registry = ModelRegistry(models_dir or settings.models_dir, MODEL_NAME)
        path = registry.save(model.artifact(), model.card)
        if promote:
            registry.promote(model.version)
        progress.update(step, advance=1, description="完成")
    m = model.card["metrics"]
    console.print(
        f"已写出 {path}{'（已启用）' if promote else ''}"
        f"（成交拍品 {model.card['data']['rows']} 件；已观察到的结束拍卖 {len(rounds)} 场）",
        soft_wrap=True,
    )
    if promote and models_dir is None:  # the served models: re-price the lots' estimates
        console.print(refresh_database(settings, SystemClock()), soft_wrap=True)
    base = m["baseline_start_times_median_premium"]
    source_of_chance = model.card["chance_of_sale"]["source"]
    console.print(
        f"留出检验：MdAPE {m['model']['mdape']:.1%}，Σ预测 ÷ Σ实际 "
        f"{m['model']['total_ratio']:.3f}（基线 起拍价 × 溢价中位数："
        f"{base['mdape']:.1%}，{base['total_ratio']:.3f}）；成交概率来源："
        f"{CHANCE_SOURCES.get(source_of_chance, source_of_chance)}",
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``inquire`` and ``train-outcome`` to the root app."""
    app.command("inquire")(inquire)
    app.command("train-outcome")(train_outcome_command)
