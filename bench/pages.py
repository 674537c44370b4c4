"""Server time of every web page at 10,000 lots, beside a bare GET on the same server.

    .venv/bin/python bench/pages.py              # 10,000 lots, 200 requests per page
    .venv/bin/python bench/pages.py --lots 2000 --requests 50

It makes a scratch SQLite database, seeds the demo's real lots through ``auction.engine`` (every
state, with bids and results), fills it up to ``--lots`` with bulk copies of the engine's own
rows (``bench/common.py: bulk_copy_lots``), starts a real uvicorn process, asks one inquiry
through the API, then requests each page one after another (one keep-alive connection, so the
time is the server's plus a loopback round trip) and prints p50/p99 per page. A report's PDF is
made once (the report page makes it in the background) and then served from a cache: "PDF
(first)" times three PDFs asked for before their report page was ever shown. The baseline is
the same server answering ``GET /static/fapai.css``, a bare GET; ``× base`` is a page's p50
over the baseline's, measured in the same run. The issue's bar: no page over 300 ms.

Never run by the test suite. It stops its server and removes its database on the way out.
"""

from __future__ import annotations

import argparse
import time

import httpx
from common import bulk_copy_lots, percentile, scratch_database, uvicorn_server

BUDGET_MS = 300.0
WARMUP = 5


def seed(url: str, lots: int) -> tuple[str, str]:
    """The demo (court and bidder tokens), then copies up to ``lots``."""
    from app.market import refresh_database
    from auction.demo import seed_demo
    from fapai.clock import SystemClock
    from fapai.db import make_engine, session_factory
    from fapai.settings import Settings

    engine = make_engine(url)
    summary = seed_demo(
        session_factory(engine),
        Settings(database_url=url),
        SystemClock().now(),
        lots=60,
    )
    engine.dispose()
    bulk_copy_lots(url, lots)
    # Every lot's market estimate, priced in batch as the server's sweep does (the search sorts
    # and filters by 起拍价 ÷ 市场估价).
    print(refresh_database(Settings(database_url=url), SystemClock()), flush=True)
    court = next(u.token for u in summary.users if u.role == "court")
    bidder = next(u.token for u in summary.users if u.role == "bidder")
    return court, bidder


def timed(client: httpx.Client, path: str, requests: int) -> list[float]:
    """Latencies (ms) of ``requests`` sequential GETs of ``path``, after a warm-up."""
    for _ in range(WARMUP):
        client.get(path).raise_for_status()
    out = []
    for _ in range(requests):
        t0 = time.perf_counter()
        response = client.get(path)
        out.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} → {response.status_code}: {response.text[:300]}")
    return out


def new_inquiry(api: httpx.Client, area: int = 89) -> int:
    """A fresh inquiry through the API (court); its id."""
    inquiry = api.post(
        "/api/inquiries",
        json={
            "city": "广州市",
            "district": "天河区",
            "area_m2": area,
            "rooms": 3,
            "sources": [{"platform": "京东", "price": 3_000_000}],
        },
    )
    inquiry.raise_for_status()
    return inquiry.json()["id"]


def first_pdf(client: httpx.Client, api: httpx.Client, times: int = 5) -> list[float]:
    """Latencies (ms) of the PDF of reports never shown before: made while the client waits."""
    out = []
    for n in range(times):
        path = f"/inquiries/{new_inquiry(api, area=70 + n)}.pdf"
        t0 = time.perf_counter()
        client.get(path).raise_for_status()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pages(api: httpx.Client) -> dict[str, str]:
    """Each page at its heaviest ordinary use: busiest lot, deep page, filters, report."""
    busiest = api.get("/api/lots", params={"sort": "bids", "page_size": 1}).json()["items"][0]
    total = api.get("/api/lots", params={"page_size": 1}).json()["total"]
    report = new_inquiry(api)
    return {
        "search (home)": "/",
        "search filtered": "/?city=广州市&status=bidding&property_type=residential&sort=-price",
        "search text": "/?q=花园&sort=newest",
        "search by start ÷ market": "/?sort=market_ratio",
        "search start ÷ market ≤ 0.8": "/?max_market_ratio=0.8&sort=-market_ratio",
        f"search last page ({total:,} lots)": f"/?page={(total + 23) // 24}",
        f"lot ({busiest['bid_count']} bids)": f"/lots/{busiest['id']}",
        "lot live update": f"/lots/{busiest['id']}/live",
        "results + chart": "/results",
        "sign-in": "/signin",
        "bidder registration": "/bidders/new",
        "inquiry form": "/inquiries/new",
        "publish lot (from report)": f"/lots/new?inquiry_id={report}",
        "inquiry report": f"/inquiries/{report}",
        "inquiry report PDF (made)": f"/inquiries/{report}.pdf",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lots", type=int, default=10_000, help="lots in the database")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    args = parser.parse_args()

    with scratch_database("sqlite", "") as url:
        print(f"seeding {args.lots:,} lots…", flush=True)
        court, _ = seed(url, args.lots)
        with uvicorn_server(url) as base:
            api = httpx.Client(
                base_url=base, headers={"Authorization": f"Bearer {court}"}, timeout=60
            )
            client = httpx.Client(base_url=base, timeout=60)
            # The pages as the court sees them: signed in (a session cookie), as a person is.
            client.post("/signin", data={"token": court}, headers={"origin": base})
            targets = pages(api)
            baseline = timed(client, "/static/fapai.css", args.requests)
            rows = [(name, timed(client, path, args.requests)) for name, path in targets.items()]
            rows.append(("inquiry report PDF (first)", first_pdf(client, api)))
            client.close()
            api.close()

    base_p50 = percentile(baseline, 50)
    print(f"\nweb pages, SQLite, {args.lots:,} lots, {args.requests} sequential requests each")
    print(f"{'page':<32} {'p50 ms':>8} {'p99 ms':>8} {'× base':>8}  {'≤ 300 ms':>8}")
    print(
        f"{'baseline GET /static/fapai.css':<32} {base_p50:>8.1f} "
        f"{percentile(baseline, 99):>8.1f} {1.0:>8.1f}"
    )
    for name, ms in rows:
        p50, p99 = percentile(ms, 50), percentile(ms, 99)
        verdict = "yes" if p99 <= BUDGET_MS else "NO"
        print(f"{name:<32} {p50:>8.1f} {p99:>8.1f} {p50 / base_p50:>8.1f}  {verdict:>8}")


if __name__ == "__main__":
    main()
