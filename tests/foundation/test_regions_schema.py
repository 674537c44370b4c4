import pytest

from fapai.regions import normalize_city, normalize_district
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
        ("广州", "南海", None),
        ("广州", "福田", None),
    ],
)
def test_normalize_district(city, district, expected):
    assert normalize_district(city, district) == expected


def test_normalize_city_variants():
    assert normalize_city("广州市广州市") == "广州市"
    assert normalize_city(" 广州市") == "广州市"
    assert normalize_city("火星") is None


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
