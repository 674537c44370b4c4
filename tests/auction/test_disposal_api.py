"""The court's disposal through the HTTP API (TestClient, SQLite and PostgreSQL): suspend,
resume, withdraw, the balance payment, the automatic renege, the confirmation and the public
audit trail; every refusal is a 4xx naming field, rule and article."""

from __future__ import annotations

from datetime import datetime, timedelta


def at(when: str) -> datetime:
    return datetime.fromisoformat(when)


def sold_lot(api, amount: int = 710_000) -> dict:
    lot = api.create_lot()
    api.register(lot["id"], 0)
    api.register(lot["id"], 1)
    api.clock.set(at(lot["starts_at"]))
    assert api.bid(lot["id"], 0, amount).status_code == 201
    api.clock.set(at(lot["ends_at"]))
    api.close_due()
    return api.lot(lot["id"])


def test_suspend_resume_withdraw_over_http_art_28(api):
    """拍卖规定 第二十八条: POST /suspend stops bidding with the reason; /resume gives a new
    schedule within 5 days; /withdraw shows 已撤回 (withdrawn) in search."""
    lot = api.create_lot()
    lot_id = lot["id"]
    api.register(lot_id, 0)
    api.clock.set(at(lot["starts_at"]))
    url = f"/api/lots/{lot_id}"
    refused = api.client.post(f"{url}/suspend", json={"reason": "异议"}, headers=api.bidders[0])
    assert refused.status_code == 403
    missing = api.client.post(f"{url}/suspend", json={"reason": ""}, headers=api.court)
    assert missing.status_code == 422 and missing.json()["field"] == "reason"
    r = api.client.post(
        f"{url}/suspend", json={"reason": "案外人异议", "mode": "stop"}, headers=api.court
    )
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["halt_reason"], r.json()["halt_article"]) == (
        "stopped",
        "案外人异议",
        "拍卖规定 第二十八条",
    )
    assert api.bid(lot_id, 0, 700_000).status_code == 409  # bidding stopped at once
    now = api.clock.now()
    late = {"starts_at": (now + timedelta(days=6)).isoformat()}
    late["ends_at"] = (now + timedelta(days=7)).isoformat()
    r = api.client.post(f"{url}/resume", json=late, headers=api.court)
    assert (r.status_code, r.json()["field"], r.json()["article"]) == (
        422,
        "starts_at",
        "拍卖规定 第二十八条",
    )
    soon = {
        "starts_at": (now + timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=2)).isoformat(),
    }
    r = api.client.post(f"{url}/resume", json=soon, headers=api.court)
    assert (r.status_code, r.json()["status"]) == (200, "announced")
    r = api.client.post(f"{url}/withdraw", json={"reason": "债务已清偿"}, headers=api.court)
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")
    found = api.client.get("/api/lots", params={"status": "withdrawn"}).json()
    assert [i["id"] for i in found["items"]] == [lot_id]
    outcomes = api.client.get("/api/results", params={"outcome": "stopped"}).json()["items"]
    assert [i["lot_id"] for i in outcomes] == [lot_id]


def test_payments_confirm_and_the_loop_reneges_the_unpaid_art_24_25(api):
    """拍卖规定 第二十五条: POST /payments records the balance; in full → confirmed. 第二十四条:
    unpaid at the deadline, the closing loop records the renege (GET /events shows it)."""
    paid = sold_lot(api)
    url = f"/api/lots/{paid['id']}"
    assert paid["status"] == "sold" and paid["balance_due_at"]
    too_much = api.client.post(f"{url}/payments", json={"amount": 640_001}, headers=api.court)
    assert (too_much.status_code, too_much.json()["article"]) == (422, "拍卖规定 第二十五条")
    r = api.client.post(f"{url}/payments", json={"amount": 640_000}, headers=api.court)
    assert (r.status_code, r.json()["outstanding"], r.json()["status"]) == (201, 0, "confirmed")
    doc = api.client.get(f"{url}/confirmation").json()
    assert (doc["buyer_name"], doc["final_price"], doc["status"]) == (
        "竞买人0",
        710_000,
        "confirmed",
    )

    unpaid = sold_lot(api, 700_000)
    url = f"/api/lots/{unpaid['id']}"
    api.clock.set(at(unpaid["balance_due_at"]) + timedelta(seconds=1))
    late = api.client.post(f"{url}/payments", json={"amount": 1}, headers=api.court)
    assert late.status_code == 409
    api.close_due()
    assert api.lot(unpaid["id"])["status"] == "reneged"
    events = api.client.get(f"{url}/events").json()
    reneged = events[-1]
    assert (reneged["kind"], reneged["label"], reneged["actor_role"], reneged["article"]) == (
        "reneged",
        "悔拍",
        "system",
        "拍卖规定 第二十四条",
    )
    assert reneged["detail"]["code"] == "B0001" and "name" not in reneged["detail"]
    assert api.lot(unpaid["id"])["chain_head"] == reneged["hash"]


def test_confirmation_is_secret_before_the_sale_art_18(api):
    """拍卖规定 第十八条: no confirmation (and no name) before the round sold."""
    lot = api.create_lot()
    r = api.client.get(f"/api/lots/{lot['id']}/confirmation")
    assert r.status_code == 409


def test_real_estate_without_occupancy_is_refused_naming_it_art_13(api):
    """拍卖规定 第十三条: a real-estate lot without its occupancy is refused, naming the field."""
    r = api.client.post("/api/lots", json=api.lot_body(occupancy=None), headers=api.court)
    assert (r.status_code, r.json()["field"], r.json()["article"]) == (
        422,
        "occupancy",
        "拍卖规定 第十三条",
    )
    assert "占有使用" in r.json()["message"]


def test_special_conditions_must_be_accepted_when_registering_art_14(api):
    """拍卖规定 第十四条: a lot whose notice states special conditions (here a car sold without
    its plate quota) or purchase restrictions admits only a bidder who confirms them; a lot
    without them needs no confirmation."""
    conditions = {"special_conditions": "不含中小客车指标，买受人自行办理"}
    lot = api.create_lot(**conditions)
    url = f"/api/lots/{lot['id']}/registrations"
    refused = api.client.post(url, headers=api.bidders[0])
    assert refused.status_code == 422
    assert (refused.json()["field"], refused.json()["article"]) == (
        "accept_conditions",
        "拍卖规定 第十四条",
    )
    declined = api.client.post(url, json={"accept_conditions": False}, headers=api.bidders[0])
    assert declined.status_code == 422
    accepted = api.client.post(url, json={"accept_conditions": True}, headers=api.bidders[0])
    assert accepted.status_code == 201, accepted.text
    plain = api.create_lot(case_number="(2026)粤0104执99号")
    assert api.register(plain["id"], 1)
