"""Every rule through the HTTP API (TestClient, the app's injected clock) on SQLite and
PostgreSQL: auth, publication, registration, bidding, priority, idempotency, closing,
results, relisting, 变卖 and reneging."""

from __future__ import annotations

from datetime import datetime, timedelta

from auction.auth import id_check_character


def resident_id(birth: str = "19900101", serial: str = "123") -> str:
    first17 = "440106" + birth + serial
    return first17 + id_check_character(first17)


def at(when: str) -> datetime:
    return datetime.fromisoformat(when)


def test_bidder_self_registration_checks_the_id_and_hides_it(api):
    good = {"name": "张三", "id_number": resident_id(), "phone": "13800138000"}
    r = api.client.post("/api/bidders", json=good)
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"token"} and r.headers["cache-control"] == "no-store"
    assert good["id_number"] not in r.text
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    me = api.client.get("/api/me", headers=headers).json()
    assert (me["name"], me["role"], me["court"]) == ("张三", "bidder", None)
    lot = api.create_lot()
    reg = api.client.post(f"/api/lots/{lot['id']}/registrations", headers=headers)
    assert reg.status_code == 201 and good["id_number"] not in reg.text
    # The same ID number again: the same answer (201, a token), no second account.
    again = api.client.post("/api/bidders", json=good | {"name": "李四"})
    assert again.status_code == 201 and set(again.json()) == {"token"}
    decoy = {"Authorization": f"Bearer {again.json()['token']}"}
    assert api.client.get("/api/me", headers=decoy).status_code == 401
    wrong_check = good | {
        "id_number": good["id_number"][:17] + ("1" if good["id_number"][17] != "1" else "2")
    }
    for bad, article in (
        (wrong_check, "GB 11643-1999"),
        (good | {"id_number": resident_id(birth="19901301")}, "GB 11643-1999"),
        (good | {"id_number": "12345"}, "GB 11643-1999"),
        (good | {"id_number": resident_id(birth="20990101")}, "GB 11643-1999"),
        (good | {"id_number": resident_id(birth="20200101")}, "民法典 第十七条"),
        (good | {"id_number": _with_region("000000")}, "GB/T 2260"),
        (good | {"id_number": _with_region("449999")}, "GB/T 2260"),
    ):
        r = api.client.post("/api/bidders", json=bad)
        assert r.status_code == 422, (bad, r.text)
        assert (r.json()["field"], r.json()["article"]) == ("id_number", article)
    r = api.client.post(
        "/api/bidders", json=good | {"id_number": resident_id(serial="124"), "phone": "123"}
    )
    assert (r.status_code, r.json()["field"]) == (422, "phone")


def _with_region(code: str) -> str:
    first17 = code + "19900101123"
    return first17 + id_check_character(first17)


