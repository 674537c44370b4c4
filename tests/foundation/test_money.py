from decimal import Decimal

import pytest

from fapai.money import MoneyError, fen_to_yuan, ratio_of, to_fen


@pytest.mark.parametrize(
    ("value", "fen"),
    [("1", 100), (Decimal("1234567.89"), 123456789), (0.1, 10), (12, 1200), ("0.05", 5)],
)
def test_to_fen_is_exact(value, fen):
    assert to_fen(value) == fen


@pytest.mark.parametrize("value", ["1.001", "abc", float("nan"), float("inf"), True, "1e400x"])
def test_to_fen_refuses_bad_amounts(value):
    with pytest.raises(MoneyError):
        to_fen(value)


def test_round_trip_and_ratio():
    assert fen_to_yuan(123456789) == Decimal("1234567.89")
    assert ratio_of(1000001, Decimal("0.70")) == 700001  # 700000.7 rounds half up
