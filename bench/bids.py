"""Bid throughput and latency of a real fapai server, on SQLite and on PostgreSQL.

    .venv/bin/python bench/bids.py            # full run (a few minutes)
    .venv/bin/python bench/bids.py --quick    # short run (tens of seconds)
    .venv/bin/python bench/bids.py --backends sqlite

For each backend it creates a scratch database (a temporary SQLite file; the PostgreSQL database
``fapai_bench``, created and dropped on the server given by ``--pg``), seeds it through the
auction engine, starts a real uvicorn process (``uvicorn --factory auction.app:create_app``) on a
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
``insert(Round)`` (executemany, RETURNING ids) in batches of 5,000, varying city, district,
type, prices and status the way the engine would have stored them.

Request counts are bounded, traffic stays on 127.0.0.1 and the script stops its server and drops
its database on the way out, even on Ctrl-C. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
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

CONCURRENCY = (1, 10, 50)
BID_LOTS = 100
PG_DATABASE = "fapai_bench"


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


# A request maker: (client, worker number) → (method, path, json body or None, headers).
RequestMaker = Callable[[int], tuple[str, str, dict | None, dict[str, str]]]


async def drive(base_url: str, concurrency: int, total: int, make: RequestMaker) -> LoadResult:
    """Send ``total`` requests from ``concurrency`` workers, each with its own connection,
    each sending its next request as soon as the last one answered."""
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
                status = 0  # connection-level failure: counted with the 5xx
            result.latencies.append(time.perf_counter() - began)
            result.statuses[status] += 1

    clients = [
        httpx.AsyncClient(base_url=base_url, timeout=60, limits=httpx.Limits(max_connections=1))
        for _ in range(concurrency)
    ]
    try:
        # One warm-up request per connection, not measured.
        await asyncio.gather(*(c.get("/api/lots", params={"page_size": 1}) for c in clients))
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def uvicorn_server(database_url: str) -> Iterator[str]:
    """A real uvicorn process serving ``create_app`` on a free loopback port; its base URL."""
    port = free_port()
    env = {**os.environ, "FAPAI_DATABASE_URL": database_url}
    cmd = [
        sys.executable, "-m", "uvicorn", "--factory", "auction.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited with code {proc.returncode}")
            try:
                if httpx.get(f"{base}/api/lots", params={"page_size": 1}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not answer within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
