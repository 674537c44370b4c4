"""The demo's real-lot file: how archive rows are cleaned and typed, and that the shipped
``lots.csv`` is exactly what ``derive.py`` makes from the shared archive."""

from __future__ import annotations

from pathlib import Path

import pytest

from auction.demo_data import LOTS_CSV
from auction.demo_data.derive import (
    DEFAULT_SEED,
    DEFAULT_SOURCE,
    DemoLot,
    clean,
    derive,
    property_type_of,
)

RAW = {
    "id": "545395146493",
    "市场评估价": "2734400.0",
    "起拍价格": "1920000.0",
    "成交价格": "4055000.0",
    "交易时间": "2017/03/23 10:00:00",
    "是否成交": "True",
    "竞拍人数": "41.0",
    "地点(街道门牌)": "广东省广州市海珠区新港东路畔江内街6号",
    "所属小区": "畔江花园",
    "城市": "广州市",
    "区": "海珠",
    "建筑面积": "107.61",
    "房屋用途": "",
    "is_ai_fixed": "",
}


def test_a_clean_row_keeps_the_archive_figures() -> None:
    lot = clean(RAW)
    assert isinstance(lot, DemoLot)
    assert (lot.city, lot.district, lot.property_type) == ("广州市", "海珠区", "residential")
    assert (lot.reference_yuan, lot.start_yuan, lot.final_yuan) == (
        "2734400.00",
        "1920000.00",
        "4055000.00",
    )
    assert lot.sold_on == "2017-03-23" and lot.registered_bidders == "41"
    assert lot.start_ratio == "0.7022" and lot.final_ratio == "2.1120"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"is_ai_fixed": "True"}, "filled by a language model (is_ai_fixed)"),
        ({"地点(街道门牌)": "广东省 广州市 海珠区"}, "address without a street number"),
        ({"市场评估价": ""}, "missing appraisal, start or final price"),
        ({"成交价格": "1000000.0"}, "final price below start or above 3 × start"),
        # 0.55 of the appraisal: below even a second round's 0.70 × 0.80 (第十条, 第二十六条).
        ({"起拍价格": "1503920.0", "成交价格": "1600000.0"}, "start price not reachable"),
        ({"建筑面积": "12.5"}, "home under 20 m² (use unclear)"),
    ],
)
def test_rows_left_out_say_why(change: dict[str, str], reason: str) -> None:
    result = clean({**RAW, **change})
    assert isinstance(result, str) and result.startswith(reason)


@pytest.mark.parametrize(
    ("usage", "community", "expected"),
    [
        ("车库", "", "parking"),
        ("", "名城御景绿洲地下车位", "parking"),
        ("办公", "", "commercial"),
        ("", "欣荣宏国际商贸城", "commercial"),
        ("住宅", "商业大厦", "residential"),  # the stated use wins over the name
        ("", "畔江花园", "residential"),
    ],
)
def test_property_type(usage: str, community: str, expected: str) -> None:
    assert property_type_of(usage, community, "广州市海珠区新港东路6号") == expected


@pytest.mark.skipif(not DEFAULT_SOURCE.exists(), reason=f"the archive is not at {DEFAULT_SOURCE}")
def test_shipped_file_is_what_derive_makes(tmp_path: Path) -> None:
    out = tmp_path / "lots.csv"
    chosen, reasons = derive(DEFAULT_SOURCE, out, DEFAULT_SEED)
    assert out.read_bytes() == LOTS_CSV.read_bytes()
    assert reasons["kept"] >= len(chosen) == 390
