"""The law as pure functions: each rule at its boundary, with the article it cites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fapai import law
from fapai.errors import RuleViolation
from fapai.settings import Settings

S = Settings(database_url="sqlite://")
T = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def violation(fn, *args, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as err:
        fn(*args, **kwargs)
    return err.value


def test_start_price_floor_is_70_percent_of_reference_art_10():
    law.check_start_price(70_000, 100_000, S)
    err = violation(law.check_start_price, 69_999, 100_000, S)
    assert (err.field, err.article) == ("start_price", "拍卖规定 第十条")
    assert "70%" in err.rule and "¥700.00" in err.rule
    # 70% of an odd amount rounds up: the floor is never below 70%.
    assert law.min_start_price(100_001, S) == 70_001


@pytest.mark.parametrize(
    ("deposit", "ok"), [(4_999, False), (5_000, True), (20_000, True), (20_001, False)]
)
def test_deposit_is_5_to_20_percent_of_start_art_17(deposit, ok):
    if ok:
        law.check_deposit(deposit, 100_000, S)
    else:
        assert violation(law.check_deposit, deposit, 100_000, S).article == "拍卖规定 第十七条"


def test_start_prices_round_to_whole_yuan_on_the_lawful_side():
    """A proposed start is whole yuan: up from a floor (第十条, 第二十六条), down from a cap."""
    assert law.START_PRICE_UNIT_FEN == 100
    assert law.whole_yuan_up(123_401) == 123_500 and law.whole_yuan_up(123_400) == 123_400
    assert law.whole_yuan_down(123_499) == 123_400 and law.whole_yuan_down(0) == 0
    floor = law.min_start_price(345_678_937, S)  # 70% of ¥3,456,789.37, to the fen
    law.check_start_price(law.whole_yuan_up(floor), 345_678_937, S)


def test_increment_must_be_positive_art_20():
    law.check_increment(1)
    assert violation(law.check_increment, 0).field == "increment"


def test_bidding_lasts_at_least_24_hours_art_20():
    law.check_bidding_window(T, T + timedelta(hours=24), S)
    err = violation(law.check_bidding_window, T, T + timedelta(hours=24) - timedelta(seconds=1), S)
    assert (err.field, err.article) == ("ends_at", "拍卖规定 第二十条")


@pytest.mark.parametrize(
    ("property_type", "reauction", "days", "article"),
    [
        ("residential", False, 30, "拍卖规定 第十二条"),
        ("equity", False, 30, "拍卖规定 第十二条"),
        ("vehicle", False, 15, "拍卖规定 第十二条"),
        ("other", False, 15, "拍卖规定 第十二条"),
        ("residential", True, 15, "拍卖规定 第二十六条"),
        ("vehicle", True, 7, "拍卖规定 第二十六条"),
    ],
)
def test_announcement_periods_art_12_and_26(property_type, reauction, days, article):
    assert law.announcement_days(property_type, S, reauction=reauction) == days
    law.check_announcement(T, T + timedelta(days=days), property_type, S, reauction=reauction)
    err = violation(
        law.check_announcement,
        T,
        T + timedelta(days=days) - timedelta(seconds=1),
        property_type,
        S,
        reauction=reauction,
    )
    assert (err.field, err.article) == ("starts_at", article)


def test_bid_validity_first_at_start_then_by_increment_art_20():
    assert law.bid_takes_lead(1000, 1000, 100, None, None)
    assert not law.bid_takes_lead(999, 1000, 100, None, None)
    leader = law.Leader(1000, None)
    assert law.bid_takes_lead(1100, 1000, 100, leader, None)
    assert not law.bid_takes_lead(1099, 1000, 100, leader, None)
    assert violation(law.check_first_bid, 999, 1000).article == "拍卖规定 第二十条"


def test_priority_holder_may_match_the_price_and_ties_go_to_lower_rank_art_19_21():
    ordinary, rank1, rank2 = law.Leader(1000, None), law.Leader(1000, 1), law.Leader(1000, 2)
    assert law.bid_takes_lead(1000, 500, 100, ordinary, 2)  # priority beats ordinary
    assert not law.bid_takes_lead(1000, 500, 100, ordinary, None)  # ordinary cannot match
    assert law.bid_takes_lead(1000, 500, 100, rank2, 1)  # lower rank number wins
    assert not law.bid_takes_lead(1000, 500, 100, rank1, 2)
    assert not law.bid_takes_lead(1000, 500, 100, rank1, 1)  # equal standing: earlier wins
    assert not law.bid_takes_lead(999, 500, 100, ordinary, 1)  # matching means exactly


def test_extension_moves_the_end_only_for_bids_in_the_last_window_art_20():
    end = T + timedelta(hours=24)
    assert law.extended_end(end, end - timedelta(seconds=301), S) == end
    assert law.extended_end(end, end - timedelta(seconds=60), S) == end + timedelta(seconds=240)
    assert law.extended_end(end, end - timedelta(seconds=300), S) == end


def test_reauction_start_cut_at_most_20_percent_art_26():
    law.check_reauction_start_price(80_000, 100_000, S)
    law.check_reauction_start_price(100_000, 100_000, S)
    assert violation(law.check_reauction_start_price, 79_999, 100_000, S).article == (
        "拍卖规定 第二十六条"
    )
    assert violation(law.check_reauction_start_price, 100_001, 100_000, S).field == "start_price"


def test_reauction_announced_within_30_days_art_26():
    """The 30 days bound the announcement; bidding starts 15 days after it (real estate), so
    publishing on day 30 for day 45 is lawful, and a lawful start exists on every day 0–30."""
    law.check_reauction_within(T, T + timedelta(days=30), S)
    err = violation(law.check_reauction_within, T, T + timedelta(days=30, seconds=1), S)
    assert err.article == "拍卖规定 第二十六条"
    assert law.reauction_deadline(T, S) == T + timedelta(days=30)
    for day in range(31):
        published = T + timedelta(days=day)
        starts = published + timedelta(days=law.announcement_days("residential", S, reauction=True))
        law.check_reauction_within(T, published, S)
        law.check_announcement(published, starts, "residential", S, reauction=True)


def test_sale_at_second_start_price_for_the_sale_period():
    law.check_sale_terms(80_000, 80_000, T, T + timedelta(days=60), S)
    assert violation(law.check_sale_terms, 79_900, 80_000, T, T + timedelta(days=60), S).field == (
        "start_price"
    )
    assert violation(law.check_sale_terms, 80_000, 80_000, T, T + timedelta(days=59), S).field == (
        "ends_at"
    )


def test_sale_deposit_is_the_whole_sale_price_sale_notice():
    """衔接通知: a 变卖 bidder qualifies by paying the whole 变卖 price, not 5–20% of it."""
    law.check_sale_deposit(80_000, 80_000)
    err = violation(law.check_sale_deposit, 16_000, 80_000)
    assert (err.field, err.article) == ("deposit", law.SALE_NOTICE)
    assert "全款" in err.rule


def test_sale_first_bid_opens_24_hours_and_announcement_sale_notice():
    """衔接通知: the first bid opens a 24-hour bidding period; real estate is announced 15 days
    before the 变卖期 (movables 7), within 15 days of the second failure."""
    assert law.sale_bidding_end(T, S) == T + timedelta(hours=24)
    law.check_sale_announcement(T, T + timedelta(days=15), "residential", S)
    law.check_sale_announcement(T, T + timedelta(days=7), "vehicle", S)
    err = violation(law.check_sale_announcement, T, T + timedelta(days=14), "residential", S)
    assert (err.field, err.article) == ("starts_at", law.SALE_NOTICE)
    law.check_sale_announced_within(T, T + timedelta(days=15), S)
    assert violation(
        law.check_sale_announced_within, T, T + timedelta(days=15, seconds=1), S
    ).article == (law.SALE_NOTICE)


def test_reference_validity_reference_art_27():
    """参考价规定 第二十七条: the first auction's announcement within the validity; any auction
    or 变卖 held no more than 6 months after the validity ended."""
    until = datetime(2026, 8, 31, tzinfo=UTC)
    law.check_reference_valid(until, until, until + timedelta(days=30), S, first=True)
    err = violation(
        law.check_reference_valid, until, until + timedelta(seconds=1), until, S, first=True
    )
    assert (err.field, err.article) == ("inquiry_id", "参考价规定 第二十七条")
    # Later rounds may be announced after expiry, and held up to 6 months after it.
    law.check_reference_valid(
        until, until + timedelta(days=60), datetime(2027, 2, 28, tzinfo=UTC), S, first=False
    )
    err = violation(
        law.check_reference_valid,
        until,
        until,
        datetime(2027, 2, 28, 0, 0, 1, tzinfo=UTC),
        S,
        first=False,
    )
    assert (err.field, err.article) == ("starts_at", "参考价规定 第二十七条")
    assert law.add_months(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2027, 2, 28, tzinfo=UTC)


def test_renege_reauction_keeps_the_start_price_art_24():
    """拍卖规定 第二十四条: a renege is not a 流拍: the re-auction keeps the round's start price."""
    law.check_renege_reauction_price(70_000, 70_000)
    err = violation(law.check_renege_reauction_price, 56_000, 70_000)
    assert (err.field, err.article) == ("start_price", "拍卖规定 第二十四条")


