"""Inquiry cost: throughput over HTTP beside a plain read, server time beside a bare predict.

    .venv/bin/python bench/inquiry_http.py            # 300 requests per row
    .venv/bin/python bench/inquiry_http.py --quick    # 60 requests per row
    .venv/bin/python bench/inquiry_http.py --backend postgres

Two ratios, each against a baseline measured in the same run on the same machine:

- **throughput**: ``POST /api/inquiries`` (court token) on a real ``uvicorn --factory
  app.main:create_app`` process, 1 and 4 concurrent connections, against ``GET /api/lots/{id}``
  (one seeded lot) on the same server at the same concurrency: requests/s ÷ requests/s;
- **server time**: the inquiry as the server runs it, in this process with the models already
  in memory (:class:`app.inquiry.InquiryService`: validate, price, outcome curves, report,
  stored in the scratch database), p50 against a bare one-row ``predict`` of the promoted
  price model's Pipeline on a subject's feature row.

Descriptions vary over five Guangzhou/Shenzhen districts, areas and layouts; half the requests
bring one listed platform's result. It uses ``bench/common.py``'s scratch database, server
launcher and load driver and the demo's seeded lots and court user; the server is stopped and
the scratch database removed on the way out. Never run by the test suite.
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
        body["sources"] = [{"platform": "京东", "price": rng.randint(2_000_000, 6_000_000)}]
        body["confirmed"] = True  # a random platform price may be far from the model's
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


def seed(url: str) -> tuple[str, int]:
    """The demo's lots and users (through the engine): a court token and a lot id to read."""
    from auction.demo import seed_demo
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory, writer_engine
    from fapai.settings import Settings

    engine = make_engine(url)
    summary = seed_demo(
        session_factory(writer_engine(engine)), Settings(database_url=url), SystemClock().now(), 9
    )
    engine.dispose()
    (court,) = (u.token for u in summary.users if u.role == "court")
    return court, 1


def in_process(url: str, n: int, rng: random.Random) -> dict[str, LoadResult]:
    """The service as a request runs it, and the bare one-row predict it is measured against."""
    from threadpoolctl import threadpool_limits

    from app.inquiry import InquiryService
    from app.schemas import InquiryIn
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory, session_scope
    from fapai.settings import Settings

    settings = Settings(database_url=url)
    clock = SystemClock()
    service = InquiryService.load(settings, clock)
    factory = session_factory(make_engine(url))
    model = service.price_model()
    frame = model.subject_frame({**SUBJECTS[0], "area_m2": 89})

    def bare() -> None:
        with threadpool_limits(limits=1, user_api="openmp"):
            model.pipeline.predict(frame)

    def inquire() -> None:
        body = InquiryIn.model_validate(inquiry_body(rng))
        with session_scope(factory) as s:
            service.inquire(s, body, None)

    bare()
    inquire()  # warm-up
    return {
        "bare one-row predict": timed(n, bare),
        "inquiry service (in-process)": timed(n, inquire),
    }


def over_http(base: str, token: str, lot_id: int, n: int, rng: random.Random) -> dict:
    import httpx

    auth = {"Authorization": f"Bearer {token}"}
    first = httpx.post(f"{base}/api/inquiries", json=inquiry_body(rng), headers=auth, timeout=120)
    first.raise_for_status()  # also loads the models on the server: not measured

    def post(_: int) -> tuple[str, str, dict | None, dict[str, str]]:
        return "POST", "/api/inquiries", inquiry_body(rng), auth

    def read(_: int) -> tuple[str, str, dict | None, dict[str, str]]:
        return "GET", f"/api/lots/{lot_id}", None, {}

    rows: dict[tuple[str, int], LoadResult] = {}
    makers: tuple[tuple[str, RequestMaker], ...] = (("GET", read), ("POST", post))
    for concurrency in (1, 4):
        for label, make in makers:
            rows[label, concurrency] = run(drive(base, concurrency, n, make))
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
        local = in_process(url, n, rng)
        token, lot_id = seed(url)
        with uvicorn_server(url) as base:
            print(f"[{args.backend}] over HTTP, {n} requests per row", file=sys.stderr)
            http = over_http(base, token, lot_id, n, rng)

    bare = percentile(local["bare one-row predict"].latencies, 50)
    print(f"\nInquiry cost ({args.backend}, {n} requests per row, same run)")
    print("| what | p50 ms | p99 ms | mean ms | p50 ÷ bare predict p50 |")
    print("|---|---:|---:|---:|---:|")
    for label, r in local.items():
        print(
            f"| {label} | {r.p(50):.2f} | {r.p(99):.2f} "
            f"| {statistics.fmean(r.latencies) * 1000:.2f} "
            f"| {percentile(r.latencies, 50) / bare:.2f} |"
        )
    print(
        "\n| conn | GET /api/lots/{id} req/s | POST /api/inquiries req/s | non-2xx | POST p50 ms "
        "| POST p99 ms | POST/s ÷ GET/s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for concurrency in (1, 4):
        get, post = http["GET", concurrency], http["POST", concurrency]
        get_rate = get.per_second(get.requests)
        post_rate = post.per_second(post.requests)
        print(
            f"| {concurrency} | {get_rate:.1f} | {post_rate:.1f} "
            f"| {post.requests - post.count(200, 201)} | {post.p(50):.1f} | {post.p(99):.1f} "
            f"| {post_rate / get_rate:.3f} |"
        )


if __name__ == "__main__":
    main()
