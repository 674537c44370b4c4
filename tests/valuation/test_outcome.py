"""The auction-outcome model: monotone curves, lawful proposals, stated fallbacks, artifacts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.inquiry_cli import own_finished_rounds
from auction import engine
from fapai.clock import FrozenClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.law import check_reauction_start_price, check_start_price
from fapai.money import to_fen
from fapai.settings import Settings
from valuation.auction_history.derive import derive, round_hint, write_history
from valuation.auction_results import upsert_auction_results, validate_auction_result
from valuation.outcome import FinishedRound, Lot, crawled_rounds, load_history, train_outcome
from valuation.outcome.chance import MIN_OWN_ROUNDS, chance_of_sale
from valuation.outcome.curve import MIN_CITY_ROWS
from valuation.registry import IncompatibleModel, ModelRegistry

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
SETTINGS = Settings()
GZ = Lot(
    city="广州市",
    reference_fen=300_000_000,
    when=date(2026, 11, 25),
    area_m2=89.0,
    district="天河区",
)


@pytest.fixture(scope="module")
def history():
    return load_history()


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``fapai train-outcome`` run as a user would, on a fresh database: (models dir, output)."""
    from app.cli import app
    from fapai.settings import get_settings

    target = tmp_path_factory.mktemp("outcome-models")
    db = tmp_path_factory.mktemp("outcome-db") / "fapai.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FAPAI_DATABASE_URL", f"sqlite:///{db}")
        get_settings.cache_clear()
        try:
            result = CliRunner().invoke(
                app, ["train-outcome", "--models-dir", str(target), "--promote"]
            )
        finally:
            get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return target, result.output


@pytest.fixture(scope="module")
def model(trained):
    return ModelRegistry(trained[0], "outcome").current()


def test_train_outcome_command_writes_an_artifact_and_says_how_it_did(trained, model):
    models_dir, output = trained
    assert "成交拍品 16140 件；已观察到的结束拍卖 0 场" in output.replace("\n", "")
    assert "留出检验：MdAPE" in output and "成交概率来源：先验估计" in output
    assert (models_dir / f"outcome-{model.version}.json").exists()
    assert ModelRegistry(models_dir, "outcome").promoted_version() == model.version
    assert model.card["data"]["sources"] == {
        "shipped_history": 16140,
        "own_rounds": 0,
        "crawled_rounds": 0,
        "observed_sold_rounds": 0,
    }


def test_shipped_history_matches_its_data_card(history):
    # DATA_CARD.md: 16,140 sold lots with an appraisal, money in fen, no sale below the start.
    assert len(history) == 16140
    assert (history["final_fen"] >= history["start_fen"]).all()
    ratios = history["start_fen"] / history["reference_fen"]
    assert ratios.between(0.30, 1.50).all()


@pytest.mark.parametrize(
    "lot",
    [
        GZ,
        replace(GZ, city="阳江市", district="江城区", area_m2=None),
        replace(GZ, reference_fen=45_000_000, area_m2=40.0),
    ],
)
def test_curve_is_monotone_where_it_must_be(model, lot):
    curve = model.curve(lot, SETTINGS)
    chances = [p.chance_of_sale for p in curve.points]
    finals = [p.expected_final_price for p in curve.points]
    starts = [p.start_price for p in curve.points]
    assert len(curve.points) > 20
    assert starts == sorted(starts)
    # A higher start never sells more often, never lowers the price given a sale …
    assert all(a >= b for a, b in zip(chances, chances[1:], strict=False))
    assert all(a <= b for a, b in zip(finals, finals[1:], strict=False))
    # … and a sale is never below the start (拍卖规定 第二十条: bids below the start are invalid).
    assert all(f >= s for f, s in zip(finals, starts, strict=True))
    assert chances[0] > chances[-1]
    for p in curve.points:
        assert p.expected_recovery == pytest.approx(
            p.chance_of_sale * p.expected_final_price, abs=Decimal("0.01")
        )


