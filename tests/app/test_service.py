"""fapai as a service: ``fapai serve --workers 3`` on a fresh database (PostgreSQL and a SQLite
file) migrates once and takes bids; ``/healthz``, ``/metrics`` (added up over the workers), the
favicon, and JSON log lines per request and per lot state change, with no token in them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from app.main import create_app
from app.testing import fast_rules, lot_request, uvicorn_server, wait_until
from auction import auth
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("fresh_pg_url")


def _samples(metrics_text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(metrics_text)
        for s in family.samples
        if s.name == name
    }


def test_serve_with_three_workers_on_a_fresh_database_takes_bids(
    fresh_url: str, tmp_path: Path
) -> None:
    env = {
        "FAPAI_DATABASE_URL": fresh_url,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "FAPAI_WARM_MODELS": "0",
        **fast_rules(bidding_seconds=2),
    }
    log_path = tmp_path / "serve.log"
    with uvicorn_server(env, log_path, workers=3, timeout=180) as base:
        # The server migrated the fresh database: accounts can be made in it. The other workers
        # may still be starting (each closes what is due, holding SQLite's write lock): take
        # the lock at BEGIN and wait for it, as the CLI does, rather than fail on an upgrade.
        engine = make_engine(fresh_url)
        with session_scope(session_factory(writer_engine(engine))) as s:
            yuexiu = auth.ensure_court(s, "GZYX", "广州市越秀区人民法院")
            court = auth.create_user(s, "court", "court", court=yuexiu)[1]
            bidders = [auth.create_user(s, f"b{i}", "bidder")[1] for i in range(2)]
        engine.dispose()

        def as_(token: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token}"}

        start = datetime.now(UTC) + timedelta(seconds=2)
        lot = lot_request(start, 600, number=9)
        # A new connection for every request, so the three workers share the work.
        r = httpx.post(f"{base}/api/lots", json=lot, headers=as_(court), timeout=30)
        assert r.status_code == 201, r.text
        lot_id = r.json()["id"]
        for token in bidders:
            reg = httpx.post(f"{base}/api/lots/{lot_id}/registrations", headers=as_(token))
            assert reg.status_code == 201, reg.text
        assert wait_until(
            lambda: httpx.get(f"{base}/api/lots/{lot_id}").json()["status"] == "bidding", 30
        )
        amounts = [700_000 + 1_000 * n for n in range(6)]
        for n, amount in enumerate(amounts):
            bid = httpx.post(
                f"{base}/api/lots/{lot_id}/bids",
                json={"amount": amount},
                headers=as_(bidders[n % 2]),
                timeout=30,
            )
            assert bid.status_code == 201, bid.text
        low = httpx.post(
            f"{base}/api/lots/{lot_id}/bids", json={"amount": 700_000}, headers=as_(bidders[1])
        )
        assert low.status_code == 409, low.text
        assert httpx.get(f"{base}/api/lots/{lot_id}").json()["current_price"] == amounts[-1]

        health = httpx.get(f"{base}/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["migrations"] == "at head"
        scraped = httpx.get(f"{base}/metrics")
        assert scraped.status_code == 200
        assert scraped.headers["content-type"].startswith("text/plain")

    bids = _samples(scraped.text, "fapai_bids_total")
    assert bids[(("outcome", "accepted"), ("reason", ""))] == len(amounts)  # all workers
    assert bids[(("outcome", "refused"), ("reason", "conflict:amount"))] == 1
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    events = [line.get("event") for line in lines]
    assert events.count("request") >= len(amounts) + 4
    assert {"from": None, "to": "announced"}.items() <= next(
        line for line in lines if line.get("event") == "lot_state"
    ).items()
    assert "Traceback" not in log_path.read_text()
    for token in (court, *bidders):
        assert token not in log_path.read_text()


def test_healthz_metrics_and_favicon_in_process(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, warm_models=False)
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {
            "status": "ok",
            "checks": {
                "database": "ok",
                "migrations": "at head",
                "models": "loaded on the first inquiry (FAPAI_WARM_MODELS=0)",
            },
        }
        icon = client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert b"<svg" in icon.content
        assert 'rel="icon"' in client.get("/").text
        client.get("/api/lots/999999")
        before = _samples(client.get("/metrics").text, "fapai_inquiries_total")
        assert client.post("/api/inquiries", json={}).status_code == 401  # no court token
        scraped = client.get("/metrics").text
    requests = _samples(scraped, "fapai_http_requests_total")
    assert requests[(("method", "GET"), ("route", "/api/lots/{lot_id}"), ("status", "404"))] >= 1
    refused = (("outcome", "refused"),)
    inquiries = _samples(scraped, "fapai_inquiries_total")
    assert inquiries[refused] == before.get(refused, 0) + 1
    assert _samples(scraped, "fapai_inquiry_seconds_count")[()] >= 1


def test_healthz_answers_503_when_the_schema_is_behind(sqlite_url: str) -> None:
    settings = Settings(database_url=sqlite_url, warm_models=False)
    with TestClient(create_app(settings)) as client:
        with client.app.state.engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version WHERE version_num LIKE 'm%'"))
        health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["status"] == "unavailable"
    assert health.json()["checks"]["migrations"].startswith("behind: m")
