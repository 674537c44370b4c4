"""Bid throughput and latency of a real fapai server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bids.py            # full run (a few minutes)
    .venv/bin/python bench/bids.py --quick    # short run (tens of seconds)
    .venv/bin/python bench/bids.py --backends sqlite

For each backend it creates a scratch database (a temporary SQLite file; the PostgreSQL database
``fapai_bench``, created and dropped on the server given by ``--pg``), seeds it through the
auction engine, starts a real uvicorn process (``uvicorn --factory app.main:create_app``) on a
free loopback port, and drives it with 1, 10 and 50 concurrent bidders (one HTTP connection and
one bearer token each):

- bids on one lot, and bids spread over 100 lots: ``POST /api/lots/{id}/bids``. Every request
  bids the next step of that lot's price ladder, so a bid is refused (409) only when a
  concurrent one overtook it; ``accepted/s`` counts the 201s, latency covers every bid request;
- the baseline: the same server answering ``GET /api/lots/{id}`` (the same lots) at the same
  concurrency; the ratios put a bid's cost against a plain read on the same machine;
- listing queries (``GET /api/lots?…`` with filters, sorts and pages) once the database holds
  100,000 lots (10,000 with ``--quick``), against the same ``GET /api/lots/{id}`` baseline.

The 100,000 lots are bulk-copied: a few dozen lots are created through ``auction.engine`` (so
their rows are the engine's own), then copied with SQLAlchemy bulk ``insert(Lot)`` /
``insert(Round)`` (executemany, RETURNING ids) in batches of 5,000 plus one correlated UPDATE
linking each copy to its round, taking places, titles and prices from the demo's real lots, and
states the engine stores (announced, bidding, failed without bids).

Request counts are bounded, traffic stays on 127.0.0.1 and the script stops its server and drops
its database on the way out, even on Ctrl-C. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from common import (  # bench/common.py: the harness every bench shares
    PG_DATABASE,
    REQUEST_TIMEOUT,
    LoadResult,
    RequestMaker,
    bulk_copy_lots,
    drive,
    run,
    scratch_database,
    uvicorn_server,
)

CONCURRENCY = (1, 10, 50)
BID_LOTS = 100


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


@dataclass
class Ladder:
    """The next amount to bid on a lot (whole yuan): the start, then one increment more per
    request, so only a concurrent request that overtook it makes a bid too low."""

    next_amount: int
    increment: int

    def take(self) -> int:
        amount = self.next_amount
        self.next_amount += self.increment
        return amount


@dataclass
class BidFixture:
    lot_ids: list[int]
    tokens: list[str]  # one bidder per concurrent connection
    ladders: dict[int, Ladder]


def seed_bidding(url: str, lots: int, bidders: int) -> BidFixture:
    """``lots`` lots in bidding now (published 40 days ago, bidding since an hour ago, for two
    days), ``bidders`` bidders registered to every lot, all through ``auction.engine``."""
    from datetime import timedelta

    from auction import auth, engine
    from auction.payments import RecordedPayments
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory, session_scope, writer_engine
    from fapai.settings import Settings

    settings = Settings(database_url=url)
    now = SystemClock().now()
    published = now - timedelta(days=40)
    db = make_engine(url)
    with session_scope(session_factory(writer_engine(db))) as session:
        home = auth.ensure_court(session, "BENCH", "基准测试法院", published)
        court, _ = auth.create_user(session, "bench court", "court", published, court=home)
        users = [
            auth.create_user(session, f"bench bidder {n}", "bidder", published)
            for n in range(bidders)
        ]
        lot_ids = []
        for n in range(lots):
            start_yuan = 500_000 + 10_000 * n
            data = engine.LotData(
                case_number=f"(2026)粤0106执{9000 + n}号",
                court="广州市天河区人民法院",
                title=f"bench lot {n} 天河区华夏路{n + 1}号",
                property_type="residential",
                city="广州市",
                district="天河区",
                address=f"广州市天河区华夏路{n + 1}号",
                area_m2=90.0,
                reference_price=start_yuan * 125,  # the start is 80% of it
                reference_method="appraisal",
                occupancy="空置",
                taxes_borne_by="各自承担",
                defects="无",
                start_price=start_yuan * 100,
                deposit=start_yuan * 10,
                increment=100 * 100,
                starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(days=2),
                created_by=court.id,
                court_id=home.id,
            )
            lot_ids.append(engine.create_lot(session, data, published, settings).id)
        for lot_id in lot_ids:
            for user, _ in users:
                engine.register_bidder(
                    session, lot_id, user.id, published, settings, RecordedPayments()
                )
    db.dispose()
    ladders = {lot_id: Ladder(500_000 + 10_000 * n, 100) for n, lot_id in enumerate(lot_ids)}
    return BidFixture(lot_ids, [token for _, token in users], ladders)


# ---------------------------------------------------------------------------------------------
# Scenarios and the table
# ---------------------------------------------------------------------------------------------

LISTING_QUERIES = (
    {"status": "bidding", "city": "广州市", "sort": "ends_at"},
    {"city": "广州市", "district": "天河区", "property_type": "residential", "sort": "-price"},
    {"min_price": 500000, "max_price": 2000000, "sort": "price"},
    {"q": "花园", "sort": "newest"},
    {"status": "announced", "page": 20, "sort": "ends_at"},
    {"property_type": "parking", "status": "failed", "sort": "-ends_at"},
    {},
)


def bid_maker(fx: BidFixture, lots: list[int], rng: random.Random) -> RequestMaker:
    def make(worker: int) -> tuple[str, str, dict | None, dict[str, str]]:
        lot = lots[0] if len(lots) == 1 else rng.choice(lots)
        auth = {"Authorization": f"Bearer {fx.tokens[worker]}"}
        return "POST", f"/api/lots/{lot}/bids", {"amount": fx.ladders[lot].take()}, auth

    return make


def read_maker(lots: list[int], rng: random.Random) -> RequestMaker:
    def make(worker: int) -> tuple[str, str, dict | None, dict[str, str]]:
        lot = lots[0] if len(lots) == 1 else rng.choice(lots)
        return "GET", f"/api/lots/{lot}", None, {}

    return make


def listing_maker(queries: Sequence[dict[str, object]] = LISTING_QUERIES) -> RequestMaker:
    """``GET /api/lots?…`` with each of ``queries`` in turn."""
    counter = iter(range(10**9))

    def make(worker: int) -> tuple[str, str, dict | None, dict[str, str]]:
        query = queries[next(counter) % len(queries)]
        return "GET", f"/api/lots?{urlencode(query)}", None, {}

    return make


def _readable(query: dict[str, object]) -> str:
    return "&".join(f"{k}={v}" for k, v in query.items()) or "(no filter)"


def _f(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def bid_row(backend: str, scope: str, c: int, bids: LoadResult, reads: LoadResult) -> str:
    accepted = bids.count(201)
    rate, read_rate = bids.per_second(accepted), reads.per_second(reads.requests)
    note = f"stalled: no answer in {REQUEST_TIMEOUT:.0f} s" if bids.stalled else ""
    return (
        f"| {backend} | {scope} | {c} | {bids.requests} | {accepted} | {bids.count(409)} "
        f"| {bids.server_errors} | {_f(rate)} | {_f(bids.p(50))} | {_f(bids.p(99))} "
        f"| {_f(read_rate)} | {_f(reads.p(50))} | {_f(reads.p(99))} | {rate / read_rate:.2f} "
        f"| {bids.p(99) / reads.p(99):.2f} | {note} |"
    )


def listing_row(backend: str, lots: str, c: int, q: LoadResult, reads: LoadResult) -> str:
    return (
        f"| {backend} | {lots} | {c} | {q.requests} | {q.server_errors + q.count(422)} "
        f"| {_f(q.per_second(q.requests))} | {_f(q.p(50))} | {_f(q.p(99))} "
        f"| {_f(reads.p(50))} | {_f(reads.p(99))} | {q.p(99) / reads.p(99):.2f} |"
    )


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def bench_backend(backend: str, args: argparse.Namespace) -> tuple[list[str], list[str], list[str]]:
    """Run every scenario on one backend; the rows of the bid, listing and per-query tables.

    Each scenario gets a fresh server process: the baseline reads first, then the bids (so a
    server the bids leave stuck spoils nothing after it)."""
    rng = random.Random(1)
    bid_rows, listing_rows, query_rows = [], [], []
    with scratch_database(backend, args.pg) as url:
        log(f"[{backend}] seeding {BID_LOTS} lots x {max(CONCURRENCY)} bidders via the engine")
        fx = seed_bidding(url, BID_LOTS, max(CONCURRENCY))
        for scope, lots in (("1 lot", fx.lot_ids[:1]), (f"{BID_LOTS} lots", fx.lot_ids)):
            for c in CONCURRENCY:
                log(f"[{backend}] {scope}, {c} concurrent")
                with uvicorn_server(url) as base:
                    reads = run(drive(base, c, args.requests, read_maker(lots, rng)))
                    bids = run(drive(base, c, args.requests, bid_maker(fx, lots, rng)))
                bid_rows.append(bid_row(backend, scope, c, bids, reads))
        log(f"[{backend}] bulk-copying lots up to {args.listing_lots:,}")
        began = time.perf_counter()
        in_db = bulk_copy_lots(url, args.listing_lots)
        lots_label = f"{in_db:,} ({_f(time.perf_counter() - began)} s)"
        with uvicorn_server(url) as base:
            for c in (1, 10):
                log(f"[{backend}] listing queries, {c} clients")
                q = run(drive(base, c, args.listing_requests, listing_maker()))
                reads = run(drive(base, c, args.listing_requests, read_maker(fx.lot_ids, rng)))
                listing_rows.append(listing_row(backend, lots_label, c, q, reads))
                if c == 1:
                    baseline = reads
            for query in LISTING_QUERIES:
                q = run(drive(base, 1, args.per_query, listing_maker([query])))
                query_rows.append(
                    f"| {backend} | {_readable(query)} | {q.requests} "
                    f"| {q.server_errors + q.count(422)} | {_f(q.p(50))} | {_f(q.p(99))} "
                    f"| {q.p(50) / baseline.p(50):.1f} |"
                )
    return bid_rows, listing_rows, query_rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run (tens of seconds)")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help=f"a PostgreSQL server to create (and drop) the scratch database {PG_DATABASE} on",
    )
    args = parser.parse_args()
    args.requests = 200 if args.quick else 1_000
    args.listing_lots = 10_000 if args.quick else 100_000
    args.listing_requests = 70 if args.quick else 350
    args.per_query = 10 if args.quick else 50
    bid_rows: list[str] = []
    listing_rows: list[str] = []
    query_rows: list[str] = []
    for backend in args.backends.split(","):
        bids, listing, queries = bench_backend(backend.strip(), args)
        bid_rows += bids
        listing_rows += listing
        query_rows += queries
    print(
        f"\nBids: POST /api/lots/{{id}}/bids, {args.requests} requests per row; baseline: GET "
        "/api/lots/{id} on the same lots at the same concurrency (a fresh server per row)"
    )
    print(
        "| db | bids on | bidders | requests | accepted | 409 outbid | 5xx | accepted/s "
        "| p50 ms | p99 ms | GET/s | GET p50 ms | GET p99 ms | accepted/s ÷ GET/s "
        "| p99 ÷ GET p99 | note |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(bid_rows))
    print(
        f"\nListing: GET /api/lots?… ({len(LISTING_QUERIES)} filter/sort/page mixes in turn), "
        f"{args.listing_requests} requests per row; baseline GET /api/lots/{{id}}"
    )
    print(
        "| db | lots in db (bulk copy time) | clients | requests | 4xx/5xx | queries/s "
        "| p50 ms | p99 ms | GET p50 ms | GET p99 ms | p99 ÷ GET p99 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(listing_rows))
    print(
        f"\nEach listing query alone, one client, {args.per_query} requests; × GET = its p50 over "
        "the one-client GET /api/lots/{id} p50 above"
    )
    print("| db | query | requests | 4xx/5xx | p50 ms | p99 ms | × GET |")
    print("|---|---|---:|---:|---:|---:|---:|")
    print("\n".join(query_rows))


if __name__ == "__main__":
    main()