def test_round1_proposal_is_lawful_and_maximises_expected_recovery(model):
    curve = model.curve(GZ, SETTINGS)
    start = to_fen(curve.proposed.start_price)
    check_start_price(start, GZ.reference_fen, SETTINGS)  # 拍卖规定 第十条: ≥ 70% (raises if not)
    assert curve.lawful_min == Decimal("2100000.00")  # 70% of ¥3,000,000
    assert curve.points[0].start_price == curve.lawful_min
    assert start <= GZ.reference_fen
    assert curve.proposed.expected_recovery == max(p.expected_recovery for p in curve.points)


def test_round2_proposal_is_within_a_20_percent_cut(model):
    previous = 240_000_000  # a failed first round at 80% of the reference
    curve = model.curve(GZ, SETTINGS, round_no=2, previous_start_fen=previous)
    start = to_fen(curve.proposed.start_price)
    check_reauction_start_price(start, previous, SETTINGS)  # 拍卖规定 第二十六条 (raises if not)
    assert curve.lawful_min == Decimal("1920000.00") and curve.lawful_max == Decimal("2400000.00")
    assert all(curve.lawful_min <= p.start_price <= curve.lawful_max for p in curve.points)
    with pytest.raises(ValueError, match="previous round"):
        model.curve(GZ, SETTINGS, round_no=2)


@pytest.mark.parametrize("lot", [GZ, replace(GZ, city="珠海市", district="香洲区")])
def test_both_rounds_from_one_predict_are_the_two_curves(model, lot):
    """What an inquiry shows (round 1, and the re-auction should it fail) in one predict is
    exactly the two curves, round 2 cut at most 20% from round 1's proposal (第二十六条)."""
    first, again = model.curves(lot, SETTINGS)
    assert first == model.curve(lot, SETTINGS)
    proposed = to_fen(first.proposed.start_price)
    assert again == model.curve(lot, SETTINGS, round_no=2, previous_start_fen=proposed)


def test_lawful_range_follows_the_settings(model):
    strict = Settings(start_price_floor_ratio=Decimal("0.80"))
    assert model.curve(GZ, strict).points[0].start_price == Decimal("2400000.00")


def test_too_little_own_history_says_so_and_uses_the_stated_prior(model):
    curve = model.curve(GZ, SETTINGS)
    assert curve.chance_source == "prior"
    assert len(curve.fallback) == 1
    assert curve.fallback[0].startswith("有成交也有流拍的已结束拍卖仅 0 场（需至少 30 场）")
    assert "浙江法院网拍两拍之内约九成成交" in curve.fallback[0]
    assert curve.chance_words.startswith("成交概率为先验估计，未从数据学得：尚无有成交也有流拍")
    assert "Zhejiang" in model.card["chance_of_sale"]["prior"]


def test_a_city_with_too_little_sold_history_falls_back_to_the_lawful_floor(model):
    few = model.city_rows["珠海市"]
    assert few < MIN_CITY_ROWS
    lot = replace(GZ, city="珠海市", district="香洲区")
    curve = model.curve(lot, SETTINGS)
    assert curve.proposed == curve.points[0]  # the floor: 70% of the reference
    assert any(f.startswith(f"珠海市的成交记录仅 {few} 件") for f in curve.fallback)


def _rounds(n_low_sold: int, n_high_failed: int) -> list[FinishedRound]:
    lot = replace(GZ, when=date(2026, 6, 1))
    low = [FinishedRound(lot, 210_000_000, True, 260_000_000)] * n_low_sold
    high = [FinishedRound(lot, 285_000_000, False)] * n_high_failed
    return low + high


def test_own_rounds_update_the_prior_once_there_are_enough(history, model):
    prior_curve = model.curve(GZ, SETTINGS)
    too_few = chance_of_sale(model.prior, _rounds(10, MIN_OWN_ROUNDS - 11))
    assert not too_few.learned and too_few.chances == model.chance.chances
    crawled = [replace(r, origin="crawled") for r in _rounds(15, 25)]
    learned = train_outcome(history, _rounds(5, 15) + crawled, NOW)
    curve = learned.curve(GZ, SETTINGS)
    assert curve.chance_source == "prior + own results" and curve.fallback == ()
    # Every own round at 70% sold, every one at 95% failed: the curve moves that way.
    at = {p.start_ratio: p.chance_of_sale for p in curve.points}
    before = {p.start_ratio: p.chance_of_sale for p in prior_curve.points}
    assert at[Decimal("0.7000")] > before[Decimal("0.7000")]
    assert at[Decimal("0.9500")] < before[Decimal("0.9500")]
    assert curve.history["own_finished_rounds"] == 60
    assert learned.card["data"]["sources"]["observed_sold_rounds"] == 20
    # Where they were observed, counted apart in the card (the report's words: below).
    assert learned.card["chance_of_sale"]["learned_from"] == {
        "own": {"rounds": 20, "sold": 5},
        "crawled": {"rounds": 40, "sold": 15},
    }


