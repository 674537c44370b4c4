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
from fapai.terminal import print_whole
from valuation.model import rule_words

if TYPE_CHECKING:
    from crawlers.run import CrawlSummary

EXIT_FILL_RATE_FELL = 3
EXIT_NOT_FINISHED = 4
EXIT_NOTHING_FETCHED = 5
# Scrapy's finish reasons in words (others are shown as they come).
FINISH_REASONS = {
    "finished": "已完成",
    "shutdown": "被中止",
    "closespider_pagecount": "达到页数上限",
    "closespider_itemcount": "达到条目上限",
    "closespider_timeout": "达到时间上限",
    "closespider_errorcount": "错误过多",
}


def _print_summary(console: Console, summary: CrawlSummary) -> None:
    reason = summary.stats.get("finish_reason", "?")
    table = Table(title=f"爬取 {summary.spider}：{FINISH_REASONS.get(reason, reason)}")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    table.add_row("已抓取的页面", str(summary.pages))
    table.add_row("已解析的条目", str(summary.items))
    table.add_row("写入（新增）", str(summary.stats.get("stored/inserted", 0)))
    table.add_row("写入（已有，更新）", str(summary.stats.get("stored/updated", 0)))
    table.add_row("价格变动", str(summary.stats.get("stored/price_changed", 0)))
    table.add_row("详情页失败（保留列表条目）", str(summary.stats.get("detail/failed", 0)))
    table.add_row("记录的错误", str(summary.stats.get("log_count/ERROR", 0)))
    table.add_row("跳过的详情页（未变）", str(summary.stats.get("incremental/detail_skipped", 0)))
    for why, count in summary.dropped.items():
        table.add_row(f"丢弃：{why}（{rule_words(why)}）", str(count))
    print_whole(console, table)
    if not summary.fill_rates:
        return
    rates = Table(title="填充率：带有该字段的条目占比，按页面类型")
    for _ in range(3):
        rates.add_column("字段")
        rates.add_column("占比", justify="right")
    cells = [
        (
            name,
            f"{rate:.0%}"
            + (f" [red]下降 {summary.fallen[name]}[/red]" if name in summary.fallen else ""),
        )
        for name, rate in sorted(summary.fill_rates.items())
    ]
    for start in range(0, len(cells), 3):
        row = [value for cell in cells[start : start + 3] for value in cell]
        rates.add_row(*row, *[""] * (6 - len(row)))
    print_whole(console, rates)


def crawl(
    spider: str = typer.Argument(None, help="要运行的爬虫（见 --list）。"),
    city: str = typer.Option("gz", "--city", help=f"城市代码：{'、'.join(sites.CITIES)}。"),
    base_url: str = typer.Option(
        None,
        "--base-url",
        help="改从这个主机抓取同样的路径（镜像、缓存或测试服务器）。",
    ),
    max_pages: int = typer.Option(None, "--max-pages", min=1, help="每个区县至多抓取的列表页数。"),
    output: Path = typer.Option(
        None, "-o", "--output", help="同时把条目写入这个文件（.jsonl、.csv 或 .json）。"
    ),
    crawl_id: str = typer.Option(
        None,
        "--crawl-id",
        help="分布式模式（已设 FAPAI_REDIS_URL）：同一编号的工作进程共同完成一次爬取。"
        "默认：爬虫-城市-UTC 日期。",
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        help="分布式模式：等到这么多个同一 --crawl-id 的工作进程加入后再开始。",
    ),
    cache: bool = typer.Option(False, "--cache", help="把响应缓存到磁盘（开发用）。"),
    stats_json: Path = typer.Option(
        None, "--stats-json", help="把本次爬取最终的 Scrapy 统计写入这个 JSON 文件。"
    ),
    overrides: list[str] = typer.Option(
        None,
        "--set",
        help="覆盖一项 Scrapy 设置，名称=值（可重复），如 --set DOWNLOAD_DELAY=0。",
    ),
    list_spiders: bool = typer.Option(False, "--list", help="列出爬虫后退出。"),
    verbose: bool = typer.Option(False, "--log", help="显示 Scrapy 自己的日志行。"),
) -> None:
    """爬取房屋挂牌（lianjia、ke、anjuke）或司法拍卖结果（sf_taobao）。

    条目按挂牌数据或拍卖结果的格式校验、去重，分批写入 FAPAI_DATABASE_URL；
    再次爬取时跳过列表条目未变的详情页。某字段的填充率比上次下降（选择器不再匹配）时退出码为 3，
    爬取未完成为 4，一个页面也没抓到为 5。
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
        raise typer.BadParameter("请指定爬虫（fapai crawl --list 列出全部）", param_hint="'SPIDER'")
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
        console.print(f"[red]错误：[/red]{exc}", soft_wrap=True)
        raise typer.Exit(2) from exc
    _print_summary(console, summary)
    if stats_json is not None:
        stats_json.write_text(json.dumps(summary.stats, default=str, indent=1), encoding="utf-8")
    if summary.fallen:
        console.print(
            "[red]填充率下降[/red]："
            + "，".join(f"{k}（{v}）" for k, v in summary.fallen.items())
            + "。请对照网站当前的页面检查选择器。",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FILL_RATE_FELL)
    if summary.pages == 0:
        console.print(
            "[red]一个页面也没抓到[/red]：请检查网络，或用 --base-url 指定可访问的镜像"
            "（上方的错误说明了失败原因）。",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_NOTHING_FETCHED)
    if not summary.ok:
        reason = summary.stats.get("finish_reason")
        console.print(
            f"[red]爬取未完成：[/red]{FINISH_REASONS.get(reason, reason)}", soft_wrap=True
        )
        raise typer.Exit(EXIT_NOT_FINISHED)


def register(app: typer.Typer) -> None:
    """Add this room's commands to the root app."""
    app.command("crawl")(crawl)