def test_auth_401_and_role_403(api):
    body = api.lot_body()
    r = api.client.post("/api/lots", json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert (
        api.client.post(
            "/api/lots", json=body, headers={"Authorization": "Bearer nope"}
        ).status_code
        == 401
    )
    assert api.client.post("/api/lots", json=body, headers=api.bidders[0]).status_code == 403
    lot = api.create_lot()
    r = api.client.post(f"/api/lots/{lot['id']}/registrations", headers=api.court)
    assert r.status_code == 403


def test_publication_rules_answer_422_naming_field_and_article(api):
    lot = api.create_lot()
    assert (lot["status"], lot["round"], lot["city"], lot["district"]) == (
        "announced",
        1,
        "广州市",
        "天河区",
    )
    assert lot["start_price"] == 700000 and lot["current_price"] == 700000
    cases = [
        ({"start_price": 699_999.99}, "start_price", "拍卖规定 第十条"),
        ({"deposit": 20_000}, "deposit", "拍卖规定 第十七条"),
        ({"deposit": 150_000}, "deposit", "拍卖规定 第十七条"),
        (
            {"ends_at": (api.clock.now() + timedelta(days=30, hours=23)).isoformat()},
            "ends_at",
            "拍卖规定 第二十条",
        ),
        (
            {
                "starts_at": (api.clock.now() + timedelta(days=29)).isoformat(),
                "ends_at": (api.clock.now() + timedelta(days=30)).isoformat(),
            },
            "starts_at",
            "拍卖规定 第十二条",
        ),
    ]
    for changes, field, article in cases:
        r = api.client.post("/api/lots", json=api.lot_body(**changes), headers=api.court)
        assert r.status_code == 422, (changes, r.text)
        assert (r.json()["field"], r.json()["article"]) == (field, article)
    for changes, field in [
        ({"increment": 0}, "increment"),
        ({"start_price": 700_000.001}, "start_price"),
        ({"starts_at": "2026-03-01T10:00:00"}, "starts_at"),
        ({"property_type": "boat"}, "property_type"),
        ({"inquiry_id": 2**31 - 1, "reference_price": None}, "inquiry_id"),
    ]:
        r = api.client.post("/api/lots", json=api.lot_body(**changes), headers=api.court)
        assert (r.status_code, r.json()["field"]) == (422, field), r.text


def test_bidding_over_http(api):
    lot = api.create_lot()
    lot_id = lot["id"]
    assert api.register(lot_id, 0) == "B0001"
    assert api.register(lot_id, 1) == "B0002"
    assert api.bid(lot_id, 0, 700_000).status_code == 409  # not started
    api.clock.set(at(lot["starts_at"]))
    assert api.lot(lot_id)["status"] == "bidding"
    assert api.bid(lot_id, 2, 700_000).status_code == 403  # no deposit, no bid
    r = api.bid(lot_id, 0, 699_000)
    assert (r.status_code, r.json()["article"]) == (422, "拍卖规定 第二十条")
    r = api.bid(lot_id, 0, 700_000.5, key="a-1")
    assert r.status_code == 201 and r.json()["amount"] == 700000.5
    replay = api.bid(lot_id, 0, 700_000.5, key="a-1")
    assert replay.status_code == 201 and replay.json()["id"] == r.json()["id"]
    r = api.bid(lot_id, 1, 705_000)
    assert r.status_code == 409 and "出价已被超过" in r.json()["message"]
    end = at(lot["ends_at"])
    api.clock.set(end - timedelta(seconds=30))
    r = api.bid(lot_id, 1, 705_000.5)
    assert r.status_code == 201
    assert at(r.json()["ends_at"]) == end + timedelta(seconds=270)
    detail = api.lot(lot_id)
    assert (detail["bid_count"], detail["current_price"], detail["leading_bidder_code"]) == (
        2,
        705000.5,
        "B0002",
    )
    bids = api.client.get(f"/api/lots/{lot_id}/bids").json()
    assert [(b["bidder_code"], b["amount"]) for b in bids] == [
        ("B0002", 705000.5),
        ("B0001", 700000.5),
    ]
    assert all(set(b) == {"id", "bidder_code", "amount", "placed_at", "round"} for b in bids)
    api.clock.set(end + timedelta(seconds=270))
    assert api.bid(lot_id, 0, 800_000).status_code == 409  # closed at the extended end
    assert api.close_due() == [lot_id]
    detail = api.lot(lot_id)
    assert detail["status"] == "sold"
    results = api.client.get("/api/results").json()
    assert results["total"] == 1
    row = results["items"][0]
    assert (row["outcome"], row["final_price"], row["start_price"], row["reference_price"]) == (
        "sold",
        705000.5,
        700000,
        1000000,
    )
    assert (row["bid_count"], row["winner_code"], row["round"]) == (2, "B0002", 1)


def test_priority_holder_over_http(api):
    lot = api.create_lot()
    lot_id = lot["id"]
    r = api.client.post(
        f"/api/lots/{lot_id}/priority-holders",
        json={"bidder_id": api.bidder_ids[1], "rank": 1},
        headers=api.court,
    )
    assert r.status_code == 201
    r = api.client.post(
        f"/api/lots/{lot_id}/priority-holders",
        json={"bidder_id": 99999, "rank": 1},
        headers=api.court,
    )
    assert r.status_code == 404
    api.register(lot_id, 0)
    assert api.register(lot_id, 1) == "P0002"
    api.clock.set(at(lot["starts_at"]))
    assert api.bid(lot_id, 0, 700_000).status_code == 201
    assert api.bid(lot_id, 1, 700_000).status_code == 201  # the priority holder matches
    assert api.bid(lot_id, 0, 700_000).status_code == 409
    api.clock.set(at(api.lot(lot_id)["ends_at"]))
    api.close_due()
    assert api.client.get("/api/results").json()["items"][0]["winner_code"] == "P0002"


def test_failed_rounds_relist_to_second_auction_then_sale(api):
    lot = api.create_lot()
    lot_id = lot["id"]
    api.clock.set(at(lot["ends_at"]))
    api.close_due()
    assert api.lot(lot_id)["status"] == "failed"
    starts = api.clock.now() + timedelta(days=15)
    terms = {
        "start_price": 559_999,
        "deposit": 56_000,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=1)).isoformat(),
    }
    r = api.client.post(f"/api/lots/{lot_id}/relist", json=terms, headers=api.court)
    assert (r.status_code, r.json()["article"]) == (422, "拍卖规定 第二十六条")
    r = api.client.post(
        f"/api/lots/{lot_id}/relist", json=terms | {"start_price": 560_000}, headers=api.court
    )
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["round"], r.json()["status"]) == (lot_id, 2, "announced")
    api.clock.set(starts + timedelta(days=1))
    api.close_due()
    opens = api.clock.now() + timedelta(days=15)
    sale = {"start_price": 560_000, "deposit": 56_000, "starts_at": opens.isoformat()}
    r = api.client.post(f"/api/lots/{lot_id}/relist", json=sale, headers=api.court)
    assert (r.status_code, r.json()["field"], r.json()["article"]) == (
        422,
        "deposit",
        "最高人民法院关于做好网络司法拍卖与网络司法变卖衔接工作的通知",
    )
    sale["deposit"] = 560_000  # the whole 变卖 price
    r = api.client.post(f"/api/lots/{lot_id}/relist", json=sale, headers=api.court)
    assert (r.json()["round"], r.json()["status"]) == ("sale", "sale"), r.text
    api.register(lot_id, 2)
    api.clock.set(opens)
    assert api.bid(lot_id, 2, 560_000).status_code == 201
    assert api.lot(lot_id)["status"] == "sale_bidding"  # 24 hours for competing bids
    api.clock.set(at(api.lot(lot_id)["ends_at"]))
    api.close_due()
    assert api.lot(lot_id)["status"] == "sold"  # no competing bid: the first payer buys
    outcomes = [(i["round"], i["outcome"]) for i in api.client.get("/api/results").json()["items"]]
    assert outcomes == [("sale", "sold"), (2, "failed"), (1, "failed")]
    r = api.client.post(f"/api/lots/{lot_id}/relist", json=sale, headers=api.court)
    assert r.status_code == 409


