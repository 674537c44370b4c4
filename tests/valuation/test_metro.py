"""The metro station a listing names and its stated distance: schema rules and the parser."""

from __future__ import annotations

import pytest

from valuation.market_data.metro import metro_from_text
from valuation.schema import ListingError, station_name, validate_listing, validate_subject

LISTING = {
    "source": "t",
    "listing_id": "1",
    "city": "广州",
    "district": "天河",
    "area_m2": "80",
    "price_total": "3000000",
}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("车陂南站", "车陂南站"),
        ("车陂南", "车陂南站"),
        ("淘金地铁站", "淘金站"),
        ("5号线(环中线)深圳北站", "深圳北站"),
        ("5号线（环中线）深圳北站", "深圳北站"),
        ("地铁2号线黄边站", "黄边站"),
        ("1号线地铁长寿路站", "长寿路站"),
        ("广佛线魁奇路站", "魁奇路站"),
        ("广州南站", "广州南站"),
        (" ", None),
        ("地铁站", None),
    ],
)
def test_station_names_are_stored_without_line_or_metro(given, stored):
    assert station_name(given) == stored
    assert validate_subject({**LISTING, "metro_station": given}).metro_station == stored


def test_metro_distance_is_whole_metres_in_range():
    listing = validate_listing({**LISTING, "metro_station": "燕塘", "metro_distance_m": "180"})
    assert (listing.metro_station, listing.metro_distance_m) == ("燕塘站", 180)
    assert validate_listing(LISTING).metro_distance_m is None  # unknown stays empty
    for bad, rule in (("9000", "out_of_range"), ("-1.5", "not_an_integer"), ("近", "not_a_number")):
        with pytest.raises(ListingError) as info:
            validate_listing({**LISTING, "metro_distance_m": bad})
        assert info.value.reason == f"metro_distance_m:{rule}"
    with pytest.raises(ListingError) as info:
        validate_listing({**LISTING, "metro_station": "站" * 30})
    assert info.value.reason == "metro_station:too_long"


# Real strings: Beike's 交通出行 (guangzhou_beike_listings_raw.csv) and fang.com's label
# (shenzhen_fang_listings_2025.csv).
@pytest.mark.parametrize(
    ("text", "station", "metres"),
    [
        ("地铁：2号线飞翔公园站公交：186、284、479、921", "飞翔公园站", None),
        (
            "云山诗意小区位于黄边北路~、距离地铁2号线黄边站300米~、东门距离地铁3号线白云大道北站800米",
            "黄边站",
            300,
        ),
        ("距离淘金地铁站1000米。小北地铁站600米。离保利麓苑（公交站）190米。", "小北站", 600),
        ("1号线地铁长寿路站400米。8号线华林寺站350米。100米距离康王中路公交车站", "华林寺站", 350),
        ("5号线中八站（约500M）西场站（约1000M）~、公交车南岸路站：38", "中八站", 500),
        ("地铁有九号线广州北站~、公交有花19路", "广州北站", None),
        ("地铁4号线A1出口直线距离1.5公里~、7号线板桥A出口1.4公里~、家门口", "板桥站", 1400),
        ("地铁：1号线农讲所地铁A出口~、6号线团一大地铁A出口；公交站", "农讲所站", None),
        ("步行500可达5号线的地铁杨箕站B出口。步行200米有中山一路公交站", "杨箕站", None),
        ("小区门口交通便利、地铁：沙贝地铁站A2口、沙贝地铁站A1口", "沙贝站", None),
        ("小区出门50米就有公交燕塘站；距离地铁站3号线、6号线燕塘站180米", "燕塘站", 180),
        ("距离花都汽车城地铁站3.7公里~、距离龙海西市场仅600米", "花都汽车城站", 3700),
        ("1、距离地铁六号线(香雪站)1200米2、小区外有瑞和路北(开泰大道口)站:321路", "香雪站", 1200),
        ("满五\n人车分流\n3km公园\n距1号线(罗宝线)西乡站约1195米", "西乡站", 1195),
        ("暂无数据\n距5号线(环中线)深圳北站约599米", "深圳北站", 599),
        ("满五年\n距6号线支线中大站约1100米", "中大站", 1100),
        # Not a metro station: a bus stop, a railway station, a tram, no station at all.
        ("小区门口就是军体院公交站84路。236路。", None, None),
        ("近广州东站、中信广场、离东站地铁、林和西地铁都比较近", None, None),
        ("有轨电车1号线贤江西站", None, None),
        ("地铁12号线建设中、门口即为公交枢纽站——金名都站", None, None),
        ("满五\n人车分流\n3km公园", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_metro_from_text_reads_the_nearest_marked_station(text, station, metres):
    assert metro_from_text(text) == (station, metres)


def test_a_distance_beyond_the_schema_range_is_not_kept():
    assert metro_from_text("距离地铁14号线从化客运站8公里") == ("从化客运站", None)
