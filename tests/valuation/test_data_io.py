"""Listings in and out of the project database: counted rejects, CSV/Parquet round trip."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from typer.testing import CliRunner

from fapai.db import make_engine, session_factory
from valuation.data import import_listings, listings_frame, read_listing_file, write_listing_file

NOW = datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
GOOD = [
    {
        "source": "t",
        "listing_id": "1",
        "city": "广州",
        "district": "天河",
        "community": "骏景花园",
        "area_m2": "89.5",
        "rooms": "3",
        "price_total": "4000000",
        "elevator": "有",
        "metro_station": "3号线燕塘地铁站",
        "metro_distance_m": "180",
        "crawled_at": "2025-01-01",
    },
    {
        "source": "t",
        "listing_id": "2",
        "city": "深圳市",
        "district": "南山区",
        "area_m2": "70",
        "unit_price": "90000",
        "floor_level": "高",
        "crawled_at": "2025-01-01T08:00:00+08:00",
    },
]
BAD = [
    {
        "source": "t",
        "listing_id": "3",
        "city": "广州",
        "district": "天河",
        "area_m2": "-5",
        "price_total": "1000000",
    },
    {
        "source": "t",
        "listing_id": "4",
        "city": "广州",
        "district": "火星",
        "area_m2": "80",
        "price_total": "1000000",
    },
    {
        "source": "t",
        "listing_id": "5",
        "city": "广州",
        "district": "天河",
        "area_m2": "80",
        "price_total": "50",
    },
    {"source": "t", "listing_id": "6", "city": "广州", "district": "天河", "area_m2": "80"},
]


def test_import_counts_rejects_by_reason_and_export_round_trips(db_url, tmp_path):
    factory = session_factory(make_engine(db_url))
    report = import_listings(factory, pd.DataFrame(GOOD + BAD, dtype=str), NOW, batch_size=3)
    assert (report.read, report.kept, report.stored.inserted) == (6, 2, 2)
    assert dict(report.rejected) == {
        "area_m2:out_of_range": 1,
        "district:unknown_district": 1,
        "price_total:out_of_range": 1,
        "price_total:required": 1,
    }
    with factory() as session:
        stored = listings_frame(session)
    for suffix in (".csv", ".parquet"):
        path = tmp_path / f"out{suffix}"
        write_listing_file(stored, path)
        again = read_listing_file(path)
        assert list(again.columns) == list(stored.columns)
        # Re-importing the export changes nothing: the same listings, the same prices.
        rerun = import_listings(factory, again, NOW)
        assert (rerun.kept, rerun.stored.inserted, rerun.stored.price_changed) == (2, 0, 0)
    row = stored.set_index("listing_id").loc["2"]
    assert (row["city"], row["district"], row["unit_price"]) == ("深圳市", "南山区", 90_000)
    assert pd.isna(row["price_total"])  # never derived: only what the source said
    assert stored.set_index("listing_id").loc["1", "unit_price"] == 44693
    first = stored.set_index("listing_id").loc["1"]
    assert (first["metro_station"], first["metro_distance_m"]) == ("燕塘站", 180)


def test_cli_import_prints_rejects_in_words(sqlite_url, tmp_path, monkeypatch):
    from app.cli import app
    from fapai.settings import get_settings

    src = tmp_path / "in.csv"
    pd.DataFrame(GOOD + BAD).to_csv(src, index=False)
    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["data", "import", str(src)])
        assert result.exit_code == 0, result.output
        assert "读取 6 行，有效 2 行，拒收 4 行" in result.output
        assert "导入 in.csv（行）" in result.output  # the progress bar says what it counts
        assert "district:unknown_district" in result.output
        out = tmp_path / "out.parquet"
        assert runner.invoke(app, ["data", "export", str(out)]).exit_code == 0
        exported = pd.read_parquet(out).set_index("listing_id")
        assert len(exported) == 2
        metro = exported.loc["1", ["metro_station", "metro_distance_m"]].tolist()
        assert metro == ["燕塘站", 180]  # the stated station and metres, as the schema wrote them
        missing = runner.invoke(app, ["data", "import", str(tmp_path / "nope.csv")])
        assert missing.exit_code == 1 and "文件不存在" in missing.output
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("name", ["x.xlsx", "x.json"])
def test_unsupported_file_types_are_named(tmp_path, name):
    with pytest.raises(ValueError, match="不支持的文件类型"):
        read_listing_file(tmp_path / name)


def test_cli_import_takes_decimal_prices_and_writes_rejects_with_row_numbers(
    sqlite_url, tmp_path, monkeypatch
):
    from app.cli import app
    from fapai.settings import get_settings

    decimal = {**GOOD[1], "listing_id": "7", "unit_price": "32156.78", "price_total": ""}
    src = tmp_path / "in.csv"
    pd.DataFrame([decimal, *BAD]).to_csv(src, index=False)
    monkeypatch.setenv("FAPAI_DATABASE_URL", sqlite_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        empty = runner.invoke(app, ["data", "export", str(tmp_path / "none.csv")])
        assert empty.exit_code == 1 and "listings.parquet" in empty.output
        result = runner.invoke(app, ["data", "import", str(src)])
        assert result.exit_code == 0, result.output
        assert "读取 5 行，有效 1 行，拒收 4 行" in result.output
        rejects = pd.read_csv(tmp_path / "in.csv.rejects.csv", dtype=str)
        assert rejects[["row", "field", "listing_id"]].values.tolist() == [
            ["2", "area_m2", "3"],
            ["3", "district", "4"],
            ["4", "price_total", "5"],
            ["5", "price_total", "6"],
        ]
        with session_factory(make_engine(sqlite_url))() as session:
            stored = listings_frame(session)
        assert stored.set_index("listing_id").loc["7", "unit_price"] == 32157
    finally:
        get_settings.cache_clear()
