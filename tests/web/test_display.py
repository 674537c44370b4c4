"""The pages' wording of money, time and the domain's codes."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.web import display


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234567"), "¥1,234,567"),
        (Decimal("1234567.5"), "¥1,234,567.50"),
        ("0.10", "¥0.10"),
        (Decimal("0.005"), "¥0.01"),  # half up, never banker's rounding
        (12, "¥12"),
        (None, "—"),
    ],
)
def test_yuan_is_exact_and_groups_thousands(amount, shown) -> None:
    assert display.yuan(amount) == shown


def test_wan_rounds_half_up_to_two_decimals() -> None:
    assert display.wan(Decimal("1234550")) == "123.46万元"  # 123.455 → 123.46, not banker's
    assert display.wan(250_000) == "25.00万元"


def test_percent_of_a_ratio() -> None:
    assert display.percent(Decimal("0.875")) == "87.5%"
    assert display.percent(Decimal("1.2345"), digits=2) == "123.45%"
    assert display.percent(None) == "—"


def test_times_are_shown_in_beijing_time() -> None:
    stored = datetime(2026, 11, 25, 16, 30, 5, tzinfo=UTC)
    assert display.local_time(stored) == "2026-11-26 00:30:05"
    assert display.local_date(stored) == "2026年11月26日"
    # SQLite hands back naive UTC: it is still read as UTC.
    assert display.local_time(stored.replace(tzinfo=None)) == "2026-11-26 00:30:05"


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "0秒"),
        (59, "59秒"),
        (312, "5分钟12秒"),
        (3600, "1小时"),
        (300, "5分钟"),
        (2 * 86400 + 3 * 3600 + 7, "2天3小时"),
        (-5, "0秒"),
    ],
)
def test_duration_in_words_keeps_two_largest_units(seconds, words) -> None:
    assert display.duration_words(seconds) == words


def test_labels_fall_back_to_the_code() -> None:
    assert display.label(display.STATUSES, "failed") == "流拍"
    assert display.label(display.ROUNDS, "sale") == "变卖"
    assert display.label(display.ROUNDS, 2) == "二拍"
    assert display.label(display.PROPERTY_TYPES, "spaceship") == "spaceship"


def test_full_address_names_city_and_district_once() -> None:
    from app.web.display import full_address

    assert full_address("江门市", "江海区", "广东省江门市江海区外海临江路60号") == (
        "广东省江门市江海区外海临江路60号"
    )
    assert full_address("广州市", "天河区", "体育西路1号") == "广州市天河区体育西路1号"
    assert full_address("广州市", None, None) == "广州市"
    # A town-level district (中山 has no districts) named inside an address that starts at the
    # province: said once.
    assert full_address("中山市", "南区街道", "广东省中山市南区城南五路5号") == (
        "广东省中山市南区城南五路5号"
    )
    assert full_address("中山市", "南区街道", "城南五路5号") == "中山市南区街道城南五路5号"


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1050000", "壹佰零伍万元整"),
        ("1400000", "壹佰肆拾万元整"),
        ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
        ("100000.5", "壹拾万元伍角"),
        ("123456789.07", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零柒分"),
        ("10001", "壹万零壹元整"),
        ("100010", "壹拾万零壹拾元整"),
        ("1010101", "壹佰零壹万零壹佰零壹元整"),
        ("1000000000", "壹拾亿元整"),
        ("0.05", "伍分"),
        ("0", "零元整"),
    ],
)
def test_amounts_in_capital_numerals(amount, words) -> None:
    assert display.chinese_amount(amount) == words


def test_capital_numerals_refuse_a_negative_amount() -> None:
    with pytest.raises(ValueError):
        display.chinese_amount("-1")


def test_file_sizes_in_words() -> None:
    assert display.file_size(512) == "512 字节"
    assert display.file_size(12_800) == "12.5 KB"
    assert display.file_size(20 * 1024 * 1024) == "20.0 MB"
