"""Valuation date and whole portfolios: ``as_of`` moves the price along the learned market
index; ``PriceModel.appraise``, ``fapai appraise`` and ``POST /api/appraisals`` price a table."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.main import create_app
from auction.auth import create_user, ensure_court
from fapai.db import make_engine, session_factory, session_scope
from fapai.settings import Settings
from valuation.market_index import DAMPING_YEARS, MarketIndex, year_fraction
from valuation.model import NotPriceable

SUBJECT = {"city": "广州", "district": "天河", "area_m2": 90, "rooms": 3}
OUTPUT_COLUMNS = ["estimate", "low80", "high80", "low90", "high90", "refused"]


def test_as_of_moves_the_price_along_the_market_index(small_model):
    model = small_model.as_price_model()
    table = small_model.card["market_index"]["cities"]["广州市"]["half_years"]
    assert [h["from"][:4] for h in table][:2] == ["2016", "2016"] and table[-1]["index"] == 100.0
    early, late = date(2016, 4, 1), date(2021, 4, 1)  # centres of two observed half-years
    then, now = model.estimate(SUBJECT, early), model.estimate(SUBJECT, late)
    assert then.as_of == "2016-04-01" and then.data_as_of == now.data_as_of
    assert table[0]["index"] < table[3]["index"] and then.price_total < now.price_total
    assert then.market_index == pytest.approx(table[0]["index"], abs=0.2)
    # Between two observed half-years the price moves along the index (linear in log).
    anchor, between = date(2017, 4, 1), date(2019, 1, 1)
    assert [table[2]["period"], table[3]["period"]] == [2017.25, 2021.25]
    share = (year_fraction(between) - 2017.25) / 4.0
    expected = (table[3]["index"] / table[2]["index"]) ** share
    moved = (
        model.estimate(SUBJECT, between).price_total / model.estimate(SUBJECT, anchor).price_total
    )
    assert float(moved) == pytest.approx(expected, rel=0.002)
    # Past the last data the price would follow the index's damped trend; none is measured
    # here (Guangzhou's last year of data is one crawl), so the level holds, and the interval
    # widens with the unseen years.
    assert model.market_index["广州市"].trend == 0.0
    latest, later = model.estimate(SUBJECT), model.estimate(SUBJECT, date(2028, 1, 1))
    assert later.price_total == latest.price_total
    assert later.interval90[0] < latest.interval90[0] and later.interval90[1] > latest.interval90[1]
    with pytest.raises(NotPriceable) as info:
        model.estimate(SUBJECT, date(2010, 1, 1))
    assert (info.value.field, info.value.code) == ("as_of", "before_data")


def test_past_the_data_the_index_follows_its_trend_damped_and_the_interval_widens():
    index = MarketIndex((2019.25, 2019.75), (10.0, 10.1), (500, 500), 0.05, 0.2, 2019.9)
    days = np.array([2019.5, 2019.9, 2020.4, 2030.0])
    at, shift, _ = index.anchor(days)
    # Inside the data: priced at the day itself; past it: at the latest day, then moved.
    assert at.tolist() == [2019.5, 2019.9, 2019.9, 2019.9] and shift[:2].tolist() == [0, 0]
    half_year = 0.2 * DAMPING_YEARS * (1 - math.exp(-0.5 / DAMPING_YEARS))
    assert shift[2] == pytest.approx(half_year)
    # Damped: ten years on, the shift has converged to trend × DAMPING_YEARS, not 10 × trend.
    assert shift[3] == pytest.approx(0.2 * DAMPING_YEARS, rel=1e-4)
    assert index.level(2030.0) == pytest.approx(
        np.interp(2019.9, [2019.25, 2019.75], [10, 10.1]) + shift[3]
    )
    # The interval widens with the unseen years and with the size of the extrapolation.
    base = np.array([0.1, 0.1, 0.1])
    gap = np.array([0.0, 0.5, 0.5])
    wide = index.widen(base, 0.9, gap, np.array([0.0, 0.0, shift[2]]))
    assert wide[0] == 0.1 < wide[1] < wide[2]


def test_appraise_prices_a_table_row_for_row_and_says_why_not(small_model, small_listings):
    model = small_model.as_price_model()
    table = small_listings.head(300).reset_index(drop=True).copy()
    table.loc[0, ["city", "district"]] = ["西安", "雁塔"]
    table.loc[1, "area_m2"] = -4
    table.loc[2, "property_type"] = "parking"
    table.loc[3, "district"] = "火星区"
    out = model.appraise(table, date(2025, 6, 30))
    assert list(out.columns) == OUTPUT_COLUMNS and list(out.index) == list(table.index)
    assert list(out["refused"][:4]) == [
        "city:no_market_data",
        "area_m2:bad_value",
        "property_type:not_residential",
        "district:unknown_district",
    ]
    priced = out[out["refused"].isna()]
    assert len(priced) >= 290
    assert (priced["low90"] <= priced["low80"]).all() and (
        priced["low80"] < priced["estimate"]
    ).all()
    assert (priced["estimate"] < priced["high80"]).all() and (
        priced["high80"] <= priced["high90"]
    ).all()
    # The same number as one inquiry of the same row at the same date.
    row = table.iloc[10].to_dict()
    assert int(out.loc[10, "estimate"]) == pytest.approx(
        int(model.estimate(row, date(2025, 6, 30)).price_total), abs=2
    )


@pytest.fixture
def shipped_models_dir(tmp_path, small_model):
    from valuation.registry import ModelRegistry

    registry = ModelRegistry(tmp_path / "models")
    registry.save(small_model.artifact, small_model.card)
    registry.promote(small_model.card["version"])
    return tmp_path / "models"


def test_fapai_appraise_writes_the_input_columns_plus_prices(
    shipped_models_dir, small_listings, tmp_path, monkeypatch
):
    from app.cli import app
    from fapai.settings import get_settings

    src = tmp_path / "portfolio.csv"
    table = small_listings.head(50)[["city", "district", "area_m2", "rooms", "build_year"]].copy()
    table.insert(0, "case_no", [f"(2026)粤0106执{i}号" for i in range(50)])
    table.loc[table.index[0], ["city", "district"]] = ["汕尾", "城区"]
    table.to_csv(src, index=False)
    monkeypatch.setenv("FAPAI_MODELS_DIR", str(shipped_models_dir))
    get_settings.cache_clear()
    try:
        out = tmp_path / "priced.parquet"
        result = CliRunner().invoke(
            app, ["appraise", str(src), "-o", str(out), "--as-of", "2024-06-30"]
        )
        assert result.exit_code == 0, result.output
        said = "".join(result.output.split())
        assert "49处已由价格模型" in said and "按2024-06-30估价" in said
        assert "city:no_market_data" in said and "没有该地的市场数据" in said
        priced = pd.read_parquet(out)
        assert list(priced.columns) == [*table.columns, *OUTPUT_COLUMNS]
        assert priced["case_no"].tolist() == table["case_no"].tolist()
        assert priced["estimate"].notna().sum() == 49
        bad = CliRunner().invoke(app, ["appraise", str(src), "-o", str(out), "--as-of", "昨天"])
        assert bad.exit_code == 1 and "应为日期" in bad.output
    finally:
        get_settings.cache_clear()


def test_appraisals_api_for_courts_up_to_ten_thousand(db_url, shipped_models_dir, clock):
    settings = Settings(database_url=db_url, models_dir=shipped_models_dir)
    with TestClient(create_app(settings, clock)) as client:
        with session_scope(session_factory(make_engine(db_url))) as s:
            home = ensure_court(s, "GZTH", "广州市天河区人民法院")
            _, court = create_user(s, "天河法院 书记员", "court", clock.now(), court=home)
            _, bidder = create_user(s, "竞买人", "bidder", clock.now())
        body = {
            "as_of": "2024-06-30",
            "properties": [
                {**SUBJECT, "ref": "A1"},
                {"ref": "A2", "city": "武汉", "district": "洪山", "area_m2": 90},
                {"ref": "A3", "city": "广州", "district": "天河", "area_m2": "大约九十"},
            ],
        }
        auth = {"Authorization": f"Bearer {court}"}
        made = client.post("/api/appraisals", json=body, headers=auth)
        assert made.status_code == 200, made.text
        out = made.json()
        assert out["as_of"] == "2024-06-30" and out["model_version"]
        first, wuhan, words = out["results"]
        assert first["ref"] == "A1" and first["low90"] < first["estimate"] < first["high90"]
        assert (wuhan["refused"], wuhan["estimate"]) == ("city:no_market_data", None)
        assert "没有该地的市场数据" in wuhan["message"]
        assert words["refused"] == "area_m2:bad_value"
        bidder_auth = {"Authorization": f"Bearer {bidder}"}
        assert client.post("/api/appraisals", json=body, headers=bidder_auth).status_code == 403
        many = {"properties": [SUBJECT] * 10_001}
        too_many = client.post("/api/appraisals", json=many, headers=auth)
        assert too_many.status_code == 422 and too_many.json()["field"] == "properties"


def test_appraise_gives_the_same_yuan_whatever_the_columns_dtypes(small_model, small_listings):
    """Numeric columns are checked as floats at once, text and objects value by value: a
    table of plain objects (numbers as text too) prices to the same yuan and refusals."""
    model = small_model.as_price_model()
    table = small_listings.head(200).reset_index(drop=True)
    as_objects = table.astype(object)
    as_objects["rooms"] = [None if pd.isna(v) else str(v) for v in table["rooms"]]
    as_objects.loc[5, "area_m2"] = "-1"  # a placeholder: empty
    typed = model.appraise(table.assign(area_m2=table["area_m2"].where(table.index != 5)))
    pd.testing.assert_frame_equal(model.appraise(as_objects), typed, check_exact=True)
    assert typed.at[5, "refused"] == "area_m2:required"


def test_place_keys_are_joined_once_per_distinct_place():
    from valuation.location_encoding import joined

    city = np.array(["广州市", "广州市", None, "广州市", ""], dtype=object)
    district = np.array(["天河区", None, "天河区", "天河区", "越秀区"], dtype=object)
    name = np.array(["A", "A", "B", None, ""], dtype=object)
    for times in (1, 7):  # a few rows one by one, a table once per distinct place
        c, d, v = (np.tile(a, times) for a in (city, district, name))
        assert joined([c, d]).tolist() == [
            f"{x or ''}|{y or ''}" for x, y in zip(c, d, strict=True)
        ]
        assert joined([c, d, v], last_given=True).tolist() == [
            None if z is None else f"{x or ''}|{y or ''}|{z}"
            for x, y, z in zip(c, d, v, strict=True)
        ]


def test_a_tables_validation_is_each_rows_validation():
    """The whole-table rules (numbers checked at once, text once per distinct value) give
    each row what :func:`validate_subject` gives it: the first broken rule, or its clean
    values (numbers as float, NaN where empty)."""
    from valuation.schema import ListingError, validate_subject, validate_subject_columns

    rows = [
        {"city": "广州", "district": "天河", "area_m2": 89.5, "rooms": 3, "floor": 5},
        {"city": "广州市", "district": "天河区", "area_m2": "1,234", "rooms": "2"},
        {"city": "广州市", "district": "越秀区", "area_m2": "-1", "rooms": 2.5},
        {"city": "广州市", "district": "火星区", "area_m2": 70},
        {"city": "西安", "area_m2": 4.0},
        {"city": "广州市", "district": "天河区", "area_m2": 70, "floor": 9, "total_floors": 6},
        {"city": "广州市", "district": "天河区", "area_m2": 70, "lat": 23.1},
        {"city": "广州市", "district": "天河区", "area_m2": "暂无", "build_year": "1890"},
        {"city": " 广州市 ", "district": "海珠区", "area_m2": "88平米", "elevator": "有"},
        {"city": "广州市", "district": "海珠区", "area_m2": 60, "elevator": "maybe"},
        {"city": "广州市", "district": "海珠区", "area_m2": 60, "floor_level": "中楼层"},
        {"city": "广州市", "district": "海珠区", "area_m2": 60, "floor_level": "顶"},
        {"city": "广州市", "district": "海珠区", "area_m2": 60, "property_type": "parking"},
        {"city": "广州市", "district": "海珠区", "area_m2": float("inf")},
        {"city": "广州市", "community": "  ＡＢ花园 ", "area_m2": 60, "total_floors": 151},
        {"area_m2": 60, "rooms": 2.0, "near_metro": "近地铁"},
        {"city": "广州市", "district": "海珠区", "area_m2": True},  # a boolean is no number
        {"city": "广州市", "district": "海珠区", "area_m2": 60, "rooms": True, "halls": 1},
    ]
    table = pd.DataFrame(rows * 2)  # each rule once per distinct value, rows alike
    clean, reason = validate_subject_columns(table)
    checked = 0
    for i, row in enumerate(rows * 2):
        try:
            listing = validate_subject(row)
        except ListingError as exc:
            assert reason[i] == exc.reason, (i, row)
            continue
        assert reason[i] is None, (i, row, reason[i])
        for name, value in listing.to_dict().items():
            if name in ("source", "listing_id", "price_total", "unit_price"):
                continue
            got = clean[name][i]
            if isinstance(got, float) and np.isnan(got):
                got = None
            assert got == value, (i, name, got, value)
        checked += 1
    assert checked >= 10  # the rows that break no rule, twice
    # A column of booleans alone (pandas' bool dtype) is refused as each of its rows is.
    _, reason = validate_subject_columns(
        pd.DataFrame({"city": ["广州市"] * 2, "district": ["天河区"] * 2, "rooms": [True, False]})
    )
    assert list(reason) == ["rooms:not_a_number"] * 2


def test_appraisals_take_the_metro_station_and_distance(
    sqlite_url, shipped_models_dir, small_listings, tmp_path, monkeypatch, clock
):
    """``POST /api/appraisals`` rows and ``fapai appraise`` file columns carry the metro
    fields; a row that breaks their rule is refused with its reason, the others priced."""
    from app.cli import app
    from fapai.settings import get_settings

    near = {**SUBJECT, "metro_station": "燕塘", "metro_distance_m": 180}
    settings = Settings(database_url=sqlite_url, models_dir=shipped_models_dir)
    with TestClient(create_app(settings, clock)) as client:
        with session_scope(session_factory(make_engine(sqlite_url))) as s:
            home = ensure_court(s, "GZTH", "广州市天河区人民法院")
            _, court = create_user(s, "天河法院 书记员", "court", clock.now(), court=home)
        rows = [{**near, "ref": "A1"}, {**near, "ref": "A2", "metro_distance_m": -5}]
        made = client.post(
            "/api/appraisals",
            json={"as_of": "2024-06-30", "properties": rows},
            headers={"Authorization": f"Bearer {court}"},
        )
    assert made.status_code == 200, made.text
    priced, refused = made.json()["results"]
    assert priced["estimate"] and priced["refused"] is None
    assert refused["refused"] == "metro_distance_m:bad_value" and refused["estimate"] is None
    assert refused["message"] == "取值不合规"

    src, out = tmp_path / "portfolio.csv", tmp_path / "priced.csv"
    table = small_listings.head(3)[["city", "district", "area_m2"]].copy()
    table["metro_station"] = ["燕塘站", "车陂南", None]
    table["metro_distance_m"] = [180, 9000, None]
    table.to_csv(src, index=False)
    monkeypatch.setenv("FAPAI_MODELS_DIR", str(shipped_models_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["appraise", str(src), "-o", str(out)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    written = pd.read_csv(out)
    assert written["metro_station"].tolist()[:2] == ["燕塘站", "车陂南"]  # the input as given
    assert written["refused"].tolist()[1] == "metro_distance_m:bad_value"
    assert written["estimate"].notna().tolist() == [True, False, True]
