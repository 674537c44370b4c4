"""The one inquiry service through its three callers: ``POST /api/inquiries`` (TestClient, on
SQLite and PostgreSQL), the CLI ``fapai inquire``, and publishing a lot from a report."""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.inquiry import inquiry_service
from app.main import create_app
from app.publishing import with_inquiry_reference
from app.testing import as_person
from auction.auth import create_user, ensure_court
from auction.engine import LotData
from auction.store import Court
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope
from fapai.errors import RuleViolation
from fapai.money import to_fen
from fapai.settings import Settings
from valuation.inquiry_store import InquirySource, get_inquiry, get_inquiry_reference
from valuation.registry import ModelRegistry

TIANHE = {"city": "广州", "district": "天河", "area_m2": 89, "rooms": 3}


@pytest.fixture
def api(db_url: str, shipped_models: Path, clock: FrozenClock) -> Iterator[tuple[TestClient, dict]]:
    settings = Settings(database_url=db_url, models_dir=shipped_models)
    with TestClient(create_app(settings, clock)) as client:
        factory = session_factory(make_engine(db_url))
        with session_scope(factory) as s:
            home = ensure_court(s, "GZTH", "广州市天河区人民法院")
            _, court = create_user(s, "天河法院 书记员", "court", clock.now(), court=home)
            _, bidder = create_user(s, "竞买人", "bidder", clock.now())
            court_id = home.id
        yield client, {"court": court, "bidder": bidder, "factory": factory, "court_id": court_id}


