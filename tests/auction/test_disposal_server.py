"""The disposal end to end through a real uvicorn process, on SQLite and PostgreSQL, with the
legal clock shortened by FAPAI_* settings: two failed auctions, a 变卖 whose first bid opens the
bidding period and whose highest bid wins (衔接通知), a renege and the re-sale in the same
round without the reneger (拍卖规定 第二十四条); and a server SIGKILLed in the middle of a 变卖
bidding period and of a balance deadline, restarted after them: the outcome is the one the
times dictate, as if it had never stopped."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.testing import (
    fast_rules,
    lot_request,
    start_server,
    stop_server,
    uvicorn_server,
    wait_until,
)
from auction import auth
from fapai.db import make_engine, session_factory, session_scope

pytestmark = pytest.mark.slow

# 2 s rounds, a 3 s 变卖 bidding period, notices of 0 days, deposits recorded at once.
FAST = {
    **fast_rules(bidding_seconds=2),
    "FAPAI_REANNOUNCE_DAYS_IMMOVABLE": "0",
    "FAPAI_SALE_ANNOUNCE_DAYS_IMMOVABLE": "0",
    "FAPAI_SALE_BIDDING_SECONDS": "3",
    "FAPAI_PAYMENT_ADAPTER": "recorded",
}
# A balance deadline of about 50 s (0.0006 days): long enough for a restart on a loaded machine.
SHORT_BALANCE = {"FAPAI_BALANCE_PAYMENT_DAYS": "0.0006"}


def _people(db_url: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    engine = make_engine(db_url)
    with session_scope(session_factory(engine)) as s:
        court = auth.ensure_court(s, "GZYX", "广州市越秀区人民法院")
        court_token = auth.create_user(s, "court", "court", court=court)[1]
        bidders = [auth.create_user(s, f"b{i}", "bidder")[1] for i in range(2)]
    engine.dispose()
    return _bearer(court_token), [_bearer(t) for t in bidders]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _soon() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=1)


def _status(c: httpx.Client, lot_id: int) -> str:
    return c.get(f"/api/lots/{lot_id}").json()["status"]


def _wait_status(c: httpx.Client, lot_id: int, status: str) -> dict:
    assert wait_until(lambda: _status(c, lot_id) == status, 60), (status, _status(c, lot_id))
    return c.get(f"/api/lots/{lot_id}").json()


def _to_sale(c: httpx.Client, court: dict[str, str]) -> int:
    """A lot through two failed auctions into a 变卖 whose period has begun."""
    r = c.post("/api/lots", json=lot_request(_soon(), 2), headers=court)
    assert r.status_code == 201, r.text
    lot_id = r.json()["id"]
    _wait_status(c, lot_id, "failed")
    second = {"start_price": 560_000, "deposit": 56_000, "starts_at": _soon().isoformat()}
    second["ends_at"] = (_soon() + timedelta(seconds=2)).isoformat()
    assert c.post(f"/api/lots/{lot_id}/relist", json=second, headers=court).status_code == 200
    _wait_status(c, lot_id, "failed")
    sale = {"start_price": 560_000, "deposit": 560_000, "starts_at": _soon().isoformat()}
    r = c.post(f"/api/lots/{lot_id}/relist", json=sale, headers=court)
    assert (r.status_code, r.json()["round"], r.json()["deposit"]) == (200, "sale", 560_000)
    return lot_id


def _bid(c: httpx.Client, lot_id: int, bidder: dict[str, str], amount: int) -> httpx.Response:
    """A bid retried until the 变卖期 has begun (a 409 before its start)."""
    answer: list[httpx.Response] = []

    def placed() -> bool:
        answer[:] = [c.post(f"/api/lots/{lot_id}/bids", json={"amount": amount}, headers=bidder)]
        return answer[0].status_code != 409 or "开始" not in answer[0].json()["message"]

    assert wait_until(placed, 30)
    return answer[0]


def test_sale_bidding_then_renege_and_resale_over_a_real_server(db_url: str, tmp_path: Path):
    """衔接通知: the whole price as deposit, the first bid opens the bidding period, the highest
    bid wins. 拍卖规定 第二十四条: the renege re-sells the same round, the reneger barred, the
    forfeited deposit applied to the shortfall; every step in the public trail."""
    court, (a, b) = _people(db_url)
    with (
        uvicorn_server({"FAPAI_DATABASE_URL": db_url, **FAST}, tmp_path / "server.log") as base,
        httpx.Client(base_url=base, timeout=30) as c,
    ):
        lot_id = _to_sale(c, court)
        for bidder in (a, b):
            r = c.post(f"/api/lots/{lot_id}/registrations", headers=bidder)
            assert (r.status_code, r.json()["deposit"]) == (201, 560_000), r.text
        assert _bid(c, lot_id, a, 560_000).status_code == 201
        assert _status(c, lot_id) == "sale_bidding"
        assert (
            c.post(f"/api/lots/{lot_id}/bids", json={"amount": 561_000}, headers=b).status_code
            == 201
        )
        sold = _wait_status(c, lot_id, "sold")
        assert (sold["current_price"], sold["leading_bidder_code"]) == (561_000, "B0002")

        r = c.post(f"/api/lots/{lot_id}/renege", json={"costs": 100}, headers=court)
        assert (r.status_code, r.json()["status"]) == (200, "reneged")
        resale = {"start_price": 560_000, "deposit": 560_000, "starts_at": _soon().isoformat()}
        r = c.post(f"/api/lots/{lot_id}/relist", json=resale, headers=court)
        assert (r.status_code, r.json()["round"]) == (200, "sale")  # the same round again
        barred = c.post(f"/api/lots/{lot_id}/registrations", headers=b)
        assert barred.status_code == 403 and "第二十四条" in barred.json()["message"]
        assert c.post(f"/api/lots/{lot_id}/registrations", headers=a).status_code == 201
        assert _bid(c, lot_id, a, 560_000).status_code == 201
        resold = _wait_status(c, lot_id, "sold")  # no competing bid: the first payer buys
        assert resold["current_price"] == 560_000
        events = c.get(f"/api/lots/{lot_id}/events").json()

    kinds = [e["kind"] for e in events]
    assert kinds.count("sale_bidding") == 2 and "reauction" in kinds and "reneged" in kinds
    (forfeit,) = [e for e in events if e["kind"] == "forfeit_applied"]
    # 561,000 − 560,000 = ¥1,000 shortfall after ¥100 of costs; the rest to the debt.
    assert forfeit["detail"] == {
        "forfeited": 56_000_000,
        "costs": 10_000,
        "shortfall": 100_000,
        "debt": 55_890_000,
    }
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(events, events[1:], strict=False))


class _Server:
    """A server process this test may SIGKILL and start again on the same database."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log, self.proc = env, log, None
        self.base = ""

    def start(self) -> str:
        self.proc, self.base = start_server(self.env, self.log)
        return self.base

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc)