def _with_rounds(model, rounds):
    return replace(model, chance=chance_of_sale(model.prior, rounds))


def test_the_chance_of_sale_says_which_finished_rounds_it_learned_from(model):
    """Own rounds and crawled platform results, sold and failed, counted apart; too few, or
    all of one outcome, and the report says the chance is the prior and why."""
    crawled = [replace(r, origin="crawled") for r in _rounds(15, 25)]
    curve = _with_rounds(model, _rounds(5, 15) + crawled).curve(GZ, SETTINGS)
    assert curve.chance_source == "prior + own results"
    assert curve.history["rounds_crawled"] == 40 and curve.history["sold_own"] == 5
    words = curve.to_json()["chance_basis"]
    assert words.startswith("成交概率由有成交也有流拍的已结束拍卖学得：")
    assert "本平台已结束的拍卖 20 场（成交 5、流拍 15）" in words
    assert "各司法拍卖平台公开的拍卖结果 40 场（成交 15、流拍 25）" in words
    few = chance_of_sale(model.prior, crawled[:12])
    assert not few.learned and few.by_origin["crawled"] == {"rounds": 12, "sold": 12}
    one_sided = _with_rounds(model, _rounds(MIN_OWN_ROUNDS, 0)).curve(GZ, SETTINGS)
    assert "均为成交，无从学习成交与流拍之别" in one_sided.chance_words
    too_few = _with_rounds(model, _rounds(4, 6)).curve(GZ, SETTINGS).chance_words
    assert "仅 本平台已结束的拍卖 10 场（成交 4、流拍 6），需至少 30 场" in too_few


def test_card_and_artifact_round_trip(model, tmp_path):
    registry = ModelRegistry(tmp_path, "outcome")
    path = registry.save(model.artifact(), model.card)
    registry.promote(model.version)
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    for key in ("kind", "version", "created_at", "data", "features", "metrics", "versions"):
        assert key in card
    assert card["kind"] == "outcome" and card["artifact"] == path.name
    assert card["data"]["rows"] == 16140 and len(card["data"]["sha256"]) == 64
    m = card["metrics"]
    assert m["holdout_rows"] > 3000 and 0 < m["model"]["mdape"] < 1
    # An expected price should be unbiased in money on the hold-out, more so than the baseline.
    base = m["baseline_start_times_median_premium"]
    assert abs(m["model"]["total_ratio"] - 1) < abs(base["total_ratio"] - 1)
    assert m["model"]["mdape"] < base["mdape"]
    loaded = registry.current()
    assert loaded.curve(GZ, SETTINGS) == model.curve(GZ, SETTINGS)


def test_artifact_from_another_sklearn_refuses_to_load(model, tmp_path):
    registry = ModelRegistry(tmp_path, "outcome")
    path = registry.save(model.artifact(), model.card)
    card = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    card["versions"]["scikit-learn"] = "1.4.2"
    path.with_suffix(".json").write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(IncompatibleModel, match="由 scikit-learn 1.4.2 保存.*fapai train-outcome"):
        registry.load(model.version)


def test_the_shipped_outcome_model_is_promoted_and_loads():
    registry = ModelRegistry(Settings().models_dir, "outcome")
    model = registry.current()
    assert model.version == registry.promoted_version() and model.card["kind"] == "outcome"
    assert model.curve(GZ, SETTINGS).proposed.start_price >= Decimal("2100000.00")


def test_round_hints_follow_the_era_floor():
    assert round_hint(Decimal("0.70"), date(2020, 1, 1)) == "1"
    assert round_hint(Decimal("0.56"), date(2020, 1, 1)) == "2"  # 0.7 × 0.8
    assert round_hint(Decimal("0.45"), date(2020, 1, 1)) == "later"
    assert round_hint(Decimal("0.70"), date(2016, 6, 1)) == "2"  # below the old 80% floor
    assert round_hint(Decimal("0.64"), date(2016, 6, 1)) == "2"  # 0.8 × 0.8


