"""How the pages say things: money in yuan, times in Asia/Shanghai, the domain's Chinese words.

Pure functions, registered as Jinja filters by :mod:`app.web.templating`. Money arrives as
``Decimal`` yuan (the services' and the API's unit); it is never turned into a float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from fapai.clock import to_display
from fapai.money import to_decimal

PROPERTY_TYPES: dict[str, str] = {
    "residential": "住宅用房",
    "commercial": "商业用房",
    "parking": "车位",
    "land": "土地",
    "vehicle": "机动车",
    "equity": "股权",
    "other": "其他",
}

REFERENCE_METHODS: dict[str, str] = {
    "inquiry": "网络询价",
    "appraisal": "委托评估",
    "negotiation": "当事人议价",
    "directed": "定向询价",
}

# Lot states (auction.store) as the platforms name them (阿里拍卖·司法, 京东拍卖·司法).
STATUSES: dict[str, str] = {
    "announced": "即将开始",
    "bidding": "正在进行",
    "sold": "已成交",
    "failed": "流拍",
    "sale": "变卖中",
    "reneged": "悔拍",
}

ROUNDS: dict[str, str] = {"1": "一拍", "2": "二拍", "sale": "变卖"}

_WAN = Decimal(10000)


def yuan(amount: Decimal | int | str | None) -> str:
    """``¥1,234,567.50`` (whole yuan without decimals) from an amount in yuan; ``—`` when
    unknown."""
    if amount is None:
        return "—"
    cents = to_decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if cents == cents.to_integral_value():
        return f"¥{int(cents):,}"
    return f"¥{cents:,.2f}"


def wan(amount: Decimal | int | str | None) -> str:
    """``123.46万元``: the unit people read house prices in; ``—`` when unknown."""
    if amount is None:
        return "—"
    in_wan = (to_decimal(amount) / _WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{in_wan:,}万元"


def percent(ratio: Decimal | float | None, digits: int = 1) -> str:
    """``87.5%`` from a ratio 0.875; ``—`` when unknown."""
    if ratio is None:
        return "—"
    value = (to_decimal(ratio) * 100).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    return f"{value}%"


def local_time(when: datetime | None, tz: str = "Asia/Shanghai") -> str:
    """``2026-11-25 21:05:09`` in the display time zone (storage is UTC)."""
    if when is None:
        return "—"
    return to_display(when, tz).strftime("%Y-%m-%d %H:%M:%S")


def local_date(when: datetime | None, tz: str = "Asia/Shanghai") -> str:
    """``2026年11月25日`` in the display time zone."""
    if when is None:
        return "—"
    shown = to_display(when, tz)
    return f"{shown.year}年{shown.month}月{shown.day}日"


def duration_words(seconds: float) -> str:
    """``2天3小时``, ``5分钟12秒``, ``5分钟``: a time in words, its largest two units (a zero
    second unit is left out)."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "天"), (hours, "小时"), (minutes, "分钟"), (secs, "秒")]
    while len(parts) > 1 and parts[0][0] == 0:
        parts.pop(0)
    shown = parts[:2] if len(parts) > 1 and parts[1][0] else parts[:1]
    return "".join(f"{n}{unit}" for n, unit in shown)


def full_address(city: str | None, district: str | None, address: str | None) -> str:
    """City, district and address as one line, without saying the city or district twice when
    the address already names them (court notices often write 广东省江门市江海区…)."""
    address = (address or "").strip()
    if city and city in address:
        return address  # the address already starts from the city (or its province)
    prefix = city or ""
    if district and _stem(district) not in address:
        prefix += district
    return prefix + address


def _stem(place: str) -> str:
    """南区街道 → 南区, 小榄镇 → 小榄: a district-level name without its level, as addresses
    also write it."""
    for suffix in ("街道", "镇"):
        if place.endswith(suffix) and len(place) > len(suffix) + 1:
            return place[: -len(suffix)]
    return place


def label(mapping: dict[str, str], key: object) -> str:
    """The Chinese word for a code, or the code itself when the map does not know it."""
    text = str(getattr(key, "value", key) if key is not None else "")
    return mapping.get(text, text or "—")