def test_forfeited_deposit_pays_costs_then_shortfall_then_debt_art_24():
    """拍卖规定 第二十四条: 费用损失 first, then the re-auction's 差价, the rest to the debt."""
    assert law.apply_forfeit(100, 30, 50) == law.ForfeitUse(30, 50, 20)
    assert law.apply_forfeit(100, 30, 500) == law.ForfeitUse(30, 70, 0)
    assert law.apply_forfeit(100, 500, 50) == law.ForfeitUse(100, 0, 0)
    assert law.apply_forfeit(100, 0, 0) == law.ForfeitUse(0, 0, 100)


def test_balance_deadline_and_payment_art_25():
    """拍卖规定 第二十五条: the balance within the notice's period; no more than is owed."""
    assert law.balance_due_by(T, S) == T + timedelta(days=S.balance_payment_days)
    law.check_balance_payment(1, 1)
    for bad in (0, 2):
        assert violation(law.check_balance_payment, bad, 1).article == "拍卖规定 第二十五条"


def test_resume_within_5_days_art_28():
    """拍卖规定 第二十八条: resumed within 5 days, bidding still at least 24 hours."""
    law.check_resume_schedule(T, T + timedelta(days=5), T + timedelta(days=6), S)
    err = violation(
        law.check_resume_schedule, T, T + timedelta(days=5, seconds=1), T + timedelta(days=7), S
    )
    assert (err.field, err.article) == ("starts_at", "拍卖规定 第二十八条")
    err = violation(law.check_resume_schedule, T, T, T + timedelta(hours=23), S)
    assert (err.field, err.article) == ("ends_at", "拍卖规定 第二十条")


