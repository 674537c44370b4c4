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
    law.check_sale_bid(80_000, 80_000)
    assert violation(law.check_sale_bid, 80_100, 80_000).article == law.SALE_NOTICE


def test_refund_within_24_hours_art_23():
    assert law.refund_due_by(T, S) == T + timedelta(hours=24)


def test_settings_override_shortens_the_clock(monkeypatch):
    monkeypatch.setenv("FAPAI_MIN_BIDDING_SECONDS", "60")
    monkeypatch.setenv("FAPAI_ANNOUNCE_DAYS_IMMOVABLE", "0")
    short = Settings()
    law.check_bidding_window(T, T + timedelta(seconds=60), short)
    law.check_announcement(T, T, "residential", short)
