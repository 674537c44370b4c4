"""The Chinese-format normaliser on the real strings of Lianjia, Beike and Anjuke pages."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

import pytest
from sitegen import DATA

from crawlers import normalize as n


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("215万", 2_150_000),
        ("２１５万", 2_150_000),
        ("1,008", 10_080_000),
        ("215.5 万", 2_155_000),
        ("1.2亿", 120_000_000),
        ("暂无数据", None),
        ("面议", None),
        (None, None),
    ],
)
def test_total_price_in_wan_becomes_exact_yuan(text: str | None, yuan: int | None) -> None:
    assert n.parse_wan(text) == yuan


@pytest.mark.parametrize(
    ("text", "yuan"),
    [
        ("32,560元/平米", 32_560),
        ("42,261元/平", 42_261),
        ("单价42261元/平米", 42_261),
        ("21786元/㎡", 21_786),
        ("３２，５６０元/平米", 32_560),
        ("--", None),
    ],
)
def test_unit_price(text: str, yuan: int | None) -> None:
    assert n.parse_yuan(text) == yuan


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3室2厅1卫", (3, 2, 1)),
        ("3室2厅", (3, 2, None)),
        ("3 室 2 厅 2 卫", (3, 2, 2)),
        ("4室2厅1厨3卫", (4, 2, 3)),
        ("2房1厅", (2, 1, None)),
        ("车位", (None, None, None)),
    ],
)
def test_layout(text: str, expected: tuple) -> None:
    assert n.parse_layout(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("中楼层(共18层)", ("中", None, 18)),
        ("中楼层 (共18层)", ("中", None, 18)),
        ("高层(共11层)", ("高", None, 11)),
        ("顶层(共15层)", ("高", 15, 15)),
        ("底层(共5层)", ("低", 1, 5)),
        ("5层(共18层)", (None, 5, 18)),
        ("16层", (None, None, 16)),
        ("3层 ", (None, None, 3)),
        ("共６层", (None, None, 6)),
        ("暂无数据", (None, None, None)),
    ],
)
def test_floor(text: str, expected: tuple) -> None:
    assert n.parse_floor(text) == expected


def test_orientation_decoration_year_area() -> None:
    assert n.parse_orientation("南  北") == "南 北"
    assert n.parse_orientation(" 东南 ") == "东南"
    assert n.parse_orientation("板楼") is None
    assert [n.parse_decoration(s) for s in ("精装", "精装修", "简单装修", "毛坯房", "豪华")] == [
        "精装",
        "精装",
        "简装",
        "毛坯",
        None,
    ]
    assert [
        n.parse_build_year(s) for s in ("2008年建", "2008年建造", "２００８", "208年建", "暂无")
    ] == [2008, 2008, 2008, 208, None]
    assert [n.parse_area(s) for s in ("89.5平米", "130.8㎡", "64.06 m²", "暂无数据")] == [
        89.5,
        130.8,
        64.06,
        None,
    ]


def test_money_in_fen_is_exact_and_refuses_sub_fen() -> None:
    assert n.parse_money_fen("1,020,000.00") == 102_000_000
    assert n.parse_money_fen(3260000.0) == 326_000_000
    assert n.parse_money_fen("102万") == 102_000_000
    assert n.parse_money_fen("0.10") == 10
    assert n.parse_money_fen("1.005") is None  # not a price a page can mean
    assert n.parse_money_fen(0) is None  # the platforms' "not given"


def test_lot_round_type_district_and_dates() -> None:
    assert n.parse_round("【一拍】广州市天河区…房产") == 1
    assert n.parse_round("(第二次拍卖)广州市…") == 2
    assert n.parse_round("【变卖】…") == 3
    assert n.parse_property_type("广州市增城区…车位") == "parking"
    assert n.parse_property_type("居住用房") == "residential"
    assert n.find_district("广州市增城区石滩镇观园北街12号房产", "广州市") == "增城区"
    assert n.find_district("番禺大石某花园", "广州市") == "番禺区"
    assert n.find_district("无区名", "广州市") is None
    assert n.parse_local_date("2022-11-09") == datetime(2022, 11, 8, 16, tzinfo=UTC)
    assert n.parse_local_date("2022年11月09日") == datetime(2022, 11, 8, 16, tzinfo=UTC)
    assert n.parse_epoch_ms(1_700_000_000_000) == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def test_house_info_in_both_orders() -> None:
    lianjia = n.parse_house_info("2室1厅 | 63.89平米 | 南 | 精装 | 中楼层(共7层) | 2002年建 | 板楼")
    beike = n.parse_house_info("中楼层 (共18层) | 2008年建 | 3室2厅 | 89.5平米 | 南 北")
    assert lianjia == {
        "layout": "2室1厅",
        "rooms": 2,
        "halls": 1,
        "bathrooms": None,
        "area_m2": 63.89,
        "orientation": "南",
        "decoration": "精装",
        "floor_text": "中楼层(共7层)",
        "floor_level": "中",
        "floor": None,
        "total_floors": 7,
        "build_year": 2002,
        "building_type": "板楼",
    }
    assert (
        beike["rooms"],
        beike["area_m2"],
        beike["orientation"],
        beike["build_year"],
        beike["floor_level"],
        beike["total_floors"],
    ) == (3, 89.5, "南 北", 2008, "中", 18)


def test_every_real_beijing_house_info_string() -> None:
    """40 real list-page strings: missing years, double spaces, 暂无数据, 别墅, 复式 titles."""
    with (DATA / "bj_raw.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    parsed = [n.parse_house_info(r["houseInfo"]) for r in rows]
    for row, info in zip(rows, parsed, strict=True):
        assert info["rooms"] is not None and info["area_m2"] is not None, row["houseInfo"]
        assert ("build_year" in info) == ("年建" in row["houseInfo"])
        assert n.parse_wan(row["totalPrice"]) == int(row["totalPrice"]) * 10_000
        assert n.parse_yuan(row["unitPrice"]) == int(
            row["unitPrice"].split("元")[0].replace(",", "")
        )
    villa = next(i for r, i in zip(rows, parsed, strict=True) if "联排别墅" in r["houseInfo"])
    assert villa["building_type"] == "联排别墅" and villa["total_floors"] == 3
    unknown_type = next(
        i for r, i in zip(rows, parsed, strict=True) if "暂无数据" in r["houseInfo"]
    )
    assert "building_type" not in unknown_type
