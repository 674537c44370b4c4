"""The online inquiry's rules, on the pure function: the legal reference price is the mean of
the listed platforms' results (参考价规定 第十三条), fapai's estimate an independent check, the
floor, proposal, deposit and validity from fapai.law, and reasons instead of numbers."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from fapai.clock import FrozenClock
from fapai.law import check_deposit, check_reauction_start_price, check_start_price
from fapai.money import to_fen
from fapai.settings import Settings
from valuation.inquiry import NO_REFERENCE, InquiryError, InquiryReport, parse_sources, price
from valuation.model import PriceModel
from valuation.outcome import OutcomeModel
from valuation.registry import ModelRegistry

TIANHE = {"city": "广州", "district": "天河", "area_m2": 89, "rooms": 3}


@pytest.fixture(scope="module")
def models(shipped_models: Path) -> tuple[PriceModel, OutcomeModel]:
    return (
        ModelRegistry(shipped_models, "price").current(),
        ModelRegistry(shipped_models, "outcome").current(),
    )


def _price(models, clock, description=TIANHE, sources=(), settings=None, **kw) -> InquiryReport:
    model, outcome = models
    return price(
        description, list(sources), clock.now(), model, outcome, settings or Settings(), **kw
    )


def test_reference_price_is_the_mean_of_the_listed_platforms_art_13(models, clock: FrozenClock):
    """参考价规定 第十三条: the mean of the listed platforms that answered; a platform asked that
    did not answer is recorded and left out; fapai's estimate is shown beside it."""
    asked = clock.now() - timedelta(days=3)
    sources = [
        {"platform": "京东", "price": "4500000", "asked_at": asked},
        {"platform": "淘宝", "price": 4700000.55, "asked_at": asked},
        {"platform": "工行融e购", "price": None, "asked_at": asked},
    ]
    report = _price(models, clock, sources=sources)
    mean = (Decimal("4500000") + Decimal("4700000.55")) / 2
    assert report.reference_price_fen == to_fen(mean.quantize(Decimal("0.01"), ROUND_HALF_UP))
    assert [(s.platform, s.counted) for s in report.sources] == [
        ("京东", True),
        ("淘宝", True),
        ("工行融e购", False),
    ]
    assert all(s.asked_at == asked for s in report.sources)
    assert report.sources[2].answered_at is None and report.sources[0].answered_at == clock.now()
    assert not report.estimate_counts and report.estimate.price_total > 0
    body = report.to_json()
    assert body["reference_note"] is None and body["estimate_counts_as_source"] is False
    assert "名单内" in body["reference_rule"]


def test_fapai_counts_only_where_the_deployment_is_a_listed_platform(models, clock):
    listed = Settings(listed_inquiry_platform=True)
    report = _price(
        models, clock, sources=[{"platform": "京东", "price": 4500000}], settings=listed
    )
    own = report.sources[0]
    assert (own.platform, own.kind, own.price) == ("fapai", "model", report.estimate.price_total)
    mean = (own.price + Decimal("4500000")) / 2
    assert report.reference_price_fen == to_fen(mean.quantize(Decimal("0.01"), ROUND_HALF_UP))
    alone = _price(models, clock, settings=listed)
    assert alone.reference_price_fen == to_fen(alone.estimate.price_total)


