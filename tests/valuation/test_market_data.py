"""The embedded default market data: derived from real files with counted rejects."""

from __future__ import annotations

import json
from pathlib import Path

from valuation.market_data import (
    default_listings_path,
    load_community_prices,
    load_default_listings,
)
from valuation.market_data.derive import SOURCES, STATS, derive_source
from valuation.schema import LISTING_FIELDS

HEADER = (
    "id,xiaoqu,houseType,square,houseUrl,orientation,decoration,elevator,floorLevel,"
    "floorTotal,build,price,tradeDate,bid,deal,cycle,district,bizcircle\n"
)
ROWS = [
    "1,迪生苑,2室1厅,53.0,http://gz.lianjia.com/chengjiao/GZ1.html,南,简装,无电梯,中,9,1998,"
    "44906,2017-04-11 00:00:00,180,238.0,383,天河,天河公园",
    "2,丽晶华庭,3室2厅,149.0,http://gz.lianjia.com/chengjiao/GZ2.html,东北,简装,Nav,未知,30,-1,"
    "43625,2017-04-11 00:00:00,670,650.0,204,天河,珠江新城西",
    "3,某苑,3室2厅,149.0,http://gz.lianjia.com/chengjiao/GZ3.html,东北,简装,有电梯,高,30,1998,"
    "43625,2017-04-11 00:00:00,670,0.5,204,天河,珠江新城西",
    "4,某苑,3室2厅,149.0,http://gz.lianjia.com/chengjiao/GZ4.html,东北,简装,有电梯,高,30,1998,"
    "43625,2017-04-11 00:00:00,670,650,204,火星,珠江新城西",
]


def test_derive_maps_units_and_counts_rejects(tmp_path: Path):
    (tmp_path / "guangzhou_lianjia_deals_2016_2017.csv").write_text(HEADER + "\n".join(ROWS))
    frame, stats = derive_source("lianjia_gz_deals_2016_17", tmp_path)
    assert stats["rows_read"] == 4 and stats["rows_kept"] == 2
    assert stats["rejected"] == {"price_total:out_of_range": 1, "district:unknown_district": 1}
    first, second = frame.iloc[0], frame.iloc[1]
    assert (first["listing_id"], first["price_total"], first["unit_price"]) == (
        "GZ1",
        2_380_000,
        44906,
    )
    assert (first["city"], first["district"], first["elevator"]) == ("广州市", "天河区", False)
    # Placeholders for "unknown" stay empty, never a value.
    assert second[["elevator", "floor_level", "build_year"]].isna().all()
    assert second["bizcircle"] == "珠江新城西"


def test_shipped_data_matches_its_card_and_stays_small():
    frame = load_default_listings()
    stats = json.loads(STATS.read_text())
    assert list(frame.columns) == list(LISTING_FIELDS)
    assert frame["source"].value_counts().to_dict() == {
        name: stats[name]["rows_kept"] for name in SOURCES
    }
    assert Path(default_listings_path()).stat().st_size < 15_000_000
    assert set(frame["city"]) == {"广州市", "深圳市", "佛山市"}


def test_community_price_lookup_matches_its_card():
    prices = load_community_prices()
    stats = json.loads(STATS.read_text())["community_prices_2017"]
    assert len(prices) == stats["rows_kept"]
    assert not prices.duplicated(["district", "community"]).any()
    assert (prices["avgpx_2017"] > 0).all()
    # 萝岗 (merged into 黄埔 in 2014) is named by today's district.
    assert "萝岗区" not in set(prices["district"]) and "黄埔区" in set(prices["district"])
