"""Real crawls: `fapai crawl` in its own process, real HTTP against a local fixture server.

The server serves the fixture sites under the real paths, with pagination, a detail page
that is missing (404), a slow list page and a robots.txt that forbids one detail page. The
checks read the real database the crawl wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sitegen
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector
from siteserver import FixtureServer
from sqlalchemy import select

from fapai.db import make_engine, session_factory, session_scope
from fapai.metrics import MULTIPROC_ENV
from valuation.auction_results import AuctionResultRow
from valuation.market_data.metro import metro_from_text
from valuation.store import ListingPrice, MarketListing

FAPAI = str(Path(sys.executable).parent / "fapai")
# Politeness off for speed (the defaults are checked in test_settings); robots.txt stays on.
FAST = [
    "--set",
    "AUTOTHROTTLE_ENABLED=False",
    "--set",
    "DOWNLOAD_DELAY=0",
    "--set",
    "FAPAI_BACKOFF_START=0.3",
]
ROWS = sitegen.listing_rows()[:60]  # two districts, 4 + 2 list pages
FORBIDDEN, MISSING = ROWS[1], ROWS[2]


def detail(row: dict) -> str:
    return f"/ershoufang/{row['id']}.html"


def lianjia_pages(price_factor: str = "1", layout_changed: bool = False) -> dict[str, sitegen.Page]:
    rows = sitegen.listing_rows(price_factor=price_factor)[:60]
    pages = sitegen.lianjia_site(rows)
    pages["/robots.txt"] = sitegen.robots(detail(FORBIDDEN), "/xiaoqu/")
    del pages[detail(MISSING)]
    pages["/ershoufang/baiyun/pg2/"].delay = 0.5
    pages["/ershoufang/baiyun/pg3/"].failures = 1  # a 503 first: retried with backoff
    if layout_changed:  # the site renamed a class: houseInfo no longer matches
        for path, page in pages.items():
            if "/pg" in path or path.count("/") == 3:
                page.body = page.body.replace(b'class="houseInfo"', b'class="houseInfo-v2"')
    return pages


def crawl(
    spider: str,
    server: FixtureServer,
    db_url: str,
    cwd: Path,
    *args: str,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "FAPAI_REDIS_URL"}
    environ |= {"FAPAI_DATABASE_URL": db_url, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [FAPAI, "crawl", spider, "--base-url", server.url, *FAST, *args],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=90,
    )


def listings(db_url: str) -> dict[str, tuple[MarketListing, list[int]]]:
    engine = make_engine(db_url)
    with session_scope(session_factory(engine)) as s:
        out = {}
        for row in s.scalars(select(MarketListing)):
            prices = s.scalars(
                select(ListingPrice.price_total)
                .where(ListingPrice.listing_pk == row.id)
                .order_by(ListingPrice.observed_at, ListingPrice.id)
            ).all()
            out[row.listing_id] = (row, list(prices))
    engine.dispose()
    return out


@pytest.mark.slow
def test_crawl_recrawl_with_new_prices_then_a_changed_layout(
    sqlite_url: str, tmp_path: Path
) -> None:
    with FixtureServer(lianjia_pages()) as server:
        first = crawl(
            "lianjia",
            server,
            sqlite_url,
            tmp_path,
            "-o",
            "items.jsonl",
            "--stats-json",
            "s.json",
            env={MULTIPROC_ENV: str(tmp_path / "metrics")},  # the server's scrape counts them
        )
        assert first.returncode == 0, first.stdout + first.stderr
        fetched_first = dict(server.requests)

        server.requests.clear()
        server.pages = lianjia_pages(price_factor="0.9")
        second = crawl("lianjia", server, sqlite_url, tmp_path)
        assert second.returncode == 0, second.stdout + second.stderr
        fetched_second = dict(server.requests)

        server.requests.clear()
        server.pages = lianjia_pages(price_factor="0.9", layout_changed=True)
        third = crawl("lianjia", server, sqlite_url, tmp_path)

    # First crawl: every list page once (both pagination chains), every allowed detail page once,
    # the 404 tried once, the forbidden page never.
    assert detail(FORBIDDEN) not in fetched_first
    assert fetched_first[detail(MISSING)] == 1
    assert fetched_first["/ershoufang/baiyun/pg4/"] == 1
    assert fetched_first.pop("/ershoufang/baiyun/pg3/") == 2  # the 503, then the page
    assert all(n == 1 for path, n in fetched_first.items())
    stats = json.loads((tmp_path / "s.json").read_text())
    assert (stats["retry/count"], stats["backoff/count"], stats["backoff/max_delay"]) == (1, 1, 0.3)
    assert (stats["detail/failed"], stats["robotstxt/forbidden"]) == (2, 1)
    assert {detail(r) for r in ROWS} - {detail(FORBIDDEN)} <= set(fetched_first)
    feed = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert sorted(i["listing_id"] for i in feed) == sorted(r["id"] for r in ROWS)
    counted = CollectorRegistry()
    MultiProcessCollector(counted, path=str(tmp_path / "metrics"))
    site = {"kind": "listing", "site": feed[0]["source"]}
    assert counted.get_sample_value("fapai_crawl_items_total", site) == len(feed)

    stored = listings(sqlite_url)
    assert set(stored) == {r["id"] for r in ROWS}
    assert sum(row.metro_distance_m is not None for row, _ in stored.values()) >= 3
    for src in ROWS:
        row, prices = stored[src["id"]]
        assert (row.district, row.community, row.area_m2) == (
            src["district"],
            src["community"],
            float(src["area"]),
        )
        assert row.url == f"https://gz.lianjia.com{detail(src)}"  # the real address, not the mirror
        # The forbidden and the missing detail pages: the list page's listing still stands.
        assert (row.listed_at is None) == (src in (FORBIDDEN, MISSING))
        # The detail page's 交通出行, read by the one metro parser, stored with the listing.
        read = src not in (FORBIDDEN, MISSING) and src["transport"]
        assert (row.metro_station, row.metro_distance_m) == (
            metro_from_text(src["transport"]) if read else (None, None)
        )
        changed = src["n"] % 5 == 0
        first_price = int(round(float(src["total"]) * 10_000))
        assert prices[0] == first_price
        # Second crawl: a changed price adds to the history, an unchanged one does not.
        assert len(prices) == (2 if changed else 1)
        if changed:
            assert prices[1] == round(first_price * 0.9, -2) and row.price_total == prices[1]

    # Second crawl: detail pages only for the listings whose list entry changed.
    changed_details = {detail(r) for r in ROWS if r["n"] % 5 == 0} - {detail(FORBIDDEN)}
    assert {p for p in fetched_second if p.endswith(".html")} == changed_details
    assert "跳过的详情页（未变）" in second.stdout and "48" in second.stdout

    # Third crawl: the layout change is caught by the fill rates and fails the command.
    assert third.returncode == 3, third.stdout + third.stderr
    assert "填充率下降" in third.stdout and "list:area_m2" in third.stdout


@pytest.mark.slow
def test_auction_results_crawl_into_postgres(pg_url: str, tmp_path: Path) -> None:
    rows = sitegen.auction_rows()[:30]
    pages = sitegen.auction_site(rows, per_page=10)
    pages["/robots.txt"] = sitegen.robots("/member/")
    with FixtureServer(pages) as server:
        result = crawl("sf_taobao", server, pg_url, tmp_path, "-o", "lots.csv")
        assert result.returncode == 0, result.stdout + result.stderr
        assert all(n == 1 for path, n in server.requests.items())
    engine = make_engine(pg_url)
    with session_scope(session_factory(engine)) as s:
        stored = {r.item_id: r for r in s.scalars(select(AuctionResultRow))}
    engine.dispose()
    assert set(stored) == {r["id"] for r in rows}
    statuses = {"done": "sold", "failure": "failed", "revocation": "withdrawn"}
    for src in rows:
        lot = stored[src["id"]]
        assert lot.status == statuses[src["status"]]
        assert lot.start_price_fen == int(src["start"] * 100)
        assert lot.final_price_fen == (int(src["final"] * 100) if src["status"] == "done" else None)
        assert lot.area_m2 == (float(src["area"]) or None)  # the archive's 0.0 means unknown
        assert lot.registrations == src["registrations"]
        assert lot.city == "广州市" and lot.district == src["district"]
        assert lot.url == f"https://sf-item.taobao.com/sf_item/{src['id']}.htm"
    assert (tmp_path / "lots.csv").read_text(encoding="utf-8").count("\n") == len(rows) + 1


@pytest.mark.slow
@pytest.mark.redis
def test_two_workers_share_one_crawl_through_redis(
    redis_url: str, sqlite_url: str, tmp_path: Path
) -> None:
    import redis

    pages = sitegen.lianjia_site(ROWS)
    pages["/robots.txt"] = sitegen.robots()
    crawl_id = f"fapai-test-{uuid.uuid4().hex[:10]}"
    workers: list[subprocess.Popen[str]] = []
    env = {"FAPAI_REDIS_URL": redis_url, "FAPAI_DATABASE_URL": sqlite_url, "COLUMNS": "200"}
    environ = {**os.environ, **env}
    try:
        with FixtureServer(pages) as server:
            # Pages wait until both workers are fetching; one request in flight per worker so
            # that the shared queue, not one worker's downloader, holds the pending pages.
            server.hold_until_robots, server.free_paths = 2, {"/ershoufang/"}
            workers += [
                subprocess.Popen(
                    [
                        FAPAI,
                        "crawl",
                        "lianjia",
                        "--base-url",
                        server.url,
                        "--crawl-id",
                        crawl_id,
                        "--workers",
                        "2",
                        "-o",
                        f"worker{i}.jsonl",
                        *FAST,
                        "--set",
                        "FAPAI_REDIS_MAX_IDLE=2",
                        "--set",
                        "CONCURRENT_REQUESTS=1",
                    ],
                    env=environ,
                    cwd=tmp_path,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
                for i in range(2)
            ]
            outputs = [w.communicate(timeout=90)[0] for w in workers]
            assert [w.returncode for w in workers] == [0, 0], outputs
            fetched = dict(server.requests)
    finally:
        for worker in workers:  # a worker left behind by a failure must not outlive the test
            if worker.poll() is None:
                worker.kill()
                worker.wait()
        client = redis.Redis.from_url(redis_url)
        joined = client.get(f"{crawl_id}:lianjia:workers")
        keys = list(client.scan_iter(f"{crawl_id}:*"))
        if keys:
            client.delete(*keys)
    assert joined == b"2"  # both workers joined before the crawl started (--workers 2)
    # No page fetched twice across the two processes (each reads robots.txt for itself).
    assert {p: n for p, n in fetched.items() if n != 1} == {"/robots.txt": 2}
    assert {detail(r) for r in ROWS} <= set(fetched)
    feeds = [
        {
            json.loads(line)["listing_id"]
            for line in (tmp_path / f"worker{i}.jsonl").read_text().splitlines()
        }
        for i in range(2)
    ]
    assert feeds[0] and feeds[1], "both workers took part"
    assert not feeds[0] & feeds[1] and feeds[0] | feeds[1] == {r["id"] for r in ROWS}
    assert set(listings(sqlite_url)) == {r["id"] for r in ROWS}


@pytest.mark.slow
def test_anjuke_crawl_stops_at_max_pages(sqlite_url: str, tmp_path: Path) -> None:
    # Beike shares Lianjia's markup and spider flow; its list-page order is a parser test.
    spider, rows = "anjuke", sitegen.listing_rows()[:20]  # one district, two list pages of ten
    pages = sitegen.anjuke_site(rows)
    pages["/robots.txt"] = sitegen.robots()
    with FixtureServer(pages) as server:
        result = crawl(spider, server, sqlite_url, tmp_path, "--max-pages", "1")
        assert result.returncode == 0, result.stdout + result.stderr
        fetched = set(server.requests)
    assert "/sale/baiyun/p2/" in pages and "/sale/baiyun/p2/" not in fetched
    stored = listings(sqlite_url)
    assert set(stored) == {r["id"] for r in rows[:10]}
    for src in rows[:10]:
        row, prices = stored[src["id"]]
        assert (row.source, row.district, row.area_m2, row.price_total) == (
            spider,
            "白云区",
            float(src["area"]),
            int(round(float(src["total"]) * 10_000)),
        )
        assert row.listed_at is not None and prices == [row.price_total]


def test_a_crawl_that_reaches_nothing_says_so_and_fails(sqlite_url: str, tmp_path: Path) -> None:
    with FixtureServer({}) as server:
        closed = server.url
    result = subprocess.run(
        [FAPAI, "crawl", "sf_taobao", "--base-url", closed, "--set", "RETRY_TIMES=0"],
        env={**os.environ, "FAPAI_DATABASE_URL": sqlite_url, "COLUMNS": "200"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 5, result.stdout + result.stderr
    assert "一个页面也没抓到" in result.stdout
