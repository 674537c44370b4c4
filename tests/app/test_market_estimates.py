"""fapai's market estimate on every lot (app.market), on SQLite and PostgreSQL: published lots
are priced in batch with the promoted models; ``GET /api/lots/{id}`` and the lot page show the
estimate, its intervals, 起拍价 ÷ 市场估价 and the expected final price, marked as fapai's own
and not the reference price, or a sentence saying why there is none; the search sorts and
filters by the ratio; a promotion (the CLI, or a running server's sweep) re-prices them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.inquiry import InquiryService
from app.main import create_app
from app.market import sweep_once
from app.testing import lot_request
from auction import auth
from auction.store import Lot
from fapai.clock import FrozenClock
from fapai.db import session_scope
from fapai.settings import Settings
from valuation.estimate_store import MarketEstimate
from valuation.registry import ModelRegistry

NOT_REFERENCE = "非法定参考价"
# Wiring that reads no SQL of its own: once, on SQLite, to keep the suite fast.
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@dataclass
class Market:
    client: TestClient
    court: dict[str, str]
    clock: FrozenClock
    models: Path

    @property
    def state(self):
        return self.client.app.state  # type: ignore[attr-defined]

    def publish(self, n: int, **changes: object) -> dict:
        starts = self.clock.now() + timedelta(days=31)
        body = {**lot_request(starts, 86_400, n), "district": "天河区", "area_m2": 89.5}
        r = self.client.post("/api/lots", json=body | changes, headers=self.court)
        assert r.status_code == 201, r.text
        return r.json()

    def stored(self) -> dict[int, MarketEstimate]:
        with self.state.session_factory() as s:
            return {e.lot_id: e for e in s.scalars(select(MarketEstimate))}


@pytest.fixture(scope="module")
def models(shipped_models: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the shipped models these tests promote in (no other test sees it)."""
    target = tmp_path_factory.mktemp("market-models")
    for path in shipped_models.iterdir():
        shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="module")
def service(models: Path) -> InquiryService:
    """The models loaded once for the module, as a server's warm-up loads them."""
    return InquiryService.load(Settings(models_dir=models), FrozenClock())


@pytest.fixture
def market(
    db_url: str, models: Path, service: InquiryService, clock: FrozenClock
) -> Iterator[Market]:
    settings = Settings(database_url=db_url, models_dir=models)
    with TestClient(create_app(settings, clock)) as client:
        with session_scope(client.app.state.session_factory) as s:
            court = auth.ensure_court(s, "GZYX", "广州市越秀区人民法院")
            _, token = auth.create_user(s, "越秀法院 书记员", "court", clock.now(), court=court)
        client.app.state.inquiry_service = service  # loaded, as after the warm-up
        yield Market(client, {"Authorization": f"Bearer {token}"}, clock, models)


def test_a_published_flat_shows_fapais_estimate_not_the_reference_price(market):
    lot = market.publish(1)
    m = lot["market"]
    assert m["status"] == "priced" and NOT_REFERENCE in m["label"]
    assert "不是法院确定的参考价" in m["note"]
    low90, high90 = m["interval"]["90"]
    low80, high80 = m["interval"]["80"]
    assert low90 <= low80 < m["estimate"] < high80 <= high90
    ratio = Decimal(700_000) / Decimal(str(m["estimate"]))
    assert m["market_ratio"] == pytest.approx(float(ratio), abs=1e-4)
    assert lot["market_ratio"] == m["market_ratio"] and lot["market_estimate"] == m["estimate"]
    assert m["expected_final_price"] >= 700_000  # never below the start (第二十条)
    assert m["model_version"] == ModelRegistry(market.models).promoted_version()
    assert market.client.get(f"/api/lots/{lot['id']}").json()["market"] == m
    stored = market.stored()[lot["id"]]
    assert stored.estimate == round(m["estimate"] * 100) and stored.start_price == 70_000_000
    page = market.client.get(f"/lots/{lot['id']}")
    assert page.status_code == 200
    assert NOT_REFERENCE in page.text and "起拍价 ÷ 市场估价" in page.text
    assert f"¥{int(m['estimate']):,}" in page.text and "预期成交价" in page.text


