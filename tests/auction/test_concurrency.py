"""Many bidders on one lot at once, through a real uvicorn process, on SQLite and PostgreSQL:
every accepted bid is stored once, amounts strictly increase in acceptance order, the winner
is the highest valid bid, a request racing its own retry (same Idempotency-Key) makes one bid,
and nothing answers 500."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from app.testing import fast_rules, lot_request, uvicorn_server, wait_until
from auction import auth
from fapai.db import make_engine, session_factory, session_scope

pytestmark = pytest.mark.slow

BIDDERS = 44  # more than the request thread pool (40): a lock holder must never wait for it
ATTEMPTS = 3


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(base url, court token, bidder tokens) of a uvicorn process on ``db_url``, with the
    legal clock shortened through FAPAI_* settings."""
    engine = make_engine(db_url)
    with session_scope(session_factory(engine)) as s:
        court = auth.create_user(
            s, "court", "court", court=auth.ensure_court(s, "GZYX", "广州市越秀区人民法院")
        )[1]
        bidders = [auth.create_user(s, f"b{i}", "bidder")[1] for i in range(BIDDERS)]
    engine.dispose()
    env = {"FAPAI_DATABASE_URL": db_url, **fast_rules()}
    with uvicorn_server(env, tmp_path / "server.log") as base:
        yield base, court, bidders


def test_many_bidders_on_one_lot(server):
    base, court, tokens = server
    start = datetime.now(UTC) + timedelta(seconds=1)
    # Long enough for 44 registrations and their bids on a loaded 2-core machine: the test
    # waits for the close, never for a time.
    lot_body = lot_request(start, 15)
    with httpx.Client(base_url=base, timeout=30) as c:
        r = c.post("/api/lots", json=lot_body, headers={"Authorization": f"Bearer {court}"})
        assert r.status_code == 201, r.text
        lot_id = r.json()["id"]

        def register(token: str) -> httpx.Response:
            headers = {"Authorization": f"Bearer {token}"}
            return c.post(f"/api/lots/{lot_id}/registrations", headers=headers)

        with ThreadPoolExecutor(len(tokens)) as pool:  # all at once: codes stay unique
            registrations = list(pool.map(register, tokens))
        assert [r.status_code for r in registrations] == [201] * len(tokens)
        codes = {r.json()["bidder_code"] for r in registrations}
        assert codes == {f"B{n:04d}" for n in range(1, len(tokens) + 1)}
        assert wait_until(lambda: c.get(f"/api/lots/{lot_id}").json()["status"] == "bidding", 10)

    accepted: list[dict] = []
    statuses: list[int] = []
    replays: list[set[int]] = []
    pairs: list[tuple[int, ...]] = []
    lock = threading.Lock()
    go = threading.Barrier(len(tokens))

    def bidder(i: int, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with (
            httpx.Client(base_url=base, timeout=30, headers=headers) as c,
            ThreadPoolExecutor(2) as twice,
        ):
            go.wait()
            for attempt in range(ATTEMPTS):
                price = c.get(f"/api/lots/{lot_id}").json()["current_price"]
                amount = price + 1_000 * (1 + (i + attempt) % 3)
                key = {"Idempotency-Key": uuid.uuid4().hex}

                def send(_: int, amount: float = amount, key: dict = key) -> httpx.Response:
                    return c.post(f"/api/lots/{lot_id}/bids", json={"amount": amount}, headers=key)

                # The request and its retry race each other: whichever runs second finds the
                # key (the same bid back) or meets the same higher price (409 again).
                answers = list(twice.map(send, range(2)))
                with lock:
                    statuses.extend(r.status_code for r in answers)
                    pairs.append(tuple(r.status_code for r in answers))
                    won = [r.json() for r in answers if r.status_code == 201]
                    if won:
                        accepted.append(won[0])
                        replays.append({b["id"] for b in won})

    threads = [threading.Thread(target=bidder, args=(i, t)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert statuses and set(statuses) <= {201, 409}, sorted(set(statuses))
    assert all(a == b for a, b in pairs), pairs  # a request and its retry: same answer…
    assert all(len(ids) == 1 for ids in replays)  # …and at most one bid
    assert len(accepted) >= 2

    with httpx.Client(base_url=base, timeout=30) as c:
        assert wait_until(lambda: c.get(f"/api/lots/{lot_id}").json()["status"] == "sold", 90)
        lot = c.get(f"/api/lots/{lot_id}").json()
        stored = c.get(f"/api/lots/{lot_id}/bids").json()
        (result,) = c.get("/api/results").json()["items"]

    stored_ids = [b["id"] for b in stored]
    assert len(stored_ids) == len(set(stored_ids)) == lot["bid_count"]
    assert set(stored_ids) == {b["id"] for b in accepted}  # each accepted bid stored once
    in_order = sorted(stored, key=lambda b: b["id"])  # ids are taken under the lot lock
    amounts = [b["amount"] for b in in_order]
    assert all(a < b for a, b in zip(amounts, amounts[1:], strict=False)), amounts
    top = in_order[-1]
    assert (result["final_price"], result["winner_code"]) == (max(amounts), top["bidder_code"])
    assert lot["current_price"] == max(amounts)
