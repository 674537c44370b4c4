"""The online inquiry: the legal reference price and the report's rules, through the pure
service and through the real app (TestClient) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from auction.auth import create_user
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope
from fapai.law import check_deposit, check_reauction_start_price, check_start_price
from fapai.money import to_fen
from fapai.settings import PROJECT_ROOT, Settings
from valuation.inquiry import InquiryError, InquiryModels, parse_sources, price
from valuation.inquiry_store import get_inquiry_reference
from valuation.outcome import current_outcome_path, load_outcome_model
from valuation.registry import ModelRegistry

TIANHE = {"city": "广州", "district": "天河", "area_m2": 89, "rooms": 3}


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the shipped, promoted price model and outcome model (tests promote)."""
    shipped = PROJECT_ROOT / "models"
    version = ModelRegistry(shipped).promoted_version()
    outcome = current_outcome_path(shipped)
    assert version and outcome, "models/ ships a promoted price model and an outcome model"
    target = tmp_path_factory.mktemp("models")
    for path in (*shipped.glob(f"price-{version}.*"), outcome, outcome.with_suffix(".json")):
        shutil.copy(path, target / path.name)
    ModelRegistry(target).promote(version)
    return target


@pytest.fixture(scope="module")
def models(models_dir: Path) -> InquiryModels:
    return InquiryModels.load(Settings(models_dir=models_dir), FrozenClock().now())


def test_reference_price_is_the_mean_of_all_sources(models: InquiryModels, clock: FrozenClock):
    settings = Settings()
    sources = [{"platform": "JD", "price": "4500000"}, {"platform": "淘宝", "price": 4700000.55}]
    report = price(TIANHE, sources, clock.now(), models.registry, settings, models.outcome)
    own = report.sources[0]
    assert (own.platform, own.kind) == ("fapai", "model")
    assert own.price == report.estimate.price_total
    # 参考价规定 第十三条: the mean of every source, fapai's model being one; half-up to the fen.
    mean = (own.price + Decimal("4500000") + Decimal("4700000.55")) / 3
    assert report.reference_price_fen == to_fen(mean.quantize(Decimal("0.01"), ROUND_HALF_UP))
    alone = price(TIANHE, [], clock.now(), models.registry, settings, models.outcome)
    assert alone.reference_price_fen == to_fen(alone.estimate.price_total)


def test_report_dates_floor_proposal_and_deposit(models: InquiryModels, clock: FrozenClock):
    settings = Settings(inquiry_validity_days=200)
    report = price(TIANHE, [], clock.now(), models.registry, settings, models.outcome)
    body = report.to_json()
    assert report.valid_until == clock.now() + timedelta(days=200)
    assert body["valid_until_local"].endswith("+08:00")
    ref = report.reference_price_fen
    # 拍卖规定 第十条: the floor is 70% of the reference, rounded up to the fen.
    assert report.start_price_floor_fen == -(-ref * 7 // 10)
    assert body["start_price_floor_rule"] == "拍卖规定 第十条: at least 70% of the reference price"
    assert body["deposit_rule"] == "拍卖规定 第十七条: 5%–20% of the start price"
    proposed = to_fen(body["proposed_start_price"])
    check_start_price(proposed, ref, settings)
    assert proposed <= ref
    # 拍卖规定 第十七条: both ends of the deposit range are lawful for the proposed start.
    low, high = (to_fen(v) for v in body["deposit_range"])
    check_deposit(low, proposed, settings)
    check_deposit(high, proposed, settings)
    with pytest.raises(Exception, match="5%–20%"):
        check_deposit(low - 1, proposed, settings)
    assert (
        body["expected_outcome"]["chance_of_sale"] == body["outcome"]["proposed"]["chance_of_sale"]
    )
    # Should round 1 fail: a lawful re-auction start, cut at most 20% (拍卖规定 第二十六条).
    again = body["if_unsold"]
    assert again["round"] == 2 and again["lawful_range"][1] == body["proposed_start_price"]
    check_reauction_start_price(to_fen(again["proposed"]["start_price"]), proposed, settings)
    lo80, hi80 = body["interval"]["80"]
    lo90, hi90 = body["interval"]["90"]
    assert lo90 <= lo80 < hi80 <= hi90
    assert body["comparables"] and body["model_version"] == models.registry.current().version


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"city": "汕尾", "district": "城区"}, "city", "no market data for 汕尾市"),
        ({"area_m2": 4000}, "area_m2", "far outside the data"),
        ({"property_type": "parking"}, "property_type", "no price model"),
        ({"district": "火星区"}, "district", "unknown_district"),
        ({"area_m2": None}, "area_m2", "required"),
        ({"building_type": "别墅"}, "building_type", "must be one of"),
    ],
)
def test_what_cannot_be_priced_gets_a_reason_not_a_number(models, clock, change, field, words):
    with pytest.raises(InquiryError, match=words) as caught:
        price({**TIANHE, **change}, [], clock.now(), models.registry, Settings(), models.outcome)
    assert caught.value.field == field


def test_platform_results_are_checked_by_field():
    with pytest.raises(InquiryError, match="at most 2 decimals") as caught:
        parse_sources([{"platform": "JD", "price": "1.005"}])
    assert caught.value.field == "sources.0.price"
    with pytest.raises(InquiryError, match="given twice") as caught:
        parse_sources([{"platform": "JD", "price": 1}, {"platform": "JD", "price": 2}])
    assert caught.value.field == "sources.1.platform"
    with pytest.raises(InquiryError, match="positive"):
        parse_sources([{"platform": "JD", "price": 0}])