def test_a_lot_fapai_cannot_price_says_why_in_a_sentence(market):
    for n, (changes, words) in enumerate(
        [
            ({"property_type": "commercial"}, "本模型只评估住宅"),
            ({"city": "武汉市", "district": "洪山区"}, "没有该地的市场数据"),
            ({"area_m2": None}, "缺少必填项（建筑面积）"),
        ]
    ):
        lot = market.publish(2 + n, **changes)
        m = lot["market"]
        assert (m["status"], m["estimate"], m["market_ratio"]) == ("refused", None, None)
        assert words in m["reason"] and m["reason"].startswith("fapai 不对本标的给出市场估价")
        page = market.client.get(f"/lots/{lot['id']}")
        assert page.status_code == 200 and words in page.text and NOT_REFERENCE in page.text


def test_search_sorts_and_filters_by_start_price_over_the_estimate(market):
    starts = [700_000, 950_000, 800_000]
    ids = [
        market.publish(10 + i, start_price=s, deposit=s // 10)["id"] for i, s in enumerate(starts)
    ]
    unpriced = market.publish(20, property_type="commercial")["id"]

    def search(**params: object) -> list[dict]:
        r = market.client.get("/api/lots", params=params)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    by_ratio = search(sort="market_ratio")
    assert [i["id"] for i in by_ratio] == [ids[0], ids[2], ids[1], unpriced]
    ratios = [i["market_ratio"] for i in by_ratio[:3]]
    assert ratios == sorted(ratios) and by_ratio[3]["market_ratio"] is None
    assert [i["id"] for i in search(sort="-market_ratio")] == [ids[1], ids[2], ids[0], unpriced]
    cut = (ratios[0] + ratios[1]) / 2
    below = search(max_market_ratio=f"{cut:.4f}")
    assert [i["id"] for i in below] == [ids[0]]
    assert {i["id"] for i in search(min_market_ratio=f"{cut:.4f}")} == {ids[1], ids[2]}
    page = market.client.get("/", params={"sort": "market_ratio", "max_market_ratio": f"{cut:.4f}"})
    assert page.status_code == 200 and "起拍价为其" in page.text and "不是法定参考价" in page.text
    bad = market.client.get("/api/lots", params={"max_market_ratio": "-1"})
    assert bad.status_code == 422


def _second_price_model(models: Path) -> str:
    """The promoted price model's files copied under a new version (as a retrain would)."""
    registry = ModelRegistry(models)
    card = registry.card(registry.promoted_version())
    version = f"{card['version']}-b"
    shutil.copy(registry.artifact_path(card["version"]), registry.artifact_path(version))
    card = {**card, "version": version, "artifact": registry.artifact_path(version).name}
    registry.card_path(version).write_text(json.dumps(card, ensure_ascii=False), "utf-8")
    return version


def test_a_running_servers_sweep_prices_new_lots_and_reprices_after_a_promotion(market):
    service = market.state.inquiry_service
    del market.state.inquiry_service  # published before the server's models are loaded
    try:
        lot = market.publish(60)
    finally:
        market.state.inquiry_service = service
    lot_id = lot["id"]
    pending = lot["market"]
    assert (pending["status"], pending["estimate"]) == ("pending", None)
    assert "尚未计算" in pending["reason"] and lot["market_ratio"] is None
    assert sweep_once(market.state).priced == 1
    assert sweep_once(market.state).priced == 0  # nothing stale
    newer = _second_price_model(market.models)
    ModelRegistry(market.models).promote(newer)  # `fapai models promote` in another process
    assert sweep_once(market.state).priced == 1
    m = market.client.get(f"/api/lots/{lot_id}").json()["market"]
    assert (m["status"], m["model_version"]) == ("priced", newer)


@SQLITE_ONLY
def test_fapai_models_promote_reprices_the_stored_estimates(market, db_url, monkeypatch):
    from app.cli import app
    from fapai.settings import get_settings

    lot = market.publish(30)
    newer = _second_price_model(market.models)
    monkeypatch.setenv("FAPAI_DATABASE_URL", db_url)
    monkeypatch.setenv("FAPAI_MODELS_DIR", str(market.models))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["models", "promote", newer, "--name", "price"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "为 1 件拍品估价" in result.output
    assert market.stored()[lot["id"]].model_version == newer


def test_the_migration_matches_the_table_and_money_is_fen(migration_drift):
    from sqlalchemy import BigInteger

    from fapai.db import Base, UTCDateTime

    assert migration_drift({"market_estimates"}) == []
    table = Base.metadata.tables["market_estimates"]
    for name in ("estimate", "low80", "high80", "low90", "high90", "expected_final"):
        assert isinstance(table.c[name].type, BigInteger)
    assert isinstance(table.c.computed_at.type, UTCDateTime)


def test_fapai_demo_lots_get_their_estimates(sqlite_url, models, clock):
    from app.cli import _price_model
    from auction.demo import FATES, seed_demo
    from fapai.db import make_engine, session_factory, writer_engine

    settings = Settings(database_url=sqlite_url, models_dir=models)
    factory = session_factory(writer_engine(make_engine(sqlite_url)))
    seed_demo(factory, settings, clock.now(), lots=len(FATES))
    said = _price_model(settings)  # what `fapai demo` runs after seeding
    assert f"为 {len(FATES)} 件拍品估价" in said
    with factory() as s:
        stored = list(
            s.execute(select(MarketEstimate, Lot.round).join(Lot, Lot.id == MarketEstimate.lot_id))
        )
    assert len(stored) == len(FATES)
    assert any(e.estimate for e, _ in stored) and all(e.estimate or e.reason for e, _ in stored)
    # A 变卖 has no expected final price (the outcome model learned auction rounds only).
    sales = [e for e, kind in stored if kind == "sale" and e.estimate]
    assert all(e.expected_final is None and "变卖" in (e.reason or "") for e in sales)


@SQLITE_ONLY
def test_a_lot_from_an_inquiry_is_priced_as_its_report_priced_it(market):
    """One pricing path: the lot's estimate is the inquiry's own (same subject, same date)."""
    asked = (market.clock.now() - timedelta(days=1)).isoformat()
    subject = {"city": "广州", "district": "天河", "area_m2": 89.5, "rooms": 3, "build_year": 2005}
    sources = [{"platform": "京东", "price": 4_000_000, "asked_at": asked}]
    made = market.client.post(
        "/api/inquiries", json={**subject, "sources": sources}, headers=market.court
    )
    assert made.status_code == 201, made.text
    report = made.json()
    lot = market.publish(
        40,
        inquiry_id=report["id"],
        reference_price=None,
        reference_method=None,
        start_price=2_800_000,
        deposit=280_000,
    )
    m = lot["market"]
    assert m["estimate"] == pytest.approx(report["estimate_price"], abs=1)
    for coverage in ("80", "90"):
        assert m["interval"][coverage] == pytest.approx(report["interval"][coverage], abs=1)
    assert lot["reference_price"] == 4_000_000 != m["estimate"]  # the legal reference stays


@SQLITE_ONLY
def test_a_second_auction_is_priced_at_its_new_start(market):
    from auction.closing import close_once

    lot = market.publish(50)
    first = lot["market"]
    market.clock.set(datetime.fromisoformat(lot["ends_at"]))
    state = market.state
    close_once(state.writer_session_factory, state.clock, state.settings)  # 流拍
    starts = market.clock.now() + timedelta(days=15)
    terms = {
        "start_price": 560_000,
        "deposit": 56_000,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(days=1)).isoformat(),
    }
    r = market.client.post(f"/api/lots/{lot['id']}/relist", json=terms, headers=market.court)
    assert r.status_code == 200, r.text
    m = r.json()["market"]
    assert m["estimate"] == first["estimate"] and m["market_ratio"] < first["market_ratio"]
    assert m["market_ratio"] == pytest.approx(560_000 / m["estimate"], abs=1e-4)
    assert m["expected_final_price"] >= 560_000 and m["reason"] is None
    assert market.stored()[lot["id"]].start_price == 56_000_000
