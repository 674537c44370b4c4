"""What the benches share: the load driver and its percentiles, a scratch database, a real
server process and bulk copies of the engine's lots. Not a bench itself; never run by the tests.

    from common import drive, run, scratch_database, uvicorn_server   # inside bench/
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.testing import uvicorn_server as serving  # noqa: E402 - after the path is set

PG_DATABASE = f"fapai_bench_{os.getpid()}"  # per run: two runs at once never share one
REQUEST_TIMEOUT = 20.0  # seconds; a request that gets no answer in this time stalls the run


# ---------------------------------------------------------------------------------------------
# Measurement
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q ≤ 100) of ``values``."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n·q/100)
    return ordered[int(rank) - 1]


@dataclass
class LoadResult:
    """What one load run saw: status counts, per-request latency (s), wall time (s)."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    stalled: bool = False

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def count(self, *codes: int) -> int:
        return sum(self.statuses[c] for c in codes)

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.statuses.items() if code >= 500 or code == 0)

    def per_second(self, n: int) -> float:
        return n / self.elapsed if self.elapsed else float("nan")

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, q) * 1000


# A request maker: worker number → (method, path, JSON body or None, headers).
RequestMaker = Callable[[int], tuple[str, str, dict | None, dict[str, str]]]


async def drive(base_url: str, concurrency: int, total: int, make: RequestMaker) -> LoadResult:
    """Send ``total`` requests from ``concurrency`` workers, each with its own connection,
    each sending its next request as soon as the last one answered. A request unanswered
    after ``REQUEST_TIMEOUT`` stops the run (the server is stuck): it is counted with the 5xx
    and ``stalled`` is set."""
    result = LoadResult()
    remaining = total

    async def worker(n: int, client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            method, path, body, headers = make(n)
            began = time.perf_counter()
            try:
                response = await client.request(method, path, json=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = 0  # no answer: counted with the 5xx
                result.stalled = True
                remaining = 0
            result.latencies.append(time.perf_counter() - began)
            result.statuses[status] += 1

    clients = [
        httpx.AsyncClient(
            base_url=base_url, timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=1)
        )
        for _ in range(concurrency)
    ]
    try:
        # One warm-up request per connection, not measured.
        warm = (c.get("/api/lots", params={"page_size": 1}) for c in clients)
        await asyncio.gather(*warm, return_exceptions=True)
        began = time.perf_counter()
        await asyncio.gather(*(worker(n, c) for n, c in enumerate(clients)))
        result.elapsed = time.perf_counter() - began
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return result


def run(coro: Awaitable[LoadResult]) -> LoadResult:
    return asyncio.run(coro)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Databases and the server
# ---------------------------------------------------------------------------------------------


@contextmanager
def scratch_database(backend: str, pg_admin: str) -> Iterator[str]:
    """A fresh, migrated database URL; removed afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from fapai.db import migrate, normalize_url

    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="fapai-bench-") as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            migrate(url)
            yield url
        return
    admin = create_engine(normalize_url(pg_admin), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    url = make_url(normalize_url(pg_admin)).set(database=PG_DATABASE)
    url_text = url.render_as_string(hide_password=False)
    try:
        migrate(url_text)
        yield url_text
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def uvicorn_server(database_url: str) -> Iterator[str]:
    """A real uvicorn process serving ``create_app`` on ``database_url`` (the tests' helper,
    :func:`app.testing.uvicorn_server`); its base URL."""
    # The benches measure the server, not its abuse limits: those are lifted for their clients.
    lifted = {f"FAPAI_RATE_LIMIT_{k}": "1000000/minute" for k in ("SIGNIN", "BID_USER", "BID_IP")}
    with serving({"FAPAI_DATABASE_URL": database_url, **lifted}) as base:
        yield base


# ---------------------------------------------------------------------------------------------
# Bulk copies of the engine's lots
# ---------------------------------------------------------------------------------------------


def bulk_copy_lots(url: str, total: int, seed: int = 7) -> int:
    """Fill the database up to ``total`` lots by copying the engine's own rows.

    Takes the lots and rounds the engine stored and inserts copies in batches of 5,000 with
    SQLAlchemy bulk ``insert(Lot)`` / ``insert(Round)`` (executemany; lot ids by RETURNING),
    then points the copies at their rounds with one correlated ``update(Lot)``. The copies
    take the places, titles and prices of the demo's real lots (auction/demo_data/lots.csv)
    and are announced, bidding or failed (no bids), so every copied row is a state the engine
    stores. Returns the number of lots in the database.
    """
    from datetime import timedelta

    from sqlalchemy import func, insert, select, update

    from auction.demo import load_rows
    from auction.store import ANNOUNCED, FAILED, Lot, Round
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory, session_scope

    rng = random.Random(seed)
    rows = load_rows()
    now = SystemClock().now()
    db = make_engine(url)
    factory = session_factory(db)
    with session_scope(factory) as session:
        have = int(session.scalar(select(func.count()).select_from(Lot)) or 0)
        template = session.scalars(select(Lot).order_by(Lot.id).limit(1)).one()
        template_round = session.get(Round, template.round_id)
        lot_columns = {c.key: getattr(template, c.key) for c in Lot.__mapper__.column_attrs}
        round_columns = {
            c.key: getattr(template_round, c.key) for c in Round.__mapper__.column_attrs
        }
    for key in ("id", "round_id", "leading_bid_id"):
        lot_columns.pop(key)
    round_columns.pop("id")
    made = 0
    while have + made < total:
        batch = min(5_000, total - have - made)
        lots, rounds = [], []
        for _ in range(batch):
            row = rng.choice(rows)
            scale = rng.uniform(0.5, 2.0)
            start = int(row.start * scale) // 100 * 100
            kind = rng.choices(("bidding", "announced", "failed"), (5, 3, 2))[0]
            starts = {
                "bidding": now - timedelta(hours=rng.uniform(1, 20)),
                "announced": now + timedelta(days=rng.uniform(1, 30)),
                "failed": now - timedelta(days=rng.uniform(2, 60)),
            }[kind]
            ends = starts + timedelta(days=1)
            published = starts - timedelta(days=30)
            status = FAILED if kind == "failed" else ANNOUNCED
            lots.append(
                {
                    **lot_columns,
                    "title": f"{row.district}{row.community or row.address} {row.area_m2}㎡",
                    "property_type": row.property_type,
                    "city": row.city,
                    "district": row.district,
                    "address": row.address,
                    "area_m2": float(row.area_m2),
                    "reference_price": int(row.reference * scale),
                    "status": status,
                    "start_price": start,
                    "current_price": start,
                    "deposit": start // 10,
                    "published_at": published,
                    "starts_at": starts,
                    "ends_at": ends,
                    "created_at": published,
                    "bid_count": 0,
                    "registration_seq": 0,
                }
            )
            rounds.append(
                {
                    **round_columns,
                    "start_price": start,
                    "deposit": start // 10,
                    "published_at": published,
                    "starts_at": starts,
                    "scheduled_end": ends,
                    "closed_at": ends if kind == "failed" else None,
                    "outcome": "failed" if kind == "failed" else None,
                    "bid_count": 0,
                    "winner_registration_id": None,
                    "final_price": None,
                }
            )
        with session_scope(factory) as session:
            ids = session.scalars(insert(Lot).returning(Lot.id), lots).all()
            for lot_id, rnd in zip(ids, rounds, strict=True):
                rnd["lot_id"] = lot_id
            session.execute(insert(Round), rounds)
            # One correlated UPDATE points each new copy at its round.
            session.execute(
                update(Lot)
                .where(Lot.round_id.is_(None))
                .values(round_id=select(Round.id).where(Round.lot_id == Lot.id).scalar_subquery())
            )
        made += batch
    db.dispose()
    return have + made
