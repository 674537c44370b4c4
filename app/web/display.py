"""How the pages say things: money in yuan, times in Asia/Shanghai, the domain's Chinese words.

Pure functions, registered as Jinja filters by :mod:`app.web.templating`. Money arrives as
``Decimal`` yuan (the services' and the API's unit); it is never turned into a float.
"""

from __future__ import annotations

import re
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
    "sale": "变卖中",
    "sale_bidding": "变卖竞价中",
    "sold": "待付尾款",
    "confirmed": "已成交确认",
    "failed": "流拍",
    "reneged": "悔拍",
    "suspended": "暂缓",
    "stopped": "中止",
    "withdrawn": "已撤回",
}

# A finished round's outcome (app.schemas.OUTCOMES): a sold round is 已成交 whatever became of
# the balance; a halted or withdrawn round is named as the lot's state is.
OUTCOMES: dict[str, str] = {
    "sold": "已成交",
    "failed": "流拍",
    "reneged": "悔拍",
    "suspended": "暂缓",
    "stopped": "中止",
    "withdrawn": "已撤回",
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


def file_size(size: int) -> str:
    """``512 字节``, ``12.5 KB``, ``3.2 MB``: a file's size as a person reads it."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def label(mapping: dict[str, str], key: object) -> str:
    """The Chinese word for a code, or the code itself when the map does not know it."""
    text = str(getattr(key, "value", key) if key is not None else "")
    return mapping.get(text, text or "—")


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_BIG_UNITS = ("", "万", "亿", "万亿")


def _four_digits(n: int) -> str:
    """0 < n < 10000 in capital numerals, with 零 for inner zeros: 1005 → 壹仟零伍."""
    out, zero = "", False
    for place in range(3, -1, -1):
        digit = n // 10**place % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[digit] + _SMALL_UNITS[place]
    return out


def chinese_amount(amount: Decimal | int | str) -> str:
    """An amount in yuan written in capital Chinese numerals, as on a cheque or the platforms'
    bid confirmation: 1050000 → 壹佰零伍万元整, 1234.56 → 壹仟贰佰叁拾肆元伍角陆分,
    100000.5 → 壹拾万元伍角."""
    value = to_decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if value < 0:
        raise ValueError("an amount in capital numerals is never negative")
    fen_total = int(value * 100)
    yuan_part, cents = divmod(fen_total, 100)
    jiao, fen = divmod(cents, 10)
    groups = []
    while yuan_part:
        yuan_part, group = divmod(yuan_part, 10000)
        groups.append(group)
    text, need_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            need_zero = bool(text)
            continue
        if text and (need_zero or group < 1000):
            text += "零"
        text += _four_digits(group) + _BIG_UNITS[index]
        need_zero = False
    if text:
        text += "元"
    if not jiao and not fen:
        return (text or "零元") + "整"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text:
        text += "零"
    if fen:
        text += _DIGITS[fen] + "分"
    return text


_ENGLISH = re.compile(r"[A-Za-z]{2,}[\s,:;'-]+[A-Za-z]{2,}|\b[a-z]+_[a-z_]+\b")


def reads_as_chinese(text: str) -> bool:
    """Whether ``text`` is meant for a person in Chinese: some CJK, no English words run
    together and no code names (an article cited after an English sentence is not enough)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text) and not _ENGLISH.search(text)