# --- through the real app ---------------------------------------------------------------------


@pytest.fixture
def api(db_url: str, models_dir: Path, clock: FrozenClock) -> Iterator[tuple[TestClient, dict]]:
    settings = Settings(database_url=db_url, models_dir=models_dir)
    with TestClient(create_app(settings, clock)) as client:
        factory = session_factory(make_engine(db_url))
        with session_scope(factory) as s:
            _, court = create_user(s, "天河法院 书记员", "court", clock.now())
            _, bidder = create_user(s, "竞买人", "bidder", clock.now())
        yield client, {"court": court, "bidder": bidder, "factory": factory}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_inquiry_api_issues_a_report_that_stays_unchanged_after_promotion(api, models_dir):
    client, who = api
    body = {**TIANHE, "sources": [{"platform": "JD", "price": 4500000}]}
    made = client.post("/api/inquiries", json=body, headers=_auth(who["court"]))
    assert made.status_code == 201, made.text
    report = made.json()
    assert isinstance(report["id"], int) and len(report["sources"]) == 2
    assert [s["platform"] for s in report["sources"]] == ["fapai", "JD"]

    # The auction's lot form takes the reference price (fen) and validity from the id.
    with session_scope(who["factory"]) as s:
        ref, valid_until = get_inquiry_reference(s, report["id"])
        assert get_inquiry_reference(s, report["id"] + 999) is None
    assert ref == to_fen(report["reference_price"])
    assert valid_until.isoformat() == report["valid_until"]

    # Promote another price model version and write a newer outcome model: the server
    # switches to both without a restart; the report already issued does not change.
    registry = ModelRegistry(models_dir)
    old = registry.promoted_version()
    card = registry.card(old)
    new = f"{old}-b"
    shutil.copy(registry.artifact_path(old), registry.artifact_path(new))
    registry.card_path(new).write_text(json.dumps({**card, "version": new}), encoding="utf-8")
    registry.promote(new)
    outcome = load_outcome_model(current_outcome_path(models_dir))
    newer = replace(outcome, version="29991231000000").save(models_dir)
    try:
        again = client.get(f"/api/inquiries/{report['id']}", headers=_auth(who["court"]))
        assert again.status_code == 200
        assert again.json() == report
        fresh = client.post("/api/inquiries", json=body, headers=_auth(who["court"])).json()
        assert fresh["model_version"] == new != report["model_version"]
        assert fresh["outcome_model_version"] == "29991231000000"
    finally:
        registry.promote(old)
        newer.unlink()
        newer.with_suffix(".json").unlink()


def test_inquiry_api_refuses_and_explains(api):
    client, who = api
    court = _auth(who["court"])
    assert client.post("/api/inquiries", json=TIANHE).status_code == 401
    assert client.get("/api/inquiries/1").status_code == 401
    forbidden = client.post("/api/inquiries", json=TIANHE, headers=_auth(who["bidder"]))
    assert forbidden.status_code == 403 and "court" in forbidden.json()["detail"]

    far = client.post("/api/inquiries", json={**TIANHE, "area_m2": 4000}, headers=court)
    assert far.status_code == 422
    assert far.json()["field"] == "area_m2" and far.json()["article"] == "参考价规定 第十四条"
    assert "reference_price" not in far.json()

    bad = client.post("/api/inquiries", json={**TIANHE, "area_m2": -5}, headers=court)
    assert bad.status_code == 422 and bad.json()["field"] == "area_m2"
    cents = {**TIANHE, "sources": [{"platform": "JD", "price": 1.001}]}
    bad = client.post("/api/inquiries", json=cents, headers=court)
    assert bad.status_code == 422 and bad.json()["field"] == "sources.0.price"
    ours = {**TIANHE, "sources": [{"platform": "fapai", "price": 1}]}
    bad = client.post("/api/inquiries", json=ours, headers=court)
    assert bad.status_code == 422 and bad.json()["field"] == "sources.0.platform"
    assert client.get("/api/inquiries/424242", headers=court).status_code == 404


def test_fapai_inquire_prints_the_report(models_dir, tmp_path, monkeypatch):
    from fapai.cli import app
    from fapai.settings import get_settings

    monkeypatch.setenv("FAPAI_MODELS_DIR", str(models_dir))
    monkeypatch.setenv("FAPAI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        args = [
            "inquire",
            "--city",
            "广州",
            "--district",
            "天河",
            "--area",
            "89",
            "--source",
            "JD=4500000",
        ]
        shown = CliRunner().invoke(app, args)
        assert shown.exit_code == 0, shown.output
        assert "参考价规定 第十三条" in shown.output and "proposed start" in shown.output
        as_json = CliRunner().invoke(app, [*args, "--json"])
        report = json.loads(as_json.stdout[as_json.stdout.index("{") :])
        assert report["id"] == 2 and report["sources"][1] == {
            "platform": "JD",
            "price": 4500000,
            "kind": "platform",
        }
        refused = CliRunner().invoke(
            app, ["inquire", "--city", "汕尾", "--district", "城区", "--area", "89"]
        )
        assert refused.exit_code == 2 and "no market data for 汕尾市" in refused.output
    finally:
        get_settings.cache_clear()


def test_building_type_and_metro_reach_the_price_model(models, clock):
    def priced(**extra):
        report = price(
            {**TIANHE, **extra}, [], clock.now(), models.registry, Settings(), models.outcome
        )
        return report.sources[0].price

    plain = priced()
    assert priced(building_type="板楼", near_metro=True) != plain