@pytest.mark.parametrize("missing", ["occupancy", "taxes_borne_by", "defects"])
def test_real_estate_notice_states_occupancy_taxes_defects_art_13_14_30(missing):
    """拍卖规定 第十三条、第十四条、第三十条: real estate names occupancy, taxes and defects."""
    full = {"occupancy": "不交吉，带租约至2027年", "taxes_borne_by": "各自承担", "defects": "无"}
    law.check_notice("residential", full)
    law.check_notice("vehicle", {})  # a movable need not
    err = violation(law.check_notice, "residential", {**full, missing: " "})
    assert err.field == missing and err.article in (
        "拍卖规定 第十三条",
        "拍卖规定 第十四条",
        "拍卖规定 第三十条",
    )


def test_priority_ranks_fixed_before_bidding_art_19():
    """拍卖规定 第十九条: ranks are fixed before bidding starts."""
    law.check_priority_change(T - timedelta(seconds=1), T)
    assert violation(law.check_priority_change, T, T).article == "拍卖规定 第十九条"


def test_applicant_creditor_pays_only_what_its_claim_does_not_cover_art_17():
    """拍卖规定 第十七条: the applicant creditor bids without a deposit, paying the difference
    where its claim is smaller than the deposit."""
    assert law.creditor_deposit(70_000, 1_000_000) == 0
    assert law.creditor_deposit(70_000, 50_000) == 20_000


def test_every_rule_text_is_chinese():
    """Messages people read are Chinese; field and article stay machine codes."""
    errors = [
        violation(law.check_start_price, 1, 100_000, S),
        violation(law.check_deposit, 1, 100_000, S),
        violation(law.check_increment, 0),
        violation(law.check_bidding_window, T, T, S),
        violation(law.check_announcement, T, T, "residential", S),
        violation(law.check_first_bid, 1, 2),
        violation(law.check_reauction_start_price, 1, 100, S),
        violation(law.check_reauction_within, T, T + timedelta(days=99), S),
        violation(law.check_sale_terms, 1, 2, T, T, S),
        violation(law.check_sale_deposit, 1, 2),
        violation(law.check_renege_reauction_price, 1, 2),
        violation(law.check_balance_payment, 0, 1),
        violation(law.check_notice, "residential", {}),
        violation(law.check_priority_change, T, T),
    ]
    for err in errors:
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err.rule), err.rule
        assert err.field.isascii() and err.article


def test_refund_within_24_hours_art_23():
    assert law.refund_due_by(T, S) == T + timedelta(hours=24)


def test_settings_override_shortens_the_clock(monkeypatch):
    monkeypatch.setenv("FAPAI_MIN_BIDDING_SECONDS", "60")
    monkeypatch.setenv("FAPAI_ANNOUNCE_DAYS_IMMOVABLE", "0")
    short = Settings()
    law.check_bidding_window(T, T + timedelta(seconds=60), short)
    law.check_announcement(T, T, "residential", short)
