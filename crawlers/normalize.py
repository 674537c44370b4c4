"""Chinese listing formats → plain values, in one place for every spider.

Each function takes the raw text a page shows and returns a value in the units of
:mod:`valuation.schema` (yuan, yuan/m², m², years), or ``None`` when the text does not say (a
missing part, ``暂无数据``) or says something that is not a number of that kind. Nothing is
guessed: "garbage" is ``None`` here and the validation pipeline decides whether the item can
live without it. Full-width digits and punctuation are folded (NFKC) first, so ``２１５万``
reads as ``215万``.

Examples (real strings from Lianjia, Beike and Anjuke pages)::

    parse_wan("215万") == 2_150_000                 # 万 (10,000 yuan) → yuan, exact
    parse_yuan("32,560元/平米") == 32_560
    parse_layout("3室2厅1卫") == (3, 2, 1)
    parse_floor("中楼层(共18层)") == ("中", None, 18)
    parse_orientation("南  北") == "南 北"
    parse_decoration("精装修") == "精装"
    parse_build_year("2008年建") == 2008
    parse_area("89.5平米") == 89.5
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fapai.money import MoneyError, to_fen
from fapai.regions import CITIES

SHANGHAI = ZoneInfo("Asia/Shanghai")
EMPTY_MARKERS = frozenset({"", "暂无", "暂无数据", "暂无信息", "--", "-", "未知", "null", "None"})

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_LAYOUT = re.compile(r"(\d+)\s*[室房](?:\s*(\d+)\s*厅)?(?:\s*(\d+)\s*厨)?(?:\s*(\d+)\s*卫)?")
_TOTAL_FLOORS = re.compile(r"共\s*(\d+)\s*层")
_FLOOR_NUMBER = re.compile(r"^(-?\d+)\s*层")
_YEAR = re.compile(r"(\d{3,4})\s*年")
_AREA_UNITS = ("平方米", "平米", "㎡", "m²", "m2", "平")
_DIRECTIONS = frozenset("东南西北")
# Floor bands as the sites spell them → the schema's 低/中/高. 底层 is the ground floor and
# 顶层 the top floor: those also fix the floor number.
_FLOOR_LEVELS = {"低": "低", "中": "中", "高": "高", "底": "低", "顶": "高"}
_DECORATIONS = {
    "精装": "精装",
    "豪装": "精装",
    "豪华装修": "精装",
    "精装修": "精装",
    "简装": "简装",
    "简单装修": "简装",
    "简装修": "简装",
    "普通装修": "简装",
    "毛坯": "毛坯",
    "毛坯房": "毛坯",
    "清水": "毛坯",
    "其他": "其他",
}
BUILDING_TYPES = (
    "板塔结合",
    "板楼",
    "塔楼",
    "平房",
    "叠拼别墅",
    "联排别墅",
    "独栋别墅",
    "双拼别墅",
    "别墅",
)


def clean_text(value: Any) -> str | None:
    """NFKC-folded text with runs of whitespace collapsed; ``None`` for empty markers."""
    if value is None:
        return None
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value))).strip()
    return None if s in EMPTY_MARKERS else s


def _decimal(text: Any) -> Decimal | None:
    s = clean_text(text)
    if s is None:
        return None
    match = _NUMBER.search(s.replace(",", "").replace(" ", ""))
    if match is None:
        return None
    try:
        return Decimal(match.group())
    except InvalidOperation:  # pragma: no cover - the regex admits only decimals
        return None


def _whole(d: Decimal) -> int:
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def parse_wan(text: Any) -> int | None:
    """A total price in 万元 (``215万``, ``1,008``, ``215.5 万``) → whole yuan."""
    s = clean_text(text)
    if s is None:
        return None
    d = _decimal(s)
    if d is None:
        return None
    if "亿" in s:
        return _whole(d * 100_000_000)
    if "万" in s or "元" not in s:
        return _whole(d * 10_000)
    return _whole(d)


def parse_yuan(text: Any) -> int | None:
    """A price in yuan (``32,560元/平米``, ``单价42261元/平米``, ``21786元/㎡``) → whole yuan."""
    d = _decimal(text)
    return None if d is None else _whole(d)


def parse_area(text: Any) -> float | None:
    """An area (``89.5平米``, ``130.8㎡``, ``64.06 m²``) → m²; text without a number → None."""
    s = clean_text(text)
    if s is None:
        return None
    d = _decimal(s)
    return None if d is None else float(d)


def parse_layout(text: Any) -> tuple[int | None, int | None, int | None]:
    """``3室2厅1卫`` / ``3 室 2 厅 2 卫`` / ``2房1厅`` → (rooms, halls, bathrooms)."""
    s = clean_text(text)
    match = _LAYOUT.search(s.replace(" ", "")) if s else None
    if match is None:
        return None, None, None
    rooms, halls, _kitchens, baths = match.groups()
    return int(rooms), _int_or_none(halls), _int_or_none(baths)


def _int_or_none(s: str | None) -> int | None:
    return None if s is None else int(s)


def parse_floor(text: Any) -> tuple[str | None, int | None, int | None]:
    """A floor description → (floor_level 低/中/高, floor number, total floors).

    ``中楼层(共18层)`` → ("中", None, 18); ``高层(共11层)`` → ("高", None, 11);
    ``顶层(共15层)`` → ("高", 15, 15); ``底层(共5层)`` → ("低", 1, 5);
    ``5层(共18层)`` → (None, 5, 18); ``16层`` (a building of 16 floors) → (None, None, 16).
    """
    s = clean_text(text)
    if s is None:
        return None, None, None
    s = s.replace(" ", "")
    total_match = _TOTAL_FLOORS.search(s)
    total = int(total_match.group(1)) if total_match else None
    level = _FLOOR_LEVELS.get(s[0]) if s[0] in _FLOOR_LEVELS and "层" in s else None
    floor = None
    if s.startswith("顶层"):
        floor = total
    elif s.startswith("底层"):
        floor = 1
    elif (number := _FLOOR_NUMBER.match(s)) is not None:
        if total is None:  # Lianjia writes a low-rise's height alone: "16层"
            total = int(number.group(1))
        else:
            floor = int(number.group(1))
    return level, floor, total


def parse_orientation(text: Any) -> str | None:
    """``南 北`` / ``南  北`` → ``南 北``; text naming no direction → None."""
    s = clean_text(text)
    if s is None or not set(s.replace(" ", "")) <= _DIRECTIONS:
        return None
    return s


def parse_decoration(text: Any) -> str | None:
    """``精装`` / ``精装修`` / ``毛坯房`` → one of 精装, 简装, 毛坯, 其他; unknown words → None."""
    s = clean_text(text)
    return None if s is None else _DECORATIONS.get(s.replace(" ", ""))


def parse_build_year(text: Any) -> int | None:
    """``2008年建`` / ``2008年建造`` / ``2008`` → 2008; ``208年建`` → 208 (validation rejects)."""
    s = clean_text(text)
    if s is None:
        return None
    match = _YEAR.search(s) or re.fullmatch(r"(\d{1,4})", s)
    return int(match.group(1)) if match else None


def parse_count(text: Any) -> int | None:
    """``12人报名`` / ``出价次数 35`` / ``7`` → the first whole number."""
    d = _decimal(text)
    return None if d is None or d != d.to_integral_value() else int(d)


def _is_layout(p: str) -> bool:
    return _LAYOUT.search(p.replace(" ", "")) is not None


def _is_area(p: str) -> bool:
    return any(p.endswith(u) for u in _AREA_UNITS) and _NUMBER.search(p) is not None


def parse_house_info(text: Any) -> dict[str, Any]:
    """A Lianjia/Beike ``houseInfo`` line → schema fields, whatever order its parts come in.

    Lianjia: ``2室1厅 | 63.89平米 | 南 | 精装 | 中楼层(共7层) | 2002年建 | 板楼``;
    Beike: ``中楼层 (共18层) | 2008年建 | 3室2厅 | 89.5平米 | 南 北``. Parts can be missing
    (no build year) or say ``暂无数据``; each part is recognised by its own shape.
    """
    out: dict[str, Any] = {}
    s = clean_text(text)
    if s is None:
        return out
    for raw in s.split("|"):
        part = clean_text(raw)
        if part is None:
            continue
        if "layout" not in out and _is_layout(part):
            out["layout"] = part
            out["rooms"], out["halls"], out["bathrooms"] = parse_layout(part)
        elif "area_m2" not in out and _is_area(part):
            out["area_m2"] = parse_area(part)
        elif "层" in part and "floor_text" not in out:
            out["floor_text"] = part
            out["floor_level"], out["floor"], out["total_floors"] = parse_floor(part)
        elif _YEAR.search(part) and "建" in part:
            out["build_year"] = parse_build_year(part)
        elif parse_orientation(part) is not None:
            out["orientation"] = parse_orientation(part)
        elif parse_decoration(part) is not None:
            out["decoration"] = parse_decoration(part)
        elif part in BUILDING_TYPES:
            out["building_type"] = part
    return out


def parse_local_date(text: Any) -> datetime | None:
    """``2019-05-01`` / ``2019年05月01日`` (a Beijing-time date) → aware UTC of local midnight."""
    s = clean_text(text)
    match = re.search(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", s or "")
    if match is None:
        return None
    try:
        day = datetime(*(int(g) for g in match.groups()), tzinfo=SHANGHAI)
    except ValueError:
        return None
    return day.astimezone(UTC)


def parse_epoch_ms(value: Any) -> datetime | None:
    """Milliseconds since the epoch (the auction platforms' JSON) → aware UTC."""
    d = _decimal(value)
    return None if d is None else datetime.fromtimestamp(int(d) / 1000, UTC)


def parse_money_fen(text: Any) -> int | None:
    """An amount in yuan (``1,020,000.00``, ``¥ 3260000.0``, ``102万``) → integer fen, exact.

    The platforms write 0 for a price they do not give (no appraisal): that is None here.
    """
    s = clean_text(text)
    d = _decimal(s)
    if d is None or d <= 0:
        return None
    if s and "万" in s:
        d *= 10_000
    try:
        return to_fen(d)
    except MoneyError:
        return None  # more than 2 decimals of a yuan: not a price this page can mean


_ROUNDS = (("变卖", 3), ("第二次", 2), ("二拍", 2), ("第一次", 1), ("一拍", 1))


def parse_round(text: Any) -> int | None:
    """A lot title's round: 【一拍】/第一次拍卖 → 1, 【二拍】/第二次拍卖 → 2, 变卖 → 3."""
    s = clean_text(text) or ""
    return next((number for word, number in _ROUNDS if word in s), None)


_PROPERTY_WORDS = (
    ("车位", "parking"),
    ("车库", "parking"),
    ("机动车", "vehicle"),
    ("车辆", "vehicle"),
    ("土地", "land"),
    ("股权", "equity"),
    ("商铺", "commercial"),
    ("商业", "commercial"),
    ("办公", "commercial"),
    ("厂房", "commercial"),
    ("住宅", "residential"),
    ("居住", "residential"),
    ("房产", "residential"),
    ("房屋", "residential"),
)


def parse_property_type(text: Any) -> str | None:
    """``住宅`` / ``商业`` / ``车位`` (a use or a title) → one of the schema's property types."""
    s = clean_text(text) or ""
    return next((kind for word, kind in _PROPERTY_WORDS if word in s), None)


def find_district(text: Any, city: str | None) -> str | None:
    """The first district of ``city`` (gazetteer name) that ``text`` names, e.g. in a lot title."""
    s = clean_text(text)
    if not s or city not in CITIES:
        return None
    for name in CITIES[city]:
        short = name[:-1] if len(name) > 2 else name
        if name in s or (len(short) >= 2 and short in s):
            return name
    return None
