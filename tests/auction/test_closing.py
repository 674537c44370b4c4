"""Closing runs in the server process: the loop closes a round once its end passes, and a
restarted server closes at start-up what ended while it was down."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from app.main import create_app
from fapai.settings import Settings


def _wait_for_status(client: TestClient, lot_id: int, status: str, seconds: float = 10) -> dict:
    """Poll the real background loop (a thread of the app), never longer than ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        lot = client.get(f"/api/lots/{lot_id}").json()
        if lot["status"] == status or time.monotonic() > deadline:
            return lot
        time.sleep(0.02)


def _closed(outcome: str) -> float:
    return REGISTRY.get_sample_value("fapai_lots_closed_total", {"outcome": outcome}) or 0.0


def test_closing_loop_closes_after_the_end(api, db_url, clock):
    closed_before = _closed("sold")
    lags_before = REGISTRY.get_sample_value("fapai_closing_lag_seconds_count") or 0.0
    lot = api.create_lot()
    api.register(lot["id"], 0)
    api.clock.set(datetime.fromisoformat(lot["starts_at"]))
    assert api.bid(lot["id"], 0, 700_000).status_code == 201
    fast = create_app(Settings(database_url=db_url, closing_interval_seconds=0.02), clock)
    with TestClient(fast) as client:
        assert client.get(f"/api/lots/{lot['id']}").json()["status"] == "bidding"
        clock.set(datetime.fromisoformat(lot["ends_at"]))
        assert _wait_for_status(client, lot["id"], "sold")["status"] == "sold"
        assert client.get("/api/results").json()["items"][0]["final_price"] == 700000
    # Counted: one more round closed as sold, its lag (the frozen clock: 0 s) observed once.
    assert _closed("sold") == closed_before + 1
    assert REGISTRY.get_sample_value("fapai_closing_lag_seconds_count") == lags_before + 1


def test_a_server_starting_after_the_end_closes_at_start_up(api, db_url, clock):
    lot = api.create_lot()
    api.clock.set(datetime.fromisoformat(lot["ends_at"]) + timedelta(hours=1))
    # ``api``'s own loop waits an hour between passes: nothing has closed the round yet.
    assert api.lot(lot["id"])["status"] == "bidding"
    restarted = create_app(Settings(database_url=db_url, closing_interval_seconds=3600), clock)
    with TestClient(restarted) as client:
        assert client.get(f"/api/lots/{lot['id']}").json()["status"] == "failed"
        (row,) = client.get("/api/results").json()["items"]
        assert (row["outcome"], row["final_price"], row["bid_count"]) == ("failed", None, 0)
