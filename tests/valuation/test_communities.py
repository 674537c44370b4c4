"""A listing title's leading community: only exact known names of the same district."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from valuation.market_data import load_default_listings
from valuation.market_data.communities import (
    KnownCommunities,
    community_from_title,
    fill_from_title,
    shipped_communities,
)
from valuation.market_data.derive import STATS, derive_source

GZ = "广州市"
KNOWN = KnownCommunities.from_rows(
    [
        {"city": GZ, "district": "天河区", "community": "时尚明苑", "bizcircle": "东圃"},
        {"city": GZ, "district": "天河区", "community": "富力天朗明居", "bizcircle": "棠下"},
        {"city": GZ, "district": "天河区", "community": "富力天朗明居S区", "bizcircle": "棠下"},
        {"city": GZ, "district": "天河区", "community": "中山大道", "bizcircle": "车陂"},
        {"city": GZ, "district": "天河区", "community": "天河北路中", "bizcircle": "天河北"},
        {"city": GZ, "district": "天河区", "community": "天河北", "bizcircle": "天河北"},
        {"city": GZ, "district": "天河区", "community": "金花苑", "bizcircle": None},
        {"city": GZ, "district": "天河区", "community": "丽苑", "bizcircle": "石牌"},
        {"city": GZ, "district": "越秀区", "community": "华乐苑", "bizcircle": "淘金"},
    ]
)


@pytest.mark.parametrize(
    ("title", "district", "expected"),
    [
        ("时尚明苑 实用2房 厅直出阳台 全明户型 近地铁", "天河区", ("时尚明苑", "东圃")),
        ("时尚明苑~、南北对流", "天河区", ("时尚明苑", "东圃")),
        ("  时尚明苑精装两房", "天河区", ("时尚明苑", "东圃")),  # no boundary needed
        # the longest known name wins
        ("富力天朗明居S区 高层三房", "天河区", ("富力天朗明居S区", "棠下")),
        ("富力天朗明居N区 高层三房", "天河区", ("富力天朗明居", "棠下")),
        ("金花苑 低层", "天河区", ("金花苑", None)),  # known without a circle: none given
        ("时尚明苑 实用2房", "越秀区", None),  # known, but in another district
        ("时尚名苑 实用2房", "天河区", None),  # not exactly a known name
        ("中山大道 电梯两房", "天河区", None),  # a road
        ("天河北路中 电梯两房", "天河区", None),  # a road with its section
        ("天河北 电梯两房", "天河区", None),  # an area's name (a business circle) leads it
        ("金花苑旁 低层单位", "天河区", None),  # next to it, not in it
        ("丽苑 两房", "天河区", None),  # two characters: too short to tell
        ("", "天河区", None),
        (None, "天河区", None),
    ],
)
def test_title_names_a_known_community_only(title, district, expected):
    assert community_from_title(title, GZ, district, KNOWN) == expected


def test_a_road_is_not_skipped_for_a_shorter_name():
    """A title led by a road that is known as a name is left alone, not cut shorter."""
    known = KnownCommunities.from_rows(
        [
            {"city": GZ, "district": "天河区", "community": "中山大道", "bizcircle": "车陂"},
            {"city": GZ, "district": "天河区", "community": "中山大", "bizcircle": "车陂"},
        ]
    )
    assert community_from_title("中山大道 两房", GZ, "天河区", known) is None


def test_fill_keeps_a_stated_community_and_circle():
    stated = {"city": GZ, "district": "天河区", "title": "时尚明苑 两房", "community": "别苑"}
    assert not fill_from_title(stated, KNOWN) and stated["community"] == "别苑"
    row = {"city": GZ, "district": "天河区", "title": "时尚明苑 两房", "bizcircle": "车陂"}
    assert fill_from_title(row, KNOWN)
    assert (row["community"], row["bizcircle"]) == ("时尚明苑", "车陂")
    bare = {"city": GZ, "district": "天河区", "title": "时尚明苑 两房", "community": None}
    assert fill_from_title(bare, KNOWN) and bare["bizcircle"] == "东圃"


def test_circle_is_the_latest_sources_most_named():
    newest = pd.DataFrame(
        {
            "city": [GZ] * 4,
            "district": ["天河区"] * 4,
            "community": ["甲苑", "甲苑", "甲苑", "乙苑"],
            "bizcircle": ["车陂", "车陂", "东圃", None],
        }
    )
    older = pd.DataFrame(
        {
            "city": [GZ] * 3,
            "district": ["天河区"] * 3,
            "community": ["甲苑", "乙苑", "丙苑"],
            "bizcircle": ["石牌", "石牌", "东圃"],
        }
    )
    tie = pd.DataFrame(
        {
            "city": [GZ] * 2,
            "district": ["天河区"] * 2,
            "community": ["丁苑"] * 2,
            "bizcircle": ["石牌", "东圃"],
        }
    )
    known = KnownCommunities.from_sources([newest, older, tie]).names[(GZ, "天河区")]
    # the newest source that names a community decides, even when it gives no circle
    assert known == {"甲苑": "车陂", "乙苑": None, "丙苑": "东圃", "丁苑": None}


BEIKE_HEADER = (
    "标题,总价,单价,区域,房屋户型,建筑面积,户型结构,建筑类型,所在楼层,楼层高度,套内面积,"
    "房屋朝向,建筑结构,装修情况,户梯比例,配备电梯,周边配套,交通出行\n"
)


def _beike(title: str, district: str = "天河") -> str:
    return (
        f"{title},258,40275,{district},2室1厅1卫,64.06㎡,平层,塔楼,中楼层(共11层),暂无数据,"
        "暂无,东,钢混结构,简装,,有,,地铁：4号线车陂站"
    )


def test_derivation_fills_beike_rows_from_titles_and_counts_them(tmp_path: Path):
    (tmp_path / "guangzhou_beike_listings_raw.csv").write_text(
        BEIKE_HEADER
        + "\n".join(
            [
                _beike("时尚明苑 实用2房 厅直出阳台"),
                _beike("中山大道 实用2房"),
                _beike("时尚明苑 实用2房", district="越秀"),
                _beike("南海某苑 两房", district="南海"),
            ]
        )
    )
    frame, stats = derive_source("beike_gz_2025", tmp_path, KNOWN)
    assert frame["community"].tolist()[:1] == ["时尚明苑"] and frame["bizcircle"].iloc[0] == "东圃"
    assert frame["community"].iloc[1:].isna().all() and frame["bizcircle"].iloc[1:].isna().all()
    assert (stats["community_from_title"], stats["bizcircle_from_community"]) == (1, 1)


def test_shipped_beike_communities_are_known_names_as_counted():
    data = load_default_listings()
    stats = json.loads(STATS.read_text())
    known = shipped_communities()
    assert sum(len(v) for v in known.names.values()) == stats["communities"]["rows_kept"]
    beike = data[data["source"] == "beike_gz_2025"]
    filled = beike[beike["community"].notna()]
    assert len(filled) == stats["beike_gz_2025"]["community_from_title"] > 0
    assert filled["bizcircle"].notna().sum() == stats["beike_gz_2025"]["bizcircle_from_community"]
    for city, district, community, circle in zip(
        filled["city"], filled["district"], filled["community"], filled["bizcircle"], strict=True
    ):
        assert known.names[(city, district)][community] == (circle if pd.notna(circle) else None)


def test_rule_reads_lianjia_titles_right_nearly_always():
    """On the Lianjia listings, which state both, a community read from the title is theirs."""
    data = load_default_listings()
    lianjia = data[data["source"] == "lianjia_gz_2021_22"]
    known = shipped_communities()
    read = [
        (community_from_title(t, c, d, known), actual)
        for t, c, d, actual in zip(
            lianjia["title"],
            lianjia["city"],
            lianjia["district"],
            lianjia["community"],
            strict=True,
        )
    ]
    found = [(r[0], actual) for r, actual in read if r is not None]
    assert len(found) > 0.3 * len(lianjia)
    assert sum(name == actual for name, actual in found) / len(found) >= 0.93
