"""Inquiry latency: in-process and over HTTP against a real uvicorn process, beside a bare GET.

    .venv/bin/python bench/inquiry_http.py            # 300 requests per row
    .venv/bin/python bench/inquiry_http.py --quick    # 60 requests per row
    .venv/bin/python bench/inquiry_http.py --backend postgres

In-process: :func:`valuation.inquiry.price` with the promoted price model and the current
outcome model already in memory (what a request does after the first), alone and with
``save_inquiry`` into the scratch database. Over HTTP: ``POST /api/inquiries`` (court token) on a
real ``uvicorn --factory app.main:create_app`` process, one connection and 4 concurrent
ones; the baselines on the same server in the same run are ``GET /api/inquiries/{id}`` (one
stored report read back) and a bare ``GET /api/lots?page_size=1``. Each figure is also given as a
ratio to the bare GET's p50. Descriptions vary over five Guangzhou/Shenzhen districts, areas and
layouts; half the requests bring one external platform result.

It uses ``bench/common.py``'s scratch database, server launcher and load driver; the server is
stopped and the scratch database removed on the way out. Never run by the test suite.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from common import (  # bench/common.py: the harness every bench shares
    PG_DATABASE,
    LoadResult,
    RequestMaker,
    drive,
    percentile,
    run,
    scratch_database,
    uvicorn_server,
)

SUBJECTS = (
    {"city": "广州", "district": "天河", "rooms": 3},
    {"city": "广州", "district": "海珠", "rooms": 2},
    {"city": "广州", "district": "白云", "rooms": 2, "build_year": 2008},
    {"city": "深圳", "district": "南山", "rooms": 3},
    {"city": "深圳", "district": "龙岗", "rooms": 1, "decoration": "精装"},
)


def inquiry_body(rng: random.Random) -> dict:
    body = {**rng.choice(SUBJECTS), "area_m2": rng.randint(55, 140)}
    if rng.random() < 0.5:
        body["sources"] = [{"platform": "JD", "price": rng.randint(2_000_000, 6_000_000)}]
    return body


def timed(n: int, call: Callable[[], object]) -> LoadResult:
    result = LoadResult()
    began = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        call()
        result.latencies.append(time.perf_counter() - t)
        result.statuses[200] += 1
    result.elapsed = time.perf_counter() - began
    return result


def court_token(url: str) -> str:
    from auction.auth import create_user, ensure_court
    from fapai.db import make_engine, session_factory, session_scope

    engine = make_engine(url)
    with session_scope(session_factory(engine)) as s:
        _, token = create_user(
            s, "bench 书记员", "court", court=ensure_court(s, "BENCH", "基准测试法院")
        )
    engine.dispose()
    return token


def in_process(url: str, n: int, rng: random.Random) -> dict[str, LoadResult]:
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory, session_scope
    from fapai.settings import Settings
    from valuation.inquiry import InquiryModels, price
    from valuation.inquiry_store import save_inquiry

    settings = Settings(database_url=url)
    clock = SystemClock()
    models = InquiryModels.load(settings, clock.now())
    factory = session_factory(make_engine(url))

    def one() -> object:
        body = inquiry_body(rng)
        sources = body.pop("sources", [])
        return price(body, sources, clock.now(), models.registry, settings, models.outcome)

    def stored() -> None:
        report = one()
        with session_scope(factory) as s:
            save_inquiry(s, report)

    one()  # warm-up
    return {"price()": timed(n, one), "price() + save_inquiry()": timed(n, stored)}


def over_http(base: str, token: str, n: int, rng: random.Random) -> dict[str, LoadResult]:
    import httpx

    auth = {"Authorization": f"Bearer {token}"}
    first = httpx.post(f"{base}/api/inquiries", json=inquiry_body(rng), headers=auth, timeout=120)
    first.raise_for_status()  # also loads the models on the server: not measured
    report_id = first.json()["id"]

    def post(_: int) -> tuple[str, str, dict | None, dict[str, str]]:
        return "POST", "/api/inquiries", inquiry_body(rng), auth

    def read(_: int) -> tuple[str, str, dict | None, dict[str, str]]:
        return "GET", f"/api/inquiries/{report_id}", None, auth

    def bare(_: int) -> tuple[str, str, dict | None, dict[str, str]]:
        return "GET", "/api/lots?page_size=1", None, {}

    rows: dict[str, LoadResult] = {}
    makers: tuple[tuple[str, RequestMaker], ...] = (
        ("GET /api/lots?page_size=1 (bare GET)", bare),
        ("GET /api/inquiries/{id}", read),
        ("POST /api/inquiries", post),
    )
    for concurrency in (1, 4):
        for label, make in makers:
            rows[f"{label}, {concurrency} conn"] = run(drive(base, concurrency, n, make))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 requests per row")
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help=f"PostgreSQL server for the scratch database {PG_DATABASE} (--backend postgres)",
    )
    args = parser.parse_args()
    n = 60 if args.quick else 300
    rng = random.Random(3)
    with scratch_database(args.backend, args.pg) as url:
        print(f"[{args.backend}] in-process, {n} inquiries", file=sys.stderr)
        rows = in_process(url, n, rng)
        token = court_token(url)
        with uvicorn_server(url) as base:
            print(f"[{args.backend}] over HTTP, {n} requests per row", file=sys.stderr)
            rows.update(over_http(base, token, n, rng))
    bare_p50 = percentile(rows["GET /api/lots?page_size=1 (bare GET), 1 conn"].latencies, 50)
    print(
        f"\nInquiry latency ({args.backend}, {n} requests per row; ratio = p50 ÷ bare GET p50, "
        "1 connection, same server, same run)"
    )
    print("| what | requests | non-2xx | p50 ms | p99 ms | mean ms | p50 ÷ bare GET p50 |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, r in rows.items():
        bad = r.requests - r.count(200, 201)
        print(
            f"| {label} | {r.requests} | {bad} | {r.p(50):.1f} | {r.p(99):.1f} "
            f"| {statistics.fmean(r.latencies) * 1000:.1f} "
            f"| {percentile(r.latencies, 50) / bare_p50:.1f} |"
        )


if __name__ == "__main__":
    main()