def test_renege_over_http(api):
    lot = api.create_lot()
    lot_id = lot["id"]
    api.register(lot_id, 0)
    api.clock.set(at(lot["starts_at"]))
    api.bid(lot_id, 0, 700_000)
    assert api.client.post(f"/api/lots/{lot_id}/renege", headers=api.court).status_code == 409
    api.clock.set(at(lot["ends_at"]))
    api.close_due()
    r = api.client.post(f"/api/lots/{lot_id}/renege", headers=api.court)
    assert (r.status_code, r.json()["status"]) == (200, "reneged")
    starts = api.clock.now() + timedelta(days=15)
    terms = {
        "start_price": 700_000,
        "deposit": 70_000,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=1)).isoformat(),
    }
    assert (
        api.client.post(f"/api/lots/{lot_id}/relist", json=terms, headers=api.court).status_code
        == 200
    )
    r = api.client.post(f"/api/lots/{lot_id}/registrations", headers=api.bidders[0])
    assert r.status_code == 403 and "第二十四条" in r.json()["message"]
    assert api.register(lot_id, 1) == "B0002"


def test_search_filters_sort_and_pages(api):
    a = api.create_lot(title="天河区公寓", start_price=700_000)
    b = api.create_lot(
        title="越秀区商铺",
        property_type="commercial",
        city="广州市",
        district="越秀区",
        start_price=900_000,
        reference_price=1_200_000,
        deposit=90_000,
    )
    c = api.create_lot(
        title="福田区车位",
        property_type="parking",
        city="深圳",
        district="福田区",
        start_price=100_000,
        reference_price=120_000,
        deposit=10_000,
        increment=1_000,
    )

    def ids(**params: object) -> list[int]:
        r = api.client.get("/api/lots", params=params)
        assert r.status_code == 200, r.text
        return [item["id"] for item in r.json()["items"]]

    assert ids(city="广州", sort="price") == [a["id"], b["id"]]
    assert ids(property_type="parking") == [c["id"]]
    assert ids(min_price=150_000, max_price=800_000) == [a["id"]]
    assert ids(q="商铺") == [b["id"]]
    assert ids(q="粤0106执") and ids(q="100%") == []
    assert ids(sort="-price") == [b["id"], a["id"], c["id"]]
    assert ids(status="bidding") == []
    assert len(ids(status="announced")) == 3
    page = api.client.get("/api/lots", params={"page": 2, "page_size": 2, "sort": "price"}).json()
    assert (page["total"], page["page"], page["page_size"], len(page["items"])) == (3, 2, 2, 1)
    api.clock.set(at(a["starts_at"]))
    assert len(ids(status="bidding")) == 3
    assert api.client.get("/api/lots/999999").status_code == 404
    assert api.client.get("/api/lots/999999/bids").status_code == 404


def test_openapi_documents_the_api_without_private_fields(api):
    spec = api.client.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert {"/api/lots", "/api/lots/{lot_id}/bids", "/api/results", "/api/bidders"} <= set(paths)
    for private in ("id_number_hash", "token_hash", "id_number_masked"):
        assert private not in spec.text


def test_a_user_renews_their_own_token(api):
    renewed = api.client.post("/api/me/token", headers=api.bidders[0])
    assert renewed.status_code == 200 and renewed.headers["cache-control"] == "no-store"
    assert api.client.get("/api/me", headers=api.bidders[0]).status_code == 401
    new = {"Authorization": f"Bearer {renewed.json()['token']}"}
    assert api.client.get("/api/me", headers=new).json()["id"] == api.bidder_ids[0]