@pytest.fixture
def restartable(db_url: str, tmp_path: Path) -> Iterator[_Server]:
    env = {"FAPAI_DATABASE_URL": db_url, **FAST, **SHORT_BALANCE}
    server = _Server(env, tmp_path / "server.log")
    yield server
    server.stop()


def _sleep_past(when: str) -> None:
    """Wait (no assertion on time) until the wall clock is past ``when`` plus a second."""
    target = datetime.fromisoformat(when) + timedelta(seconds=1)
    while datetime.now(UTC) < target:
        time.sleep(0.1)


def test_sigkill_in_sale_bidding_and_balance_deadline_changes_nothing(
    db_url: str, restartable: _Server
):
    """A SIGKILL during the 变卖 bidding period, and again before the balance deadline; the
    restarted server closes the sale at its end and records the renege at the deadline
    (拍卖规定 第二十四条、第二十五条; 衔接通知), exactly as an uninterrupted server would."""
    court, (a, _b) = _people(db_url)
    base = restartable.start()
    with httpx.Client(base_url=base, timeout=30) as c:
        lot_id = _to_sale(c, court)
        assert c.post(f"/api/lots/{lot_id}/registrations", headers=a).status_code == 201
        assert _bid(c, lot_id, a, 560_000).status_code == 201
        bidding = c.get(f"/api/lots/{lot_id}").json()
    assert bidding["status"] == "sale_bidding"
    restartable.kill()  # in the middle of the 变卖 bidding period
    _sleep_past(bidding["ends_at"])
    base = restartable.start()
    with httpx.Client(base_url=base, timeout=30) as c:
        sold = _wait_status(c, lot_id, "sold")
        (result,) = [r for r in c.get("/api/results").json()["items"] if r["outcome"] == "sold"]
    # Closed as of its end, not as of the restart.
    assert datetime.fromisoformat(result["closed_at"]) == datetime.fromisoformat(bidding["ends_at"])
    assert sold["current_price"] == 560_000 and sold["balance_due_at"]
    restartable.kill()  # before the balance deadline
    _sleep_past(sold["balance_due_at"])
    base = restartable.start()
    with httpx.Client(base_url=base, timeout=30) as c:
        _wait_status(c, lot_id, "reneged")
        events = c.get(f"/api/lots/{lot_id}/events").json()
    reneged = events[-1]
    assert (reneged["kind"], reneged["actor_role"]) == ("reneged", "system")
    assert datetime.fromisoformat(reneged["at"]) == datetime.fromisoformat(sold["balance_due_at"])
