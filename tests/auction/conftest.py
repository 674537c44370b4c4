"""Auction fixtures: a real database session (SQLite file or PostgreSQL), default legal
settings, users, and a valid lot published at the frozen clock's time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from auction import auth, engine
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, writer_engine
from fapai.settings import Settings

YUAN = 100  # fen


@pytest.fixture
def settings() -> Settings:
    """The legal defaults, whatever the environment says."""
    return Settings(database_url="sqlite://")


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    eng = make_engine(db_url)
    s = session_factory(writer_engine(eng))()
    yield s
    s.close()
    eng.dispose()


@pytest.fixture
def sqlite_session(sqlite_url: str) -> Iterator[Session]:
    eng = make_engine(sqlite_url)
    s = session_factory(writer_engine(eng))()
    yield s
    s.close()
    eng.dispose()


def make_lot_data(clock: FrozenClock, **changes: object) -> engine.LotData:
    """A lawful first-round lot: reference ¥1,000,000, start 70%, deposit 10%, bidding 24 h
    starting 30 days after publication (real estate)."""
    starts = clock.now() + timedelta(days=30)
    data = engine.LotData(
        case_number="(2024)粤0106执1234号",
        court="广州市天河区人民法院",
        title="天河区珠江新城华夏路10号1201房",
        property_type="residential",
        city="广州",
        district="天河",
        address="广州市天河区华夏路10号1201房",
        area_m2=89.5,
        description="三房两厅, 不交吉",
        occupancy="不交吉：被执行人占用，法院不负责腾空交付",
        taxes_borne_by="买卖双方各自承担",
        defects="无已知瑕疵",
        reference_price=1_000_000 * YUAN,
        reference_method="inquiry",
        start_price=700_000 * YUAN,
        deposit=70_000 * YUAN,
        increment=5_000 * YUAN,
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
    )
    return replace(data, **changes)


class World:
    """A court clerk, three bidders and one published lot."""

    def __init__(self, session: Session, clock: FrozenClock, settings: Settings) -> None:
        self.session, self.clock, self.settings = session, clock, settings
        self.court, _ = auth.create_user(
            session,
            "天河法院 书记员",
            "court",
            clock.now(),
            court=auth.ensure_court(session, "GZTH", "广州市天河区人民法院"),
        )
        self.bidders = [
            auth.create_user(session, f"竞买人{i}", "bidder", clock.now())[0] for i in range(3)
        ]
        self.lot = engine.create_lot(
            session, make_lot_data(clock, court_id=self.court.court_id), clock.now(), settings
        )
        session.commit()

    def start_bidding(self) -> None:
        self.clock.set(self.lot.starts_at)

    def _commit(self, fn, *args, **kwargs):
        """Run an engine call in its own transaction, as a request does."""
        try:
            result = fn(self.session, *args, **kwargs)
        except Exception:
            self.session.rollback()
            raise
        self.session.commit()
        return result

    def register(self, i: int) -> str:
        now = self.clock.now()
        reg = self._commit(
            engine.register_bidder, self.lot.id, self.bidders[i].id, now, self.settings
        )
        return reg.bidder_code

    def bid(self, i: int, yuan: int, key: str | None = None):
        return self._commit(
            engine.place_bid,
            self.lot.id,
            self.bidders[i].id,
            yuan * YUAN,
            self.clock.now(),
            self.settings,
            idempotency_key=key,
        )

    def close_at_end(self) -> list[int]:
        self.session.refresh(self.lot)
        self.clock.set(self.lot.ends_at)
        closed = engine.close_due_rounds(self.session, self.clock.now(), self.settings)
        self.session.commit()
        return closed


@pytest.fixture
def lot_data(clock: FrozenClock):
    """``lot_data(**changes)``: a lawful lot published now, with changes."""
    return lambda **changes: make_lot_data(clock, **changes)


@pytest.fixture
def world(session: Session, clock: FrozenClock, settings: Settings) -> World:
    return World(session, clock, settings)


@pytest.fixture
def sqlite_world(sqlite_session: Session, clock: FrozenClock, settings: Settings) -> World:
    return World(sqlite_session, clock, settings)


class Api:
    """The app over HTTP (TestClient, lifespan run) with bidder tokens and the tokens of two
    courts' clerks: ``court`` (天河, GZTH: it publishes the lots here) and ``other_court``
    (越秀, GZYX)."""

    def __init__(self, client, app, clock: FrozenClock) -> None:
        self.client, self.app, self.clock = client, app, clock
        with app.state.session_factory() as s:
            home = auth.ensure_court(s, "GZTH", "广州市天河区人民法院")
            other = auth.ensure_court(s, "GZYX", "广州市越秀区人民法院")
            _, court = auth.create_user(s, "天河法院 书记员", "court", clock.now(), court=home)
            _, other_court = auth.create_user(
                s, "越秀法院 书记员", "court", clock.now(), court=other
            )
            bidders = [auth.create_user(s, f"竞买人{i}", "bidder", clock.now()) for i in range(3)]
            s.commit()
        self.court = {"Authorization": f"Bearer {court}"}
        self.other_court = {"Authorization": f"Bearer {other_court}"}
        self.bidder_ids = [u.id for u, _ in bidders]
        self.bidders = [{"Authorization": f"Bearer {t}"} for _, t in bidders]

    def lot_body(self, **changes: object) -> dict[str, object]:
        starts = self.clock.now() + timedelta(days=30)
        body: dict[str, object] = {
            "case_number": "(2024)粤0106执1234号",
            "court": "广州市天河区人民法院",
            "title": "天河区华夏路10号1201房",
            "property_type": "residential",
            "city": "广州",
            "district": "天河区",
            "address": "广州市天河区华夏路10号1201房",
            "area_m2": 89.5,
            "reference_price": 1_000_000,
            "reference_method": "appraisal",
            "occupancy": "空置，法院负责交付",
            "taxes_borne_by": "买卖双方各自承担",
            "defects": "无",
            "start_price": 700_000,
            "deposit": 70_000,
            "increment": 5_000,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=1)).isoformat(),
        }
        body.update(changes)
        return body

    def create_lot(self, **changes: object) -> dict:
        r = self.client.post("/api/lots", json=self.lot_body(**changes), headers=self.court)
        assert r.status_code == 201, r.text
        return r.json()

    def lot(self, lot_id: int) -> dict:
        return self.client.get(f"/api/lots/{lot_id}").json()

    def register(self, lot_id: int, i: int) -> str:
        r = self.client.post(f"/api/lots/{lot_id}/registrations", headers=self.bidders[i])
        assert r.status_code == 201, r.text
        return r.json()["bidder_code"]

    def bid(self, lot_id: int, i: int, amount: object, key: str | None = None):
        headers = dict(self.bidders[i]) | ({"Idempotency-Key": key} if key else {})
        return self.client.post(
            f"/api/lots/{lot_id}/bids", json={"amount": amount}, headers=headers
        )

    def close_due(self) -> list[int]:
        """One pass of the server's closing loop, at the app's clock."""
        from auction.closing import close_once

        state = self.app.state
        return close_once(state.writer_session_factory, state.clock, state.settings)


def serve_api(db_url: str, clock: FrozenClock, **settings: object) -> Iterator[Api]:
    from fastapi.testclient import TestClient

    from app.main import create_app

    app = create_app(
        Settings(database_url=db_url, closing_interval_seconds=3600, **settings), clock
    )
    with TestClient(app) as client:
        yield Api(client, app, clock)


@pytest.fixture
def api(db_url: str, clock: FrozenClock) -> Iterator[Api]:
    yield from serve_api(db_url, clock)


@pytest.fixture
def limited_api(db_url: str, clock: FrozenClock) -> Iterator[Api]:
    """The API with low bid limits: 3 a minute per bidder, 5 per client address."""
    yield from serve_api(
        db_url, clock, rate_limit_bid_user="3/minute", rate_limit_bid_ip="5/minute"
    )


@pytest.fixture
def court_account_api(db_url: str, clock: FrozenClock) -> Iterator[Api]:
    """The API with deposits paid into the court's account (the default adapter)."""
    yield from serve_api(db_url, clock, payment_adapter="court_account")
