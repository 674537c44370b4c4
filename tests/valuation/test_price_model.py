"""The price model: estimates, intervals, refusals (NotPriceable) and comparables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from valuation.features import observed_at
from valuation.model import NotPriceable

MINIMAL = {"city": "广州", "district": "天河", "area_m2": 89}
FULL = {
    **MINIMAL,
    "community": "骏景花园",
    "rooms": 3,
    "halls": 2,
    "floor_level": "中",
    "total_floors": 30,
    "build_year": 2003,
    "decoration": "精装",
    "orientation": "南",
    "elevator": True,
    "property_type": "residential",
}


def _width(interval: tuple[Decimal, Decimal]) -> Decimal:
    return interval[1] - interval[0]


def test_minimal_input_prices_in_exact_yuan(small_model):
    est = small_model.as_price_model().estimate(MINIMAL)
    assert isinstance(est.price_total, Decimal) and isinstance(est.unit_price, Decimal)
    assert est.price_total == (est.unit_price * Decimal("89")).quantize(Decimal(1))
    assert est.interval90[0] <= est.interval80[0] < est.price_total < est.interval80[1]
    assert est.interval80[1] <= est.interval90[1]
    assert est.inputs["city"] == "广州市" and est.inputs["district"] == "天河区"
    assert est.as_of == "2025-01-01"
    # Tianhe in 2025 asks well above 10,000 and well below 200,000 yuan/m².
    assert 10_000 < est.unit_price < 200_000


def test_more_input_narrows_the_interval(small_model):
    model = small_model.as_price_model()
    minimal, full = model.estimate(MINIMAL), model.estimate(FULL)
    assert _width(full.interval80) / full.price_total < _width(minimal.interval80) / (
        minimal.price_total
    )
    assert "community" in full.inputs and "community" not in minimal.inputs


def test_past_the_data_the_interval_widens_and_keeps_its_order(small_listings, quick_train):
    # The slice's 2016–17 deals span many dates: the latest of them calibrate
    # the multipliers for dates past the data.
    model = quick_train(small_listings[observed_at(small_listings).dt.year < 2021])
    model = model.as_price_model()
    unseen, quantiles = model.calibration.unseen_quantiles, model.calibration.quantiles
    assert unseen and set(unseen) == set(quantiles)
    latest = date.fromisoformat(model.coverage["广州市"]["as_of"])
    later = latest.replace(year=latest.year + 1)

    def relative(est):
        return _width(est.interval80) / est.price_total

    for subject in (MINIMAL, FULL):
        assert relative(model.estimate(subject, as_of=later)) > relative(model.estimate(subject))
    assert relative(model.estimate(FULL, as_of=later)) < relative(
        model.estimate(MINIMAL, as_of=later)
    )


@pytest.mark.parametrize(
    ("subject", "field", "code", "words"),
    [
        ({**MINIMAL, "property_type": "commercial"}, "property_type", "not_residential", "住宅"),
        ({**MINIMAL, "city": "北京", "district": "海淀"}, "city", "no_market_data", "北京市"),
        ({"city": "汕头", "district": "龙湖", "area_m2": 90}, "city", "no_market_data", "汕头市"),
        ({"city": "西安", "district": "雁塔", "area_m2": 90}, "city", "no_market_data", "没有"),
        ({"city": "佛山", "district": "禅城", "area_m2": 90}, "district", "no_market_data", "禅城"),
        ({**MINIMAL, "district": "火星区"}, "district", "unknown_district", "无法识别"),
        ({**MINIMAL, "city": "火星"}, "city", "unknown_city", "无法识别"),
        ({**MINIMAL, "area_m2": 4000}, "area_m2", "area_out_of_data", "4000.0 m²"),
        (
            {**MINIMAL, "area_m2": -3},
            "area_m2",
            "bad_value",
            "超出合理范围（-3.0，应在 5.0–5000.0）",
        ),
        ({"city": "广州", "district": "天河"}, "area_m2", "required", "缺少"),
        ({"district": "天河", "area_m2": 80}, "city", "required", "缺少"),
        ({**MINIMAL, "building_type": "别墅"}, "building_type", "bad_value", "塔楼/板塔结合/板楼"),
        ({**MINIMAL, "near_metro": "maybe"}, "near_metro", "bad_value", "应为是或否"),
        (
            {**MINIMAL, "metro_distance_m": 9000},
            "metro_distance_m",
            "bad_value",
            "超出合理范围（9000，应在 0–5000）",
        ),
    ],
)
def test_not_priceable_says_which_field_and_why_in_chinese(
    small_model, subject, field, code, words
):
    with pytest.raises(NotPriceable) as info:
        small_model.as_price_model().estimate(subject)
    assert (info.value.field, info.value.code) == (field, code)
    assert words in info.value.reason


def test_comparables_are_in_the_same_city_and_adjusted_to_the_subject(small_model):
    model = small_model.as_price_model()
    comps = model.comparables(FULL, k=5)
    assert len(comps) == 5
    index_city = model.index.by_city["广州市"]
    ids = set(index_city["listing_id"])
    assert all(c.listing_id in ids for c in comps)
    assert [c.distance for c in comps] == sorted(c.distance for c in comps)
    assert comps[0].district == "天河区"
    for c in comps:
        assert c.adjusted_price_total == (c.adjusted_unit_price * Decimal("89")).quantize(
            Decimal(1)
        )
    # Adjusting to the subject pulls the comparables towards the model's own estimate.
    est = model.estimate(FULL).unit_price
    raw = sum(abs(c.unit_price - est) for c in comps)
    adjusted = sum(abs(c.adjusted_unit_price - est) for c in comps)
    assert adjusted <= raw
    assert (
        model.comparables({"city": "深圳", "district": "南山", "area_m2": 70}, k=3)[0].district
        == "南山区"
    )


def test_interval_coverage_holds_on_held_out_rows(small_model):
    check = small_model.card["metrics"]["check_rows_random_10pct"]["model"]
    assert check["n"] > 400
    assert 0.72 <= check["coverage_80"] <= 0.88
    assert 0.84 <= check["coverage_90"] <= 0.96
    assert (
        check["mdape"] < small_model.card["metrics"]["check_rows_random_10pct"]["baseline"]["mdape"]
    )


def test_building_type_and_metro_are_used_inputs(small_model):
    est = small_model.as_price_model().estimate(
        {**FULL, "building_type": "板楼", "near_metro": True}
    )
    assert est.inputs["building_type"] == "板楼" and est.inputs["near_metro"] is True
