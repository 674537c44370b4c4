"""No input, however malformed, yields a 500: every route gets bad ids, bad bodies and bad
query strings, and must answer a 4xx with a JSON error naming what was wrong."""

from __future__ import annotations

import pytest

BAD_IDS = ["abc", "-1", "0", "99999999999999999999", "1.5", "%00", "1e3"]
BAD_BODIES: list[object] = [
    "{",
    "[]",
    "null",
    '"text"',
    "{}",
    '{"amount": "NaN"}',
    '{"amount": 1e400}',
    '{"amount": -1}',
    '{"amount": 0.001}',
    '{"amount": true}',
    '{"amount": {"$gt": 1}}',
    '{"amount": 99999999999999999999999999}',
    '{"start_price": 1, "deposit": 1, "starts_at": "9999-12-31T23:59:59+14:00"}',
    '{"start_price": 1, "deposit": 1, "starts_at": "0001-01-01T00:00:00-12:00", "ends_at": "x"}',
    '{"bidder_id": 99999999999999, "rank": 0}',
    '{"bidder_id": 1, "rank": "first"}',
    '{"name": "a\\u0000b", "id_number": "\\u0000", "phone": "1"}',
    '{"name": "' + "名" * 5000 + '", "id_number": "x", "phone": "1"}',
    '{"case_number": "\\u0000", "title": 1, "extra": 1}',
]
BAD_QUERIES = [
    {"page": "-1"},
    {"page_size": "100000"},
    {"page": "99999999999999999999"},
    {"min_price": "abc"},
    {"max_price": "1e400"},
    {"min_price": "-5"},
    {"status": "lost"},
    {"sort": "price; drop table auction_lots"},
    {"q": "\x00"},
    {"city": "\x00广州"},
    {"outcome": "maybe"},
    {"unknown": "1"},
]


def _assert_clean_4xx(r) -> None:
    assert 400 <= r.status_code < 500, (r.request.method, r.request.url, r.status_code, r.text)
    body = r.json()
    assert "error" in body or "detail" in body, r.text
    assert "Traceback" not in r.text


@pytest.fixture
def targets(api):
    lot = api.create_lot()
    lot_id = lot["id"]
    writes = [
        ("/api/lots", api.court),
        (f"/api/lots/{lot_id}/priority-holders", api.court),
        (f"/api/lots/{lot_id}/relist", api.court),
        (f"/api/lots/{lot_id}/bids", api.bidders[0]),
        ("/api/bidders", {}),
    ]
    return api, lot_id, writes


def test_bad_ids_on_every_route(targets):
    api, _lot_id, _writes = targets
    for bad in BAD_IDS:
        for method, path, headers in [
            ("GET", f"/api/lots/{bad}", {}),
            ("GET", f"/api/lots/{bad}/bids", {}),
            ("POST", f"/api/lots/{bad}/registrations", api.bidders[0]),
            ("POST", f"/api/lots/{bad}/renege", api.court),
            ("POST", f"/api/lots/{bad}/bids", api.bidders[0]),
            ("POST", f"/api/lots/{bad}/relist", api.court),
            ("POST", f"/api/lots/{bad}/priority-holders", api.court),
        ]:
            r = api.client.request(method, path, headers=headers, json={"amount": 1})
            _assert_clean_4xx(r)
    for method, path, status in [("GET", "/api/nope", 404), ("DELETE", "/api/lots/1", 405)]:
        r = api.client.request(method, path)
        assert (r.status_code, r.json()["error"]) == (status, "HTTPError")


def test_bad_bodies_on_every_write_route(targets):
    api, _lot_id, writes = targets
    for path, headers in writes:
        for body in BAD_BODIES:
            r = api.client.post(
                path, content=body, headers=headers | {"Content-Type": "application/json"}
            )
            _assert_clean_4xx(r)
    r = api.client.post(
        writes[3][0], json={"amount": 1}, headers=writes[3][1] | {"Idempotency-Key": "k" * 500}
    )
    _assert_clean_4xx(r)
    for token in ("", "Bearer", "Basic abc", "Bearer " + "x" * 10_000):
        r = api.client.post(writes[3][0], json={"amount": 1}, headers={"Authorization": token})
        _assert_clean_4xx(r)


def test_bad_query_strings_on_every_read_route(targets):
    api, lot_id, _writes = targets
    for params in BAD_QUERIES:
        for path in ("/api/lots", "/api/results"):
            r = api.client.get(path, params=params)
            assert r.status_code == 422, (path, params, r.text)
            _assert_clean_4xx(r)
    for limit in ("0", "-1", "x", "99999999999999999999"):
        _assert_clean_4xx(api.client.get(f"/api/lots/{lot_id}/bids", params={"limit": limit}))
    # LIKE wildcards in the text search are taken literally.
    r = api.client.get("/api/lots", params={"q": "%_\\"})
    assert (r.status_code, r.json()["total"]) == (200, 0)