def test_derive_counts_every_dropped_row_and_is_deterministic(tmp_path):
    base = {
        "id": "1",
        "市场评估价": "1000000",
        "起拍价格": "700000",
        "成交价格": "800000",
        "交易时间": "2021年03月05日 10:00",
        "是否成交": "True",
        "城市": "广州市",
        "区": "天河",
        "建筑面积": "89.5",
        "竞拍人数": "3.0",
        "is_ai_fixed": "",
    }
    records = [
        base,
        {**base, "id": "2", "是否成交": "False"},
        {**base, "id": "3", "市场评估价": ""},
        {**base, "id": "4", "成交价格": "600000"},
        {**base, "id": "5", "起拍价格": "7000"},
        {**base, "id": "6", "城市": "火星市"},
        {**base, "id": "7", "交易时间": "2021/03/04", "is_ai_fixed": "True", "建筑面积": "0"},
    ]
    rows, dropped = derive(records)
    assert [r.lot_id for r in rows] == ["7", "1"]  # sorted by date
    assert dict(dropped) == {
        "not_sold": 1,
        "no_appraisal": 1,
        "final_below_start": 1,
        "start_ratio_out_of_band": 1,
        "unknown_city": 1,
    }
    assert rows[1].district == "天河区" and rows[1].reference_fen == 100_000_000
    assert rows[0].low_trust == 1 and rows[0].area_m2 == ""  # 0 m² is unknown, not fixed
    assert write_history(rows, tmp_path / "a.csv.gz") == write_history(rows, tmp_path / "b.csv.gz")
    assert (tmp_path / "a.csv.gz").read_bytes() == (tmp_path / "b.csv.gz").read_bytes()


def test_observed_rounds_are_own_finished_rounds_and_crawled_results(db_url, clock: FrozenClock):
    """The auction room's finished rounds reach the outcome model through the CLI's wiring
    (valuation never reads the auction tables); crawled results through valuation's own."""
    factory = session_factory(writer_engine(make_engine(db_url)))
    starts = clock.now() + timedelta(days=30)
    with session_scope(factory) as s:  # a lawful first round that nobody bids on
        engine.create_lot(
            s,
            engine.LotData(
                case_number="(2026)粤0106执1号",
                court="广州市天河区人民法院",
                title="天河区某房",
                property_type="residential",
                city="广州",
                district="天河",
                area_m2=89.0,
                reference_price=100_000_000,
                reference_method="inquiry",
                occupancy="空置",
                taxes_borne_by="各自承担",
                defects="无",
                start_price=70_000_000,
                deposit=7_000_000,
                increment=500_000,
                starts_at=starts,
                ends_at=starts + timedelta(days=1),
            ),
            clock.now(),
            SETTINGS,
        )
    clock.advance(days=32)
    with session_scope(factory) as s:
        engine.close_due_rounds(s, clock.now(), SETTINGS)
        crawled = [
            {
                "source": "sf_taobao",
                "item_id": str(i),
                "status": status,
                "round": 1,
                "city": "广州",
                "district": "海珠",
                "appraisal_price_fen": 200_000_000,
                "start_price_fen": 140_000_000,
                "final_price_fen": final,
                "end_at": "2026-01-01T02:00:00+00:00",
            }
            for i, (status, final) in enumerate(
                (("sold", 160_000_000), ("failed", None), ("withdrawn", None))
            )
        ]
        upsert_auction_results(s, [validate_auction_result(r) for r in crawled], clock.now())
    with session_scope(factory) as s:
        (own,) = own_finished_rounds(s)
        crawled = crawled_rounds(s)
    assert (own.sold, own.start_ratio, own.lot.city, own.lot.district) == (
        False,
        0.7,
        "广州市",
        "天河区",
    )
    # Closed as of its end (a late or restarted closing pass records the same time).
    assert own.lot.when == (starts + timedelta(days=1)).date()
    assert [(r.sold, r.final_fen) for r in crawled] == [(True, 160_000_000), (False, None)]
    assert own.origin == "own" and {r.origin for r in crawled} == {"crawled"}
