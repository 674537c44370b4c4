"""`fapai crawl`: run a spider against the real sites or a mirror, store what it finds.

Thin: it reads options, builds the settings (:mod:`crawlers.run`) and prints the summary.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from crawlers import sites
from fapai.clock import SystemClock
from fapai.settings import get_settings

if TYPE_CHECKING:
    from crawlers.run import CrawlSummary

EXIT_FILL_RATE_FELL = 3
EXIT_NOT_FINISHED = 4
EXIT_NOTHING_FETCHED = 5


def _print_summary(console: Console, summary: CrawlSummary) -> None:
    table = Table(title=f"crawl {summary.spider}: {summary.stats.get('finish_reason', '?')}")
    table.add_column("what")
    table.add_column("value", justify="right")
    table.add_row("pages fetched", str(summary.pages))
    table.add_row("items scraped", str(summary.items))
    table.add_row("stored (new)", str(summary.stats.get("stored/inserted", 0)))
    table.add_row("stored (seen before)", str(summary.stats.get("stored/updated", 0)))
    table.add_row("price changes", str(summary.stats.get("stored/price_changed", 0)))
    table.add_row(
        "detail pages failed (list item kept)", str(summary.stats.get("detail/failed", 0))
    )
    table.add_row("errors logged", str(summary.stats.get("log_count/ERROR", 0)))
    table.add_row(
        "detail pages skipped (unchanged)", str(summary.stats.get("incremental/detail_skipped", 0))
    )
    for reason, count in summary.dropped.items():
        table.add_row(f"dropped: {reason}", str(count))
    console.print(table)
    if not summary.fill_rates:
        return
    rates = Table(title="fill rates: share of items carrying the field, by page kind")
    for _ in range(3):
        rates.add_column("field")
        rates.add_column("rate", justify="right")
    cells = [
        (
            name,
            f"{rate:.0%}"
            + (f" [red]fell {summary.fallen[name]}[/red]" if name in summary.fallen else ""),
        )
        for name, rate in sorted(summary.fill_rates.items())
    ]
    for start in range(0, len(cells), 3):
        row = [value for cell in cells[start : start + 3] for value in cell]
        rates.add_row(*row, *[""] * (6 - len(row)))
    console.print(rates)


def crawl(
    spider: str = typer.Argument(None, help="Spider to run (see --list)."),
    city: str = typer.Option("gz", "--city", help=f"City code: {', '.join(sites.CITIES)}."),
    base_url: str = typer.Option(
        None,
        "--base-url",
        help="Fetch the real paths from this host instead (a mirror, a cache, a test server).",
    ),
    max_pages: int = typer.Option(
        None, "--max-pages", min=1, help="At most this many list pages per district."
    ),
    output: Path = typer.Option(
        None, "-o", "--output", help="Also write the items to this feed (.jsonl, .csv or .json)."
    ),
    crawl_id: str = typer.Option(
        None,
        "--crawl-id",
        help="Distributed mode (FAPAI_REDIS_URL set): workers with the same id share one crawl. "
        "Default: spider-city-UTC date.",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="Distributed mode: wait until this many workers with the same --crawl-id joined.",
    ),
    cache: bool = typer.Option(False, "--cache", help="Cache responses on disk (development)."),
    stats_json: Path = typer.Option(
        None, "--stats-json", help="Write the crawl's final Scrapy stats to this JSON file."
    ),
    overrides: list[str] = typer.Option(
        None,
        "--set",
        help="Override a Scrapy setting, NAME=VALUE (repeatable), e.g. --set DOWNLOAD_DELAY=0.",
    ),
    list_spiders: bool = typer.Option(False, "--list", help="List the spiders and exit."),
    verbose: bool = typer.Option(False, "--log", help="Show Scrapy's own log lines."),
) -> None:
    """Crawl housing listings (lianjia, ke, anjuke) or judicial auction results (sf_taobao).

    Items are validated against the market-listing / auction-result schema, de-duplicated and
    stored in FAPAI_DATABASE_URL in batches; a re-crawl skips detail pages whose list entry is
    unchanged. Exits 3 when a field's fill rate fell against the previous crawl (a selector
    stopped matching), 4 when the crawl did not finish, 5 when no page could be fetched.
    """
    # Scrapy loads only when a crawl runs, not for every `fapai` command.
    from crawlers.run import (
        CrawlSetupError,
        crawl_settings,
        parse_overrides,
        run_crawl,
        spider_names,
    )

    console = Console()
    if list_spiders:
        for name in spider_names():
            console.print(name)
        return
    if spider is None:
        raise typer.BadParameter(
            "name a spider (fapai crawl --list shows them)", param_hint="SPIDER"
        )
    config = get_settings()
    try:
        sites.city(city)
        sites.check_base_url(base_url)
        settings = crawl_settings(
            database_url=config.database_url,
            output=output,
            redis_url=config.redis_url,
            crawl_id=crawl_id or f"{spider}-{city}-{SystemClock().now():%Y%m%d}",
            workers=workers,
            cache=cache,
            progress=True,
            overrides=parse_overrides(overrides or []),
        )
        if not verbose:  # the progress line and the summary say it; warnings still show
            for handler in logging.getLogger().handlers:
                handler.setLevel(logging.WARNING)
        summary = run_crawl(
            spider,
            settings,
            city=city,
            base_url=base_url,
            max_pages=max_pages,
        )
    except (CrawlSetupError, sites.UnknownCityError, sites.BadBaseUrlError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    _print_summary(console, summary)
    if stats_json is not None:
        stats_json.write_text(json.dumps(summary.stats, default=str, indent=1), encoding="utf-8")
    if summary.fallen:
        console.print(
            "[red]fill rates fell[/red] for "
            + ", ".join(f"{k} ({v})" for k, v in summary.fallen.items())
            + ": check the selectors against the site's current pages."
        )
        raise typer.Exit(EXIT_FILL_RATE_FELL)
    if summary.pages == 0:
        console.print(
            "[red]no page could be fetched[/red]: check the network, or give a reachable "
            "mirror with --base-url (errors above say what failed)."
        )
        raise typer.Exit(EXIT_NOTHING_FETCHED)
    if not summary.ok:
        console.print(f"[red]crawl did not finish:[/red] {summary.stats.get('finish_reason')}")
        raise typer.Exit(EXIT_NOT_FINISHED)


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    app.command("crawl")(crawl)
