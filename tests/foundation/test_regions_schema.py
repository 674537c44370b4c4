import pytest

from fapai.regions import (
    CITIES,
    PROVINCES,
    division,
    is_region_code,
    normalize_city,
    normalize_district,
    normalize_province,
    province_of,
    short_name,
)
from valuation.schema import ListingError, validate_listing


@pytest.mark.parametrize(
    ("city", "district", "expected"),
    [
        ("广州", "天河", ("广州市", "天河区")),
        ("广州市", "萝岗区", ("广州市", "黄埔区")),
        (None, "futian", ("深圳市", "福田区")),
        ("中山", "坦洲", ("中山市", "坦洲镇")),
        ("汕尾市", "城区", ("汕尾市", "城区")),
        ("佛山", "南海", ("佛山市", "南海区")),
        ("武汉", "洪山", ("武汉市", "洪山区")),
        ("成都市", "郫县", ("成都市", "郫都区")),
        ("成都", "双流县", ("成都市", "双流区")),
        ("上海", "卢湾区", ("上海市", "黄浦区")),
        ("北京", "朝阳", ("北京市", "朝阳区")),
        ("长春", "朝阳", ("长春市", "朝阳区")),
        (None, "湖北省武汉市江汉区", ("武汉市", "江汉区")),
        ("清远", "连山", ("清远市", "连山壮族瑶族自治县")),
        ("东莞", "松山湖", ("东莞市", "松山湖")),
        ("广州", "南海", None),
        ("武汉", "天河", None),
        ("广州", "福田", None),
    ],
)
def test_normalize_district(city, district, expected):
    assert normalize_district(city, district) == expected


def test_normalize_city_variants():
    assert normalize_city("广州市广州市") == "广州市"
    assert normalize_city(" 广州市") == "广州市"
    assert normalize_city("火星") is None


def test_every_province_level_division_canonicalises():
    assert len(PROVINCES) == 34
    for province in PROVINCES:
        assert normalize_province(province) == province
        assert normalize_province(short_name(province)) == province
    assert normalize_province("内蒙古") == "内蒙古自治区"
    assert normalize_province("广西") == "广西壮族自治区"
    assert normalize_province("火星") is None
    # The municipalities and SARs are their own city.
    for short in ("北京", "天津", "上海", "重庆", "香港", "澳门"):
        assert normalize_city(short) == normalize_province(short)


def test_every_city_canonicalises_and_knows_its_province():
    assert len(CITIES) > 330
    for city in CITIES:
        assert normalize_city(city) == city
        assert province_of(city) is not None
    assert normalize_city("湖北省武汉市") == "武汉市"
    assert normalize_city("襄樊") == "襄阳市"  # former name
    assert normalize_city("仙桃") == "仙桃市"  # governed by the province directly
    assert province_of("厦门") == "福建省"
    assert "洪山区" in CITIES["武汉市"] and "锦江区" in CITIES["成都市"]


def test_region_codes_current_and_former():
    assert is_region_code("440106") and is_region_code("420111") and is_region_code("110000")
    assert is_region_code("440116")  # 萝岗区, merged into 黄埔区 in 2014: old ID numbers keep it
    assert division("440116").name == "黄埔区"
    assert division("510124").name == "郫都区"
    assert not is_region_code("999999")
    assert not is_region_code("44010")
    assert not is_region_code("44010x")


def _row(**kw):
    base = dict(
        source="t",
        listing_id="1",
        city="广州",
        district="天河",
        area_m2="89.5",
        price_total="2150000",
        unit_price="24022",
    )
    base.update(kw)
    return base


def test_valid_listing_is_cleaned():
    li = validate_listing(_row(elevator="有", floor_level="中楼层", build_year="2008"))
    assert (li.city, li.district, li.area_m2, li.price_total) == ("广州市", "天河区", 89.5, 2150000)
    assert li.elevator is True and li.floor_level == "中" and li.build_year == 2008


def test_unit_price_derived_when_missing():
    assert validate_listing(_row(unit_price=None)).unit_price == round(2150000 / 89.5)


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"area_m2": "-3"}, "area_m2:out_of_range"),
        ({"area_m2": "90000"}, "area_m2:out_of_range"),
        ({"district": "火星区"}, "district:unknown_district"),
        ({"price_total": None, "unit_price": None}, "price_total:required"),
        ({"unit_price": "99999"}, "unit_price:inconsistent"),
        ({"build_year": "208"}, "build_year:out_of_range"),
        ({"price_total": "abc"}, "price_total:not_a_number"),
        ({"listing_id": ""}, "listing_id:required"),
    ],
)
def test_bad_rows_are_rejected_with_a_reason(kw, reason):
    with pytest.raises(ListingError) as err:
        validate_listing(_row(**kw))
    assert err.value.reason == reason