@pytest.fixture
def inquire_env(shipped_models: Path, tmp_path: Path, monkeypatch) -> Iterator[None]:
    """``fapai inquire`` run in-process on the shipped models and a SQLite file of its own."""
    from fapai.settings import get_settings

    monkeypatch.setenv("FAPAI_MODELS_DIR", str(shipped_models))
    monkeypatch.setenv("FAPAI_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _lot(inquiry_id: int, court_id: int, clock: FrozenClock) -> LotData:
    starts = clock.now() + timedelta(days=31)
    return LotData(
        case_number="(2026)粤0106执1号",
        court="广州市天河区人民法院",
        title="天河区某房",
        property_type="residential",
        city="广州",
        district="天河",
        area_m2=89.0,
        reference_price=None,
        reference_method=None,
        start_price=1,
        deposit=1,
        increment=1,
        starts_at=starts,
        ends_at=starts + timedelta(days=1),
        inquiry_id=inquiry_id,
        court_id=court_id,
    )


def test_inquiry_api_issues_a_report_that_stays_unchanged_after_promotion(
    api, shipped_models, clock
):
    client, who = api
    asked = (clock.now() - timedelta(days=2)).isoformat()
    body = {
        **TIANHE,
        "sources": [
            {"platform": "京东", "price": 4500000, "asked_at": asked},
            {"platform": "淘宝", "asked_at": asked},
        ],
    }
    made = client.post("/api/inquiries", json=body, headers=_auth(who["court"]))
    assert made.status_code == 201, made.text
    report = made.json()
    assert isinstance(report["id"], int) and report["reference_price"] == 4500000
    assert [(s["platform"], s["price"], s["counted"]) for s in report["sources"]] == [
        ("京东", 4500000, True),
        ("淘宝", None, False),
    ]
    assert report["estimate_price"] > 0 and report["estimate_counts_as_source"] is False

    # Which platforms were asked, when, and what each answered: stored with the inquiry.
    with session_scope(who["factory"]) as s:
        rows = s.scalars(
            select(InquirySource).where(InquirySource.inquiry_id == report["id"])
        ).all()
        assert [(r.platform, r.price, r.asked_at.isoformat()) for r in rows] == [
            ("京东", 450_000_000, asked),
            ("淘宝", None, asked),
        ]
        # A lot published from the report takes its reference price (fen) and validity.
        home = who["court_id"]
        ref, valid_until = get_inquiry_reference(s, report["id"], home)
        assert get_inquiry_reference(s, report["id"] + 999, home) is None
        assert get_inquiry_reference(s, report["id"], home + 1) is None  # another court's
        lot = with_inquiry_reference(s, _lot(report["id"], home, clock))
    assert ref == to_fen(report["reference_price"]) == lot.reference_price
    assert valid_until.isoformat() == report["valid_until"]

    # Promote another version of each kind: the server switches to both without a restart
    # (one registry, one hot swap); the report already issued does not change.
    versions = {}
    for name in ("price", "outcome"):
        registry = ModelRegistry(shipped_models, name)
        old = registry.promoted_version()
        new = f"{old}-b"
        shutil.copy(registry.artifact_path(old), registry.artifact_path(new))
        card = {**registry.card(old), "version": new}
        registry.card_path(new).write_text(json.dumps(card), encoding="utf-8")
        registry.promote(new)
        versions[name] = (old, new)
    try:
        again = client.get(f"/api/inquiries/{report['id']}", headers=_auth(who["court"]))
        assert again.status_code == 200
        assert again.json() == report
        fresh = client.post("/api/inquiries", json=body, headers=_auth(who["court"])).json()
        assert fresh["model_version"] == versions["price"][1] != report["model_version"]
        assert fresh["outcome_model_version"] == versions["outcome"][1]
    finally:
        for name, (old, new) in versions.items():
            registry = ModelRegistry(shipped_models, name)
            registry.promote(old)
            registry.artifact_path(new).unlink()
            registry.card_path(new).unlink()


def test_without_platform_results_there_is_no_legal_reference_and_no_lot(api, clock):
    """参考价规定 第十三条: fapai is not a listed platform; its estimate alone is no reference."""
    client, who = api
    made = client.post("/api/inquiries", json=TIANHE, headers=_auth(who["court"]))
    assert made.status_code == 201, made.text
    report = made.json()
    assert report["reference_price"] is None and "尚无法定参考价" in report["reference_note"]
    assert report["estimate_price"] > 0 and report["sources"] == []
    with session_scope(who["factory"]) as s, pytest.raises(RuleViolation) as refused:
        with_inquiry_reference(s, _lot(report["id"], who["court_id"], clock))
    assert refused.value.field == "inquiry_id" and refused.value.article == "参考价规定 第十三条"


def test_a_one_yuan_platform_result_is_a_422_until_confirmed(api):
    client, who = api
    court = _auth(who["court"])
    slip = {**TIANHE, "sources": [{"platform": "京东", "price": 1}]}
    refused = client.post("/api/inquiries", json=slip, headers=court)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "sources.0.price"
    assert refused.json()["article"] == "参考价规定 第十三条"
    kept = client.post("/api/inquiries", json={**slip, "confirmed": True}, headers=court)
    assert kept.status_code == 201, kept.text
    assert kept.json()["sources"][0]["flagged"] is True
    assert kept.json()["reference_price"] == 1


def test_inquiry_api_refuses_and_explains(api):
    client, who = api
    court = _auth(who["court"])
    anonymous = client.post("/api/inquiries", json=TIANHE)
    assert anonymous.status_code == 401 and "须提供访问令牌" in anonymous.json()["message"]
    assert client.get("/api/inquiries/1").status_code == 401
    forged = client.get("/api/inquiries/1", headers=_auth("x" * 43))
    assert forged.status_code == 401 and "访问令牌无效" in forged.json()["message"]
    forbidden = client.post("/api/inquiries", json=TIANHE, headers=_auth(who["bidder"]))
    said = forbidden.json()
    assert forbidden.status_code == 403 and "detail" not in said  # the words are Chinese
    assert said["message"] == "此操作须使用法院账号；您使用的是竞买人账号"

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


def test_fapai_inquire_prints_the_report(inquire_env):
    from app.cli import app
    from fapai.settings import get_settings

    args = ["inquire", "--city", "广州", "--district", "天河", "--area", "89"]
    args += ["--source", "JD=4500000", "--source", "淘宝", "--save"]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "参考价规定 第十三条" in shown.output and "建议起拍价" in shown.output
    assert "尚无结果" in shown.output and "独立核对" in shown.output
    unsaved = CliRunner().invoke(app, [*args[:-1], "--json"])
    assert json.loads(unsaved.stdout[unsaved.stdout.index("{") :])["id"] is None
    as_json = CliRunner().invoke(app, [*args, "--json"])
    report = json.loads(as_json.stdout[as_json.stdout.index("{") :])
    assert report["id"] == 2 and report["reference_price"] == 4500000
    assert [(s["platform"], s["price"]) for s in report["sources"]] == [
        ("JD", 4500000),
        ("淘宝", None),
    ]
    refused = CliRunner().invoke(
        app, ["inquire", "--city", "汕尾", "--district", "城区", "--area", "89"]
    )
    assert refused.exit_code == 2 and "没有该地的市场数据" in refused.output
    slip = CliRunner().invoke(app, [*args[:7], "--source", "JD=1"])
    assert slip.exit_code == 2 and "sources.0.price" in slip.output
    assert CliRunner().invoke(app, [*args[:7], "--source", "JD=1", "--confirm"]).exit_code == 0
    # --court: the report is that court's (only its users see it); an unknown code refused.
    assert CliRunner().invoke(app, ["courts", "add", "GZTH", "广州市天河区人民法院"]).exit_code == 0
    theirs = CliRunner().invoke(app, [*args, "--court", "GZTH", "--json"])
    owned = json.loads(theirs.stdout[theirs.stdout.index("{") :])["id"]
    with session_scope(session_factory(make_engine(str(get_settings().database_url)))) as s:
        court = s.scalars(select(Court.id).where(Court.code == "GZTH")).one()
        assert get_inquiry(s, owned, court) is not None
        assert get_inquiry(s, report["id"], court) is None  # saved without --court
    # --case-number: the report carries the case, and the court's name when it is one's.
    case = "（2026）粤0106执1234号"
    printed = CliRunner().invoke(app, [*args, "--court", "GZTH", "--case-number", case])
    assert printed.exit_code == 0, printed.output
    assert case in printed.output and "广州市天河区人民法院" in printed.output
    assert "案号" not in CliRunner().invoke(app, args).output
    stored = CliRunner().invoke(app, [*args, "--case-number", case, "--json"])
    stored_id = json.loads(stored.stdout[stored.stdout.index("{") :])["id"]
    with session_scope(session_factory(make_engine(str(get_settings().database_url)))) as s:
        assert get_inquiry(s, stored_id, None)["case_number"] == case
    unknown = CliRunner().invoke(app, [*args, "--court", "NOPE"])
    assert unknown.exit_code == 2 and "NOPE" in unknown.output


def test_the_api_report_names_the_case_the_court_and_its_comparables(api):
    client, who = api
    court = _auth(who["court"])
    body = {**TIANHE, "case_number": "（2026）粤0106执123号"}
    made = client.post("/api/inquiries", json=body, headers=court)
    assert made.status_code == 201, made.text
    report = client.get(f"/api/inquiries/{made.json()['id']}", headers=court).json()
    assert report["case_number"] == "（2026）粤0106执123号"
    assert report["court"] == "广州市天河区人民法院"  # the asking court's name, as issued
    assert all(
        c["price_kind"] in ("asking", "deal") and c["source_name"] for c in report["comparables"]
    )
    assert float(report["proposed_start_price"]).is_integer()
    parking = client.post(
        "/api/inquiries", json={**TIANHE, "property_type": "parking"}, headers=court
    )
    assert parking.status_code == 422 and parking.json()["field"] == "property_type"
    assert parking.json()["article"] == "参考价规定 第十四条"  # 委托评估 instead
    assert "本模型只评估住宅" in parking.json()["message"]


def test_pricing_an_inquiry_leaves_sqlite_free_for_writers(sqlite_url, shipped_models, clock):
    """On SQLite one writer at a time: the API and the court's form price before their write
    transaction begins, so a bid (any writer) is not kept waiting while a property is priced.
    While the service prices, another connection takes the write lock at once (timeout 0)."""
    settings = Settings(database_url=sqlite_url, models_dir=shipped_models)
    path = sqlite_url.removeprefix("sqlite:///")
    with TestClient(create_app(settings, clock)) as client:
        with session_scope(session_factory(make_engine(sqlite_url))) as s:
            home = ensure_court(s, "GZTH", "广州市天河区人民法院")
            _, token = create_user(s, "天河法院 书记员", "court", clock.now(), court=home)
        service = client.app.state.inquiry_service = inquiry_service(client.app.state)
        locked: list[str] = []
        price = service.price

        def price_and_try_a_writer(*args, **kwargs):
            other = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")
                other.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                locked.append(str(exc))
            finally:
                other.close()
            return price(*args, **kwargs)

        service.price = price_and_try_a_writer
        made = client.post("/api/inquiries", json=TIANHE, headers=_auth(token))
        assert made.status_code == 201, made.text
        as_person(client, token)
        form = {**TIANHE, "property_type": "residential"}
        page = client.post("/inquiries", data=form, follow_redirects=False)
        assert page.status_code == 303, "the form was refused: " + page.text[-400:]
        assert locked == []


def test_the_metro_station_and_distance_are_stated_checked_and_reported(api):
    client, who = api
    court = _auth(who["court"])
    body = {**TIANHE, "metro_station": "3号线燕塘地铁站", "metro_distance_m": 180}
    made = client.post("/api/inquiries", json=body, headers=court)
    assert made.status_code == 201, made.text
    report = client.get(f"/api/inquiries/{made.json()['id']}", headers=court).json()
    described = report["description"]
    assert (described["metro_station"], described["metro_distance_m"]) == ("燕塘站", 180)
    for field, bad in (
        ("metro_distance_m", -5),
        ("metro_distance_m", 9000),
        ("metro_distance_m", "三百米"),
        ("metro_station", "站" * 41),
    ):
        refused = client.post("/api/inquiries", json={**TIANHE, field: bad}, headers=court)
        assert refused.status_code == 422 and refused.json()["field"] == field, (field, bad)


def test_fapai_inquire_takes_and_prints_the_metro_station(inquire_env):
    from app.cli import app

    args = ["inquire", "--city", "广州", "--district", "天河", "--area", "89"]
    helped = CliRunner().invoke(app, ["inquire", "--help"])
    assert "最近地铁站" in helped.output and "距该地铁站的距离" in helped.output
    near = [*args, "--metro-station", "燕塘", "--metro-distance", "180"]
    shown = CliRunner().invoke(app, near)
    assert shown.exit_code == 0, shown.output
    assert "最近地铁站" in shown.output and "燕塘站" in shown.output
    assert "180 米" in shown.output
    as_json = CliRunner().invoke(app, [*near, "--json"])
    described = json.loads(as_json.stdout[as_json.stdout.index("{") :])["description"]
    assert (described["metro_station"], described["metro_distance_m"]) == ("燕塘站", 180)
    assert "最近地铁站" not in CliRunner().invoke(app, args).output
    refused = CliRunner().invoke(app, [*args, "--metro-distance=-5"])
    assert refused.exit_code == 2 and "距地铁站距离（米）" in refused.output
