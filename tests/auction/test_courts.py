"""Courts are records: a court user acts only on its own court's lots and inquiries (another
court's are 404, exactly as for ones that do not exist); the public sees every lot and filters
by court. Through the API on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from auction import auth
from auction.store import Court, Lot
from valuation.inquiry_store import Inquiry, get_inquiry, get_inquiry_reference


def test_another_courts_lot_is_not_found(api):
    lot = api.create_lot()
    assert lot["court"] == "广州市天河区人民法院"
    missing = api.client.post("/api/lots/999999/renege", headers=api.other_court)
    actions = [
        ("post", f"/api/lots/{lot['id']}/renege", None),
        ("post", f"/api/lots/{lot['id']}/relist", {"start_price": 1, "deposit": 1}),
        ("post", f"/api/lots/{lot['id']}/priority-holders", {"bidder_id": 1, "rank": 1}),
        ("get", f"/api/lots/{lot['id']}/registrations", None),
    ]
    for method, path, body in actions:
        theirs = api.client.request(method, path, json=body, headers=api.other_court)
        assert theirs.status_code == 404, (path, theirs.text)
        assert theirs.json()["field"] == "lot_id"
        # Word for word what a lot that does not exist answers (its number aside).
        assert theirs.json()["message"] == missing.json()["message"].replace(
            "999999", str(lot["id"])
        )
    assert api.client.post(f"/api/lots/{lot['id']}/renege", headers=api.court).status_code == 409
    # A court publishes only in its own name.
    other_name = api.client.post(
        "/api/lots", json=api.lot_body(court="广州市越秀区人民法院"), headers=api.court
    )
    assert (other_name.status_code, other_name.json()["field"]) == (422, "court")
    by_code = api.client.post("/api/lots", json=api.lot_body(court="GZTH"), headers=api.court)
    assert by_code.status_code == 201 and by_code.json()["court"] == "广州市天河区人民法院"
    unnamed = api.lot_body()
    del unnamed["court"]
    mine = api.client.post("/api/lots", json=unnamed, headers=api.other_court)
    assert mine.status_code == 201 and mine.json()["court"] == "广州市越秀区人民法院"


def test_the_public_sees_every_court_and_filters_by_one(api):
    first = api.create_lot()
    body = api.lot_body()
    del body["court"]
    second = api.client.post("/api/lots", json=body, headers=api.other_court).json()
    courts = api.client.get("/api/courts").json()
    assert {"code": "GZTH", "name": "广州市天河区人民法院"} in courts
    everything = api.client.get("/api/lots").json()
    assert {lot["id"] for lot in everything["items"]} == {first["id"], second["id"]}
    tianhe = api.client.get("/api/lots", params={"court": "GZTH"}).json()
    assert [lot["id"] for lot in tianhe["items"]] == [first["id"]] and tianhe["total"] == 1
    assert api.client.get("/api/lots", params={"court": "NOPE"}).json()["total"] == 0
    page = api.client.get("/", params={"court": "GZYX"})
    assert page.status_code == 200 and second["title"] in page.text
    assert f'/lots/{first["id"]}"' not in page.text


def test_an_inquiry_belongs_to_its_court(session, clock):
    """Stored with its court; read, or used as a lot's reference, by that court only."""
    home = auth.ensure_court(session, "GZTH", "广州市天河区人民法院")
    other = auth.ensure_court(session, "GZYX", "广州市越秀区人民法院")
    row = Inquiry(
        created_at=clock.now(),
        valid_until=clock.now() + timedelta(days=365),
        reference_price=100_000_000,
        model_version="test",
        report='{"reference_price": 1000000}',
        court_id=home.id,
    )
    session.add(row)
    session.commit()
    assert get_inquiry(session, row.id, home.id) == {"id": row.id, "reference_price": 1000000}
    assert get_inquiry(session, row.id, other.id) is None
    assert get_inquiry(session, row.id, None) is None
    assert get_inquiry_reference(session, row.id, home.id)[0] == 100_000_000
    assert get_inquiry_reference(session, row.id, other.id) is None


def test_publishing_from_another_courts_inquiry_is_refused(api):
    with api.app.state.session_factory() as s:
        home = s.scalars(select(Court).where(Court.code == "GZTH")).one()
        row = Inquiry(
            created_at=api.clock.now(),
            valid_until=api.clock.now() + timedelta(days=365),
            reference_price=100_000_000,
            model_version="test",
            report="{}",
            court_id=home.id,
        )
        s.add(row)
        s.commit()
        inquiry_id = row.id
    body = api.lot_body(inquiry_id=inquiry_id)
    for key in ("court", "reference_price", "reference_method"):
        del body[key]
    theirs = api.client.post("/api/lots", json=body, headers=api.other_court)
    assert (theirs.status_code, theirs.json()["field"]) == (422, "inquiry_id")
    mine = api.client.post("/api/lots", json=body, headers=api.court)
    assert mine.status_code == 201, mine.text
    with api.app.state.session_factory() as s:
        assert s.get(Lot, mine.json()["id"]).court_id == home.id
    for who, status in ((api.court, 200), (api.other_court, 404), (api.bidders[0], 403)):
        assert api.client.get(f"/api/inquiries/{inquiry_id}", headers=who).status_code == status