def test_no_platform_result_means_no_legal_reference_price_yet(models, clock):
    report = _price(models, clock, sources=[{"platform": "京东", "price": None}])
    assert report.reference_price_fen is None
    body = report.to_json()
    assert body["reference_price"] is None and body["reference_note"] == NO_REFERENCE
    assert "不能据此发布拍卖" in NO_REFERENCE and "参考价规定 第十三条" in NO_REFERENCE
    # The proposal is measured from fapai's estimate meanwhile, and says so on the page.
    assert report.basis_fen == to_fen(report.estimate.price_total)
    assert report.start_price_floor_fen == -(-report.basis_fen * 7 // 10)


def test_a_far_platform_result_is_flagged_and_must_be_confirmed(models, clock):
    """A ¥1 typed for ¥1,000,000 would halve the mean silently: refused until confirmed."""
    slip = [{"platform": "京东", "price": 1}, {"platform": "淘宝", "price": 4600000}]
    with pytest.raises(InquiryError, match="相差均超过") as caught:
        _price(models, clock, sources=slip)
    assert caught.value.field == "sources.0.price"
    assert caught.value.article == "参考价规定 第十三条"
    kept = _price(models, clock, sources=slip, confirmed=True)
    assert [(s.flagged, s.confirmed) for s in kept.sources] == [(True, True), (False, True)]
    assert kept.reference_price_fen == (100 + 460_000_000) // 2
    # Near the others and the interval: not flagged.
    near = _price(models, clock, sources=[{"platform": "京东", "price": 4400000}])
    assert not near.sources[0].flagged


def test_report_dates_floor_proposal_and_deposit(models, clock: FrozenClock):
    settings = Settings(inquiry_validity_days=200)
    report = _price(
        models, clock, sources=[{"platform": "京东", "price": 4500000}], settings=settings
    )
    body = report.to_json()
    # 参考价规定 第二十七条: the validity the settings give, at most a year.
    assert report.valid_until == clock.now() + timedelta(days=200)
    assert body["valid_until_local"].endswith("+08:00")
    ref = report.reference_price_fen
    # 拍卖规定 第十条: the floor is 70% of the reference, rounded up to the fen.
    assert report.start_price_floor_fen == -(-ref * 7 // 10)
    assert body["start_price_floor_rule"] == "拍卖规定 第十条：起拍价不得低于参考价的 70%"
    assert body["deposit_rule"] == "拍卖规定 第十七条：保证金为起拍价的 5%–20%"
    proposed = to_fen(body["proposed_start_price"])
    check_start_price(proposed, ref, settings)
    assert proposed <= ref
    # 拍卖规定 第十七条: both ends of the deposit range are lawful for the proposed start.
    low, high = (to_fen(v) for v in body["deposit_range"])
    check_deposit(low, proposed, settings)
    check_deposit(high, proposed, settings)
    with pytest.raises(Exception, match="5%–20%"):
        check_deposit(low - 1, proposed, settings)
    assert (
        body["expected_outcome"]["chance_of_sale"] == body["outcome"]["proposed"]["chance_of_sale"]
    )
    # Should round 1 fail: a lawful re-auction start, cut at most 20% (拍卖规定 第二十六条).
    again = body["if_unsold"]
    assert again["round"] == 2 and again["lawful_range"][1] == body["proposed_start_price"]
    check_reauction_start_price(to_fen(again["proposed"]["start_price"]), proposed, settings)
    lo80, hi80 = body["interval"]["80"]
    lo90, hi90 = body["interval"]["90"]
    assert lo90 <= lo80 < hi80 <= hi90
    assert body["comparables"] and body["model_version"] == models[0].version


def test_the_report_reads_back_exactly_as_issued(models, clock):
    report = _price(models, clock, sources=[{"platform": "京东", "price": 4500000.5}])
    body = {"id": 3, **report.to_json()}
    again = InquiryReport.from_json(body, "Asia/Shanghai")
    assert again.to_json() == report.to_json() and again.id == 3
    assert again.comparables == report.comparables and again.outcome == report.outcome


def test_estimate_and_comparables_come_from_one_predict(models, clock, monkeypatch):
    """The subject is validated once and the price model predicts once per inquiry."""
    import valuation.inquiry as inquiry
    from valuation import serving

    model = models[0]
    calls = {"predict": 0, "validate": 0}
    regressor = model.pipeline[-1]
    predict, serving_predict = type(regressor).predict, serving.predict
    inside = []

    def counted_predict(self, X):  # sklearn's own predict, called directly
        calls["predict"] += self is regressor and not inside
        return predict(self, X)

    def counted_serving_predict(estimator, X):  # compiled trees, or sklearn's for many rows
        calls["predict"] += estimator is regressor
        inside.append(True)
        try:
            return serving_predict(estimator, X)
        finally:
            inside.pop()

    validate = inquiry.validate_subject

    def counted_validate(row):
        calls["validate"] += 1
        return validate(row)

    monkeypatch.setattr(type(regressor), "predict", counted_predict)
    monkeypatch.setattr(serving, "predict", counted_serving_predict)
    monkeypatch.setattr(inquiry, "validate_subject", counted_validate)
    report = _price(models, clock)
    assert calls == {"predict": 1, "validate": 1}
    assert report.comparables and report.estimate.price_total > 0


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"city": "汕尾", "district": "城区"}, "city", "没有该地的市场数据.*汕尾市"),
        ({"city": "武汉", "district": "洪山"}, "city", "没有该地的市场数据.*武汉市"),
        ({"area_m2": 4000}, "area_m2", "面积远超出"),
        ({"property_type": "parking"}, "property_type", "只评估住宅"),
        ({"district": "火星区"}, "district", "无法识别的区县名称"),
        ({"area_m2": None}, "area_m2", "缺少必填项"),
        ({"area_m2": -5}, "area_m2", "超出合理范围"),
        ({"building_type": "别墅"}, "building_type", "塔楼/板塔结合/板楼"),
        ({"as_of": "2010-01-01"}, "as_of", "早于"),
        ({"as_of": "昨天"}, "as_of", "应为日期"),
    ],
)
def test_what_cannot_be_priced_gets_a_reason_not_a_number(models, clock, change, field, words):
    with pytest.raises(InquiryError, match=words) as caught:
        _price(models, clock, {**TIANHE, **change})
    assert caught.value.field == field


