"""Exact money. Storage is integer fen (分); arithmetic is Decimal yuan; never float.

The API speaks yuan as JSON numbers with at most 2 decimals. ``to_fen`` refuses more
precision rather than rounding it away.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_YUAN = 100
_CENT = Decimal("0.01")


class MoneyError(ValueError):
    """A value that is not a valid amount of money."""


def to_decimal(value: Decimal | int | str | float) -> Decimal:
    """Parse a yuan amount exactly. Floats go through ``str`` so 0.1 stays 0.1."""
    if isinstance(value, bool):
        raise MoneyError("a boolean is not an amount")
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"not a number: {value!r}") from exc
    if not d.is_finite():
        raise MoneyError(f"not a finite number: {value!r}")
    return d


def to_fen(value: Decimal | int | str | float) -> int:
    """Yuan → integer fen. More than 2 decimals is an error, not a rounding."""
    d = to_decimal(value)
    if d != d.quantize(_CENT):
        raise MoneyError(f"at most 2 decimals allowed: {value!r}")
    return int(d * FEN_PER_YUAN)


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen → Decimal yuan with 2 decimals."""
    return (Decimal(int(fen)) / FEN_PER_YUAN).quantize(_CENT)


def ratio_of(fen: int, ratio: Decimal, rounding: str = ROUND_HALF_UP) -> int:
    """``ratio`` × an amount in fen, rounded to whole fen (ROUND_HALF_UP by default)."""
    return int((Decimal(int(fen)) * ratio).quantize(Decimal(1), rounding=rounding))


def json_number(value: Decimal) -> float | int:
    """A Decimal → a JSON number with the digits it has (money has at most 2 decimals)."""
    return int(value) if value == value.to_integral_value() else float(value)
