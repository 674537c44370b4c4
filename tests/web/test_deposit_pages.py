"""Deposits on the pages, with the court-account adapter (the default): the bidder registers and
is shown the payment reference (no bidder code, no bid form); the court confirms on its desk;
the bidder then has a code. The demo adapter's banner shows only while it is active. On SQLite
and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.testing import as_person
from auction import auth
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings

YUAN = 100
BANNER = 'id="recorded-deposits"'


@pytest.fixture
def site(
    db_url: str, clock: FrozenClock, publish_lot
) -> Iterator[tuple[TestClient, int, str, str]]:
    settings = Settings(database_url=db_url, payment_adapter="court_account")
    db = make_engine(db_url)
    with session_scope(session_factory(writer_engine(db))) as s:
        home = auth.ensure_court(s, "GZTH", "广州市天河区人民法院")
        clerk, court = auth.create_user(s, "书记员", "court", clock.now(), court=home)
        _, bidder = auth.create_user(s, "张三", "bidder", clock.now())
        starts = clock.now() + timedelta(days=30)
        lot = publish_lot(
            s,
            settings,
            home,
            starts,
            case_number="(2026)粤0106执8号",
            title="华夏路8号",
            created_by=clerk.id,
        )
        lot_id = lot.id
    clock.set(starts + timedelta(hours=1))
    with TestClient(create_app(settings, clock), follow_redirects=False) as client:
        yield client, lot_id, court, bidder
    db.dispose()


def test_the_court_confirms_a_deposit_on_its_desk(site) -> None:
    client, lot_id, court, bidder = site
    page = as_person(client, bidder)
    assert BANNER not in page.get("/").text  # real deposits: no demo banner
    form = page.get(f"/lots/{lot_id}").text
    assert "报名并获取付款参考号" in form
    registered = page.post(f"/lots/{lot_id}/registrations")
    assert registered.headers["location"] == f"/lots/{lot_id}?done=registered_pending"
    pending = page.get(registered.headers["location"]).text
    reference = re.search(r'id="payment-reference">(FP\w+)<', pending).group(1)
    assert "待法院确认保证金到账" in pending and 'id="bid-form"' not in pending
    refused = page.post(f"/lots/{lot_id}/bids", data={"amount": "700000"})
    assert refused.status_code == 403 and "尚未确认保证金到账" in refused.text

    desk = as_person(client, court).get(f"/desk/lots/{lot_id}").text
    assert reference in desk and "确认到账" in desk
    action = re.search(r'action="(/desk/lots/\d+/registrations/\d+/confirm)"', desk).group(1)
    done = client.post(action)
    assert done.headers["location"] == f"/desk/lots/{lot_id}?done=deposit_confirmed"

    admitted = as_person(client, bidder).get(f"/lots/{lot_id}").text
    assert re.search(r'id="my-code">B0001<', admitted) and 'id="bid-form"' in admitted
    # Full-width digits and point, as a Chinese input method types them, bid as the API reads
    # them (NFKC): ７００，０００．００ is 700,000.00.
    bid = client.post(
        f"/lots/{lot_id}/bids", data={"amount": "７００，０００．００", "confirmed": "1"}
    )
    assert bid.status_code == 303, bid.text
    assert client.get(f"/api/lots/{lot_id}").json()["current_price"] == 700_000


def test_the_demo_adapter_says_so_on_every_page(db_url: str, clock: FrozenClock) -> None:
    settings = Settings(database_url=db_url, payment_adapter="recorded")
    with TestClient(create_app(settings, clock)) as client:
        for path in ("/", "/results", "/signin", "/bidders/new", "/lots/999"):
            text = client.get(path).text
            assert BANNER in text and "保证金只作记录" in text, path
