"""The role-and-court matrix: every route of the app (the OpenAPI's and the pages') requested as
the public, bidder A, bidder B, court X and court Y, each answer checked against ``EXPECTED``.

The routes come from the app itself, so a new route without a line in ``EXPECTED`` fails the
test (and a line for a route that went away does too). To add a route: add its line, the five
statuses in the order of ``ROLES``; a path parameter the test does not know yet gets a value
in ``World.ids``. Requests carry no body (an API route that passes its checks answers 422 for the
missing body; a page form answers in words), so the matrix shows who gets past the door and
changes nothing that a later line depends on, with few exceptions noted beside them.

The world (on SQLite and on PostgreSQL): court X (天河) with lot 1 in bidding and an inquiry,
court Y (越秀) with nothing, bidder A registered on X's lot, bidder B not.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.testing import as_person
from auction import auth, engine
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings
from valuation.inquiry_store import Inquiry

ROLES = ("public", "bidder A", "bidder B", "court X", "court Y")
YUAN = 100

# "METHOD path": (public, bidder A, bidder B, court X, court Y). Pages: 303 is the way to the
# sign-in page (or, after a form, to the next page); another court's lot or inquiry is 404.
EXPECTED: dict[str, tuple[int, int, int, int, int]] = {
    # --- the JSON API --------------------------------------------------------------------
    "GET /api/lots": (200, 200, 200, 200, 200),
    "GET /api/lots/{lot_id}": (200, 200, 200, 200, 200),
    "POST /api/lots": (401, 403, 403, 422, 422),
    "POST /api/lots/{lot_id}/priority-holders": (401, 403, 403, 422, 404),
    "POST /api/lots/{lot_id}/relist": (401, 403, 403, 422, 404),
    "POST /api/lots/{lot_id}/renege": (401, 403, 403, 409, 404),  # X: not sold
    "POST /api/lots/{lot_id}/creditor": (401, 403, 403, 422, 404),
    "POST /api/lots/{lot_id}/suspend": (401, 403, 403, 422, 404),
    "POST /api/lots/{lot_id}/resume": (401, 403, 403, 422, 404),
    "POST /api/lots/{lot_id}/withdraw": (401, 403, 403, 422, 404),
    "POST /api/lots/{lot_id}/payments": (401, 403, 403, 422, 404),
    "GET /api/lots/{lot_id}/payments": (401, 403, 403, 409, 404),  # X: not sold
    "GET /api/lots/{lot_id}/confirmation": (409, 409, 409, 409, 409),  # 第十八条: not sold yet
    "GET /api/lots/{lot_id}/events": (200, 200, 200, 200, 200),  # the public audit trail
    "POST /api/lots/{lot_id}/registrations": (401, 201, 201, 403, 403),  # B registers here
    "GET /api/lots/{lot_id}/registrations": (401, 403, 403, 200, 404),
    "GET /api/lots/{lot_id}/bids": (200, 200, 200, 200, 200),
    "POST /api/lots/{lot_id}/bids": (401, 422, 422, 403, 403),
    "GET /api/results": (200, 200, 200, 200, 200),
    "POST /api/bidders": (422, 422, 422, 422, 422),  # anyone may open an account
    "POST /api/inquiries": (401, 403, 403, 422, 422),
    "GET /api/inquiries/{inquiry_id}": (401, 403, 403, 200, 404),
    "POST /api/appraisals": (401, 403, 403, 422, 422),
    "POST /api/registrations/{registration_id}/confirm": (401, 403, 403, 200, 404),
    "POST /api/registrations/{registration_id}/refund": (401, 403, 403, 409, 404),  # X: paid
    "GET /api/deposits/refunds": (401, 403, 403, 200, 200),  # each court's own list
    "POST /api/deposits/statement": (401, 403, 403, 422, 422),
    "GET /api/me": (401, 200, 200, 200, 200),
    "POST /api/me/token": (401, 200, 200, 200, 200),  # (each role's token is renewed here)
    "GET /api/courts": (200, 200, 200, 200, 200),
    "GET /openapi.json": (200, 200, 200, 200, 200),
    # --- operations ------------------------------------------------------------------------
    "GET /healthz": (200, 200, 200, 200, 200),
    "GET /metrics": (200, 200, 200, 200, 200),
    "GET /favicon.ico": (200, 200, 200, 200, 200),
    "GET /docs": (200, 200, 200, 200, 200),
    "GET /docs/oauth2-redirect": (200, 200, 200, 200, 200),
    "GET /redoc": (200, 200, 200, 200, 200),
    # --- the pages -------------------------------------------------------------------------
    "GET /": (200, 200, 200, 200, 200),
    "GET /results": (200, 200, 200, 200, 200),
    "GET /lots/{lot_id:int}": (200, 200, 200, 200, 200),
    "GET /lots/{lot_id:int}/live": (200, 200, 200, 200, 200),
    "GET /lots/{lot_id:int}/confirmation": (409, 409, 409, 409, 409),  # 第十八条: not sold yet
    "POST /lots/{lot_id:int}/registrations": (303, 303, 303, 403, 403),
    "POST /lots/{lot_id:int}/bids": (303, 422, 422, 403, 403),
    "GET /lots/{lot_id:int}/files/{attachment_id:int}": (404, 404, 404, 404, 404),  # none
    "POST /lots/{lot_id:int}/follow": (303, 303, 303, 303, 303),  # anyone signed in
    "POST /lots/{lot_id:int}/unfollow": (303, 303, 303, 303, 303),
    "GET /signin": (200, 200, 200, 200, 200),
    "POST /signin": (401, 401, 401, 401, 401),  # no token in the form
    "POST /signout": (303, 303, 303, 303, 303),
    "GET /bidders/new": (200, 200, 200, 200, 200),
    "POST /bidders/new": (422, 422, 422, 422, 422),
    "GET /me": (303, 200, 200, 403, 403),
    "POST /me/contact": (303, 303, 303, 303, 303),  # the signed-in user's own address
    "GET /lots/new": (303, 403, 403, 200, 200),
    "POST /lots": (303, 403, 403, 422, 422),
    "GET /inquiries/new": (303, 403, 403, 200, 200),
    "POST /inquiries": (303, 403, 403, 422, 422),
    "GET /inquiries/{inquiry_id:int}": (303, 403, 403, 200, 404),
    "GET /inquiries/{inquiry_id:int}.pdf": (303, 403, 403, 200, 404),
    "GET /desk": (303, 403, 403, 200, 200),
    "GET /desk/lots/{lot_id:int}": (303, 403, 403, 200, 404),
    "POST /desk/lots/{lot_id:int}/relist": (303, 403, 403, 422, 404),
    "POST /desk/lots/{lot_id:int}/renege": (303, 403, 403, 409, 404),
    "POST /desk/lots/{lot_id:int}/suspend": (303, 403, 403, 422, 404),
    "POST /desk/lots/{lot_id:int}/resume": (303, 403, 403, 422, 404),
    "POST /desk/lots/{lot_id:int}/withdraw": (303, 403, 403, 422, 404),
    "POST /desk/lots/{lot_id:int}/payments": (303, 403, 403, 422, 404),
    "POST /desk/lots/{lot_id:int}/priority-holders": (303, 403, 403, 422, 404),
    "POST /desk/lots/{lot_id:int}/attachments": (303, 403, 403, 422, 404),
    # (step: confirm; A's deposit is already confirmed, so X's confirmation changes nothing)
    "POST /desk/lots/{lot_id:int}/registrations/{registration_id:int}/{step}": (
        *(303, 403, 403, 303, 404),
    ),
}


def routes(app) -> set[str]:
    """Every route of the app as ``"METHOD path"``: the routers' routes (included routers
    walked) and every operation of the OpenAPI document."""
    found: set[str] = set()

    def walk(items) -> Iterator:
        for item in items:
            if hasattr(item, "effective_route_contexts"):  # an included router
                yield from item.effective_route_contexts()
            elif hasattr(item, "routes") and not hasattr(item, "methods"):
                yield from walk(item.routes)
            else:
                yield item

    for route in walk(app.routes):
        for method in (getattr(route, "methods", None) or set()) - {"HEAD"}:
            found.add(f"{method} {route.path}")
    for path, operations in app.openapi()["paths"].items():
        found.update(f"{method.upper()} {path}" for method in operations)
    return found


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str | None]
    ids: dict[str, int | str]  # a value for every path parameter

    def url(self, path: str, value: str | None = None) -> str:
        def fill(match: re.Match) -> str:
            name = match.group(1).split(":")[0]
            if value is not None:
                return value
            assert name in self.ids, f"add {name!r} to World.ids for {path}"
            return str(self.ids[name])

        return re.sub(r"\{([^}]+)\}", fill, path)

    def request(self, role: str, route: str, value: str | None = None) -> int:
        method, path = route.split(" ", 1)
        client = as_person(self.client, self.tokens[role])
        token = self.tokens[role]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = client.request(method, self.url(path, value), headers=headers)
        if path == "/api/me/token" and answer.status_code == 200:
            self.tokens[role] = answer.json()["token"]  # the old one ended
        return answer.status_code


@pytest.fixture
def world(db_url: str, clock: FrozenClock, sample_report: dict, publish_lot) -> Iterator[World]:
    settings = Settings(database_url=db_url)
    db = make_engine(db_url)
    with session_scope(session_factory(writer_engine(db))) as s:
        x = auth.ensure_court(s, "GZTH", "广州市天河区人民法院")
        y = auth.ensure_court(s, "GZYX", "广州市越秀区人民法院")
        clerk_x, court_x = auth.create_user(s, "天河书记员", "court", clock.now(), court=x)
        _, court_y = auth.create_user(s, "越秀书记员", "court", clock.now(), court=y)
        bidder_a, token_a = auth.create_user(s, "张三", "bidder", clock.now())
        _, token_b = auth.create_user(s, "李四", "bidder", clock.now())
        starts = clock.now() + timedelta(days=30)
        lot = publish_lot(
            s,
            settings,
            x,
            starts,
            case_number="(2026)粤0106执1号",
            title="华夏路10号",
            created_by=clerk_x.id,
        )
        registration = engine.register_bidder(s, lot.id, bidder_a.id, clock.now(), settings)
        inquiry = Inquiry(
            created_at=clock.now(),
            valid_until=clock.now() + timedelta(days=365),
            reference_price=100_000_000,
            model_version="matrix",
            report=json.dumps({k: v for k, v in sample_report.items() if k != "id"}),
            court_id=x.id,
        )
        s.add(inquiry)
        s.flush()
        ids = {
            "lot_id": lot.id,
            "registration_id": registration.id,
            "inquiry_id": inquiry.id,
            "attachment_id": 1,
            "step": "confirm",
        }
    clock.set(starts + timedelta(hours=1))  # bidding
    tokens = dict(zip(ROLES, (None, token_a, token_b, court_x, court_y), strict=True))
    with TestClient(create_app(settings, clock), follow_redirects=False) as client:
        yield World(client, tokens, ids)
    db.dispose()


def test_every_route_has_an_entry(world: World) -> None:
    present = routes(world.client.app)
    assert sorted(present - set(EXPECTED)) == [], "routes without a line in EXPECTED"
    assert sorted(set(EXPECTED) - present) == [], "lines in EXPECTED for routes that are gone"


@pytest.mark.slow
def test_role_and_court_matrix(world: World) -> None:
    wrong = []
    for route in sorted(routes(world.client.app) & set(EXPECTED)):
        got = tuple(world.request(role, route) for role in ROLES)
        if got != EXPECTED[route]:
            wrong.append(f"{route}: expected {EXPECTED[route]}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_no_id_too_large_for_the_database_is_a_500(world: World) -> None:
    huge = "99999999999999999999"
    for route in sorted(r for r in routes(world.client.app) if "{" in r):
        status = world.request("court X", route, huge)
        assert status < 500, f"{route}: {status}"


def test_report_pdfs_are_not_cached(world: World) -> None:
    """(The pages that show a token are checked in test_pages and test_api.)"""
    court = as_person(world.client, world.tokens["court X"])
    pdf = court.get(world.url("/inquiries/{inquiry_id}.pdf"))
    assert pdf.status_code == 200 and pdf.headers["cache-control"] == "no-store"
