"""Crawl throughput on this machine: fapai's spiders against a local fixture site, beside
``scrapy bench`` run in the same script as the baseline.

Run: .venv/bin/python bench/crawl.py [--copies 5]

The site is the Lianjia fixture (tests/fixtures/sites) rendered from the real Guangzhou
sample ``copies`` times: 440 × copies listings, 30 per list page, each with a detail page
(≥ 2,000 pages at the default). Politeness is switched off for the measurement (no
AutoThrottle, no delay, 16 requests per domain); robots.txt stays on. Rows:

- scrapy bench: Scrapy's own benchmark spider (follows links, parses nothing), the baseline;
- fapai full crawl: parse, validate, store into a fresh SQLite file in batches;
- fapai no database: the same without storage (what parsing and validation cost);
- fapai re-crawl: the same site again, incremental (unchanged detail pages skipped);
- fapai 2 redis workers: two processes sharing one crawl through scrapy-redis (Redis at
  FAPAI_REDIS_URL or 127.0.0.1:6379), fresh database.

Figures: pages/s and items/s from each crawl's own elapsed time (Scrapy's stats, so process
start-up is excluded), their ratio to scrapy bench's pages/s, and each process's peak
resident memory (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "sites"))

import sitegen  # noqa: E402
from siteserver import FixtureServer  # noqa: E402

from fapai.db import migrate  # noqa: E402

BIN = Path(sys.executable).parent
FAST = [
    "--set",
    "AUTOTHROTTLE_ENABLED=False",
    "--set",
    "DOWNLOAD_DELAY=0",
    "--set",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
]


@dataclass
class Row:
    name: str
    pages: int
    items: int
    seconds: float
    peak_mb: float

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def _peak_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else None


def run_watched(cmds: list[list[str]], env: dict[str, str], cwd: Path) -> tuple[list[str], float]:
    """Run processes side by side; (their outputs, the highest peak RSS of any, in MB)."""
    procs = [
        subprocess.Popen(
            c, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for c in cmds
    ]
    peak = 0.0
    while any(p.poll() is None for p in procs):
        for p in procs:
            peak = max(peak, _peak_mb(p.pid) or 0.0)
        time.sleep(0.1)  # sampling a process's memory, not waiting on a result
    outputs = [p.communicate()[0] for p in procs]
    for p, out in zip(procs, outputs, strict=True):
        if p.returncode not in (0, 3):
            raise SystemExit(f"{' '.join(p.args[:3])} failed ({p.returncode}):\n{out[-3000:]}")
    return outputs, peak


def scrapy_bench(workdir: Path) -> Row:
    outputs, peak = run_watched(
        [[str(BIN / "scrapy"), "bench", "-s", "CLOSESPIDER_TIMEOUT=10", "-s", "LOG_LEVEL=INFO"]],
        dict(os.environ),
        workdir,
    )
    text = outputs[0]
    pages = int(re.search(r"'response_received_count': (\d+)", text).group(1))
    seconds = float(re.search(r"'elapsed_time_seconds': ([\d.]+)", text).group(1))
    return Row("scrapy bench (baseline)", pages, 0, seconds, peak)


def fapai_crawl(
    name: str,
    server: FixtureServer,
    workdir: Path,
    db_url: str,
    workers: int = 1,
    redis_url: str | None = None,
) -> Row:
    env = {k: v for k, v in os.environ.items() if k != "FAPAI_REDIS_URL"}
    env |= {"FAPAI_DATABASE_URL": db_url, "COLUMNS": "120"}
    if redis_url:
        env["FAPAI_REDIS_URL"] = redis_url
    crawl_id = f"bench-{uuid.uuid4().hex[:8]}"
    cmds = [
        [
            str(BIN / "fapai"),
            "crawl",
            "lianjia",
            "--base-url",
            server.url,
            "--crawl-id",
            crawl_id,
            "--workers",
            str(workers),
            "--stats-json",
            f"stats{i}.json",
            *FAST,
            "--set",
            "FAPAI_REDIS_MAX_IDLE=5",
        ]
        for i in range(workers)
    ]
    _, peak = run_watched(cmds, env, workdir)
    stats = [json.loads((workdir / f"stats{i}.json").read_text()) for i in range(workers)]
    if workers > 1:
        print(f"  {name}: pages per worker {[s.get('response_received_count', 0) for s in stats]}")
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{crawl_id}:*"))
        if keys:
            client.delete(*keys)
    # From the first worker's start to the last page received (not the idle wait that ends a
    # distributed worker).
    start = min(datetime.fromisoformat(s["start_time"]) for s in stats)
    end = max(
        datetime.fromisoformat(s["last_response_time"])
        for s in stats
        if s.get("last_response_time")
    )
    seconds = (end - start).total_seconds()
    return Row(
        name,
        sum(s.get("response_received_count", 0) for s in stats),
        sum(s.get("item_scraped_count", 0) for s in stats),
        seconds,
        peak,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=5, help="440 listings per copy")
    args = parser.parse_args()
    pages = sitegen.lianjia_site(sitegen.listing_rows(copies=args.copies), per_page=30)
    pages["/robots.txt"] = sitegen.robots("/xiaoqu/")
    print(f"fixture site: {len(pages)} pages, {440 * args.copies} listings", flush=True)
    redis_url = os.environ.get("FAPAI_REDIS_URL", "redis://127.0.0.1:6379/0")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, FixtureServer(pages) as server:
        work = Path(tmp)
        rows.append(scrapy_bench(work))
        db = f"sqlite:///{work / 'bench.db'}"
        rows.append(fapai_crawl("fapai full crawl (SQLite)", server, work, db))
        rows.append(fapai_crawl("fapai re-crawl (incremental)", server, work, db))
        rows.append(fapai_crawl("fapai no database", server, work, ""))
        shared = f"sqlite:///{work / 'bench2.db'}"
        migrate(shared)  # once, before several workers open the fresh database
        rows.append(
            fapai_crawl("fapai 2 redis workers (SQLite)", server, work, shared, 2, redis_url)
        )
    base = rows[0].pages_per_s
    header = (
        f"| {'run':34} | pages | items | seconds | pages/s | items/s | vs scrapy bench"
        " | peak RSS MB |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for r in rows:
        print(
            f"| {r.name:34} | {r.pages:5d} | {r.items:5d} | {r.seconds:7.1f} "
            f"| {r.pages_per_s:7.0f} | {r.items_per_s:7.0f} | {r.pages_per_s / base:15.2f} "
            f"| {r.peak_mb:11.0f} |"
        )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