def test_platform_results_are_checked_by_field(clock):
    now = clock.now()
    with pytest.raises(InquiryError, match="至多两位小数") as caught:
        parse_sources([{"platform": "JD", "price": "1.005"}], now)
    assert caught.value.field == "sources.0.price"
    with pytest.raises(InquiryError, match="重复") as caught:
        parse_sources([{"platform": "JD", "price": 1}, {"platform": "JD", "price": 2}], now)
    assert caught.value.field == "sources.1.platform"
    with pytest.raises(InquiryError, match="正的金额"):
        parse_sources([{"platform": "JD", "price": 0}], now)
    later = now + timedelta(hours=1)
    with pytest.raises(InquiryError, match="不能晚于现在") as caught:
        parse_sources([{"platform": "JD", "price": 1, "asked_at": later}], now)
    with pytest.raises(InquiryError, match="不能早于询价时间") as caught:
        parse_sources([{"platform": "JD", "price": 1, "answered_at": now - timedelta(days=1)}], now)
    assert caught.value.field == "sources.0.answered_at"


def test_building_type_and_metro_reach_the_price_model(models, clock):
    def priced(**extra):
        return _price(models, clock, {**TIANHE, **extra}).estimate.price_total

    assert priced(building_type="板楼", near_metro=True) != priced()


def test_proposed_start_prices_are_whole_yuan_and_still_lawful(models, clock):
    """A reference with fen (the mean of ¥3,456,789.37 and ¥3,456,790.00): every start the
    curves offer is whole yuan, rounded up so none falls below its floor (拍卖规定 第十条,
    第二十六条)."""
    sources = [{"platform": "京东", "price": "3456789.37"}, {"platform": "淘宝", "price": 3456790}]
    report = _price(models, clock, sources=sources)
    ref = report.reference_price_fen
    assert ref % 100 != 0
    for curve in (report.outcome, report.reauction):
        assert all(to_fen(p.start_price) % 100 == 0 for p in curve.points)
    proposed = to_fen(report.outcome.proposed.start_price)
    check_start_price(proposed, ref, Settings())
    again = to_fen(report.reauction.proposed.start_price)
    check_reauction_start_price(again, proposed, Settings())
    assert to_fen(report.outcome.points[0].start_price) == -(-ref * 7 // 10 // 100) * 100
    assert isinstance(report.to_json()["proposed_start_price"], int)


def test_the_report_carries_the_case_number_and_the_court(models, clock):
    report = _price(
        models, clock, case_number=" （2026）粤0106执123号 ", court="广州市天河区人民法院"
    )
    body = report.to_json()
    assert body["case_number"] == "（2026）粤0106执123号"
    assert body["court"] == "广州市天河区人民法院"
    again = InquiryReport.from_json({"id": 1, **body}, "Asia/Shanghai")
    assert (again.case_number, again.court) == ("（2026）粤0106执123号", "广州市天河区人民法院")


def test_a_reference_outside_fapais_interval_is_explained(models, clock):
    inside = _price(models, clock, sources=[{"platform": "京东", "price": 4400000}])
    low, high = inside.estimate.interval90
    assert low <= inside.reference_price <= high
    assert inside.to_json()["reference_outside_interval"] is None
    # Both platforms above the interval's top, neither far enough to be flagged.
    up = [{"platform": "京东", "price": str(high * 12 / 10)}, {"platform": "淘宝", "price": high}]
    report = _price(models, clock, sources=up)
    check = report.to_json()["reference_outside_interval"]
    mean = (high * 12 / 10 + high) / 2
    assert check["side"] == "above" and check["outside"] == ["京东"]
    assert check["by"] == pytest.approx(float((mean - high) / high), abs=1e-4)
    assert "高于本平台估价 90% 区间上限" in check["words"] and "第十三条" in check["words"]
    assert f"{check['by'] * 100:.1f}%" in check["words"]
    down = _price(models, clock, sources=[{"platform": "京东", "price": str(low * 8 / 10)}])
    assert down.reference_check.side == "below" and "低于" in down.reference_check.words


def test_comparables_say_whether_they_are_asking_prices_or_deals(models, clock):
    """Each comparable names its site (not a code) and whether its price was asked or paid;
    the Guangzhou deals of 2016–17 are deals, the listings asking prices."""
    from valuation.comparables import price_kind_of, source_name

    report = _price(models, clock)
    body = report.to_json()["comparables"]
    assert body and all(c["price_kind"] in ("asking", "deal") for c in body)
    assert all(c["source_name"] and "_" not in c["source_name"] for c in body)
    assert all(c["observed_on"] for c in body)  # (Beike listings name no community)
    assert price_kind_of("lianjia_gz_deals_2016_17") == "deal"
    assert price_kind_of("beike_gz_2025") == "asking"
    assert price_kind_of("beike_gz_2025", dealt=True) == "deal"
    assert source_name("lianjia_gz_deals_2016_17") == "链家（广州）"
    then = _price(models, clock, {**TIANHE, "as_of": "2016-10-01"}).comparables
    assert "deal" in {c.price_kind for c in then} and {c.price_label for c in then} <= {
        "挂牌价",
        "成交价",
    }
