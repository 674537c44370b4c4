"""Bids are rate-limited per bidder and per client address (429 with Retry-After). Through the
API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta


def test_bids_are_limited_per_bidder_and_per_address(limited_api) -> None:
    api = limited_api  # 3 bids a minute per bidder, 5 per address
    lot = api.create_lot()
    for i in range(3):
        api.register(lot["id"], i)
    api.clock.set(api.clock.now() + timedelta(days=30, minutes=1))
    first = [api.bid(lot["id"], 0, 700_000 + 5_000 * n).status_code for n in range(4)]
    assert first == [201, 201, 201, 429]
    refused = api.bid(lot["id"], 0, 800_000)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert "操作过于频繁" in refused.json()["message"]
    # Other bidders have limits of their own, until the address's is reached.
    assert api.bid(lot["id"], 1, 715_000).status_code == 201
    assert api.bid(lot["id"], 2, 720_000).status_code == 201
    assert api.bid(lot["id"], 1, 725_000).status_code == 429
