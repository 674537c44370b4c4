"""The metro station a listing names as nearest, and the distance it states, from its text.

Listing pages describe transport in free text: Beike's 交通出行 (``距离地铁2号线黄边站300米``,
``距离淘金地铁站1000米``, ``5号线中八站（约500M）``), fang.com's labels
(``距5号线(环中线)深圳北站约599米``). :func:`metro_from_text` reads a station only where the text
marks it as a metro station — a line before it (``2号线``, ``八号线``, ``广佛线``, ``APM线``) or
``地铁`` right after or before it — so bus stops (``公交燕塘站``), railway stations and
terminals (``总站``) named without a line are not read. Nothing is guessed: no marked station,
no station; no distance written right after it, no distance. Used by the market-data derivation
and by the crawlers, so a crawled page and the shipped data read the same way.
"""

from __future__ import annotations

import re
import unicodedata

from valuation.schema import METRO_DISTANCE_M_RANGE, station_name

_CJK = "\u4e00-\u9fff"
# A line: 2号线, 十三号线, 21号线, 广佛线, APM线, 6号线支线; Shenzhen adds its name in brackets:
# 1号线(罗宝线). A station may follow in brackets: 六号线(香雪站)1200米.
_LINE = (
    r"(?:(?:\d{1,2}|[一二三四五六七八九十]{1,3})号线|广佛线|APM线)(?:支线)?(?:\([^()]{1,4}线\))?"
)
# What may follow a station's name: 站, 地铁站, or an exit (农讲所地铁A出口, 板桥A出口).
_END = r"(?:地铁)?(?:站|(?=[A-Za-z]\d?出?口))"
_AFTER_LINE = re.compile(
    rf"(?<!有轨电车){_LINE}[的:\-(【]?(?:地铁口?)?(?P<name>[{_CJK}]{{1,10}}?){_END}"
)
# Without a line: 淘金地铁站, 沙贝地铁站A2口, 地铁江夏站.
_BEFORE_METRO = re.compile(rf"(?P<name>[{_CJK}]{{2,12}})地铁站")
_AFTER_METRO = re.compile(rf"地铁口?[:]?(?P<name>[{_CJK}]{{2,8}}?)站")
# Words that end a lead-in before a name ("距离淘金地铁站", "3公里内有增城广场地铁站",
# "13号线二期松溪站", "一、五号线交汇杨箕站"): the name is what follows the last of them.
_LEAD = re.compile(
    "距离|距|离|靠近|邻近|临近|接近|近|到达|直达|可达|到|乘坐|乘|坐|步行|就是|即是|是|在|有|至|往|去|"
    "及|与|或|于|的|和(?=..)|接驳|附近|楼下|地处|位于|内|线|号|站(?!$)|起点|终点|[一二三四]期|"
    "[东南西北]?延[长伸]?段|交汇|换乘"
)
# What a name ends with that is not the station's: 滘口总站 (a terminus), 大塘双地铁站.
_TAIL = re.compile("(?:总|双)$")
# Words no station name holds: a match that swallowed them read a sentence, not a name.
_NOT_NAME = re.compile("米|公里|分钟|公交|巴士|出口|交通|此|该|这|个|各|多数|地铁|[车铁]$")


def _name(raw: str) -> str | None:
    """A station's name from what a pattern caught before 站: the lead-in cut off, a
    terminus' 总 dropped; None where what is left is not a name."""
    lead = [m.end() for m in _LEAD.finditer(raw)]
    name = _TAIL.sub("", raw[lead[-1] :] if lead else raw)
    return name if 2 <= len(name) <= 8 and not _NOT_NAME.search(name) else None


# A distance right after the station: 300米, （约500M）, A出口1.4公里, 约599米.
_DISTANCE = re.compile(
    r"^[)】]?(?:[A-Za-z]\d?出?口)?[(]?(?:约|直线距离|距离|步行)?\s*"
    r"(?P<n>\d+(?:\.\d+)?)\s*(?P<unit>米|m|M|公里|千米|km|KM|Km)(?![A-Za-z])"
)


def metro_from_text(text: str | None) -> tuple[str | None, int | None]:
    """The nearest metro station a listing's text names, and its stated distance in metres.

    Nearest: of the stations the text marks as metro stations, the one with the smallest
    stated distance; where none states a distance, the first named. Returns (station name
    ending in 站 as :func:`valuation.schema.station_name` writes it, whole metres in
    ``METRO_DISTANCE_M_RANGE`` or None); (None, None) where the text names no metro station.
    """
    found = stations_in_text(text)
    if not found:
        return None, None
    with_distance = [f for f in found if f[1] is not None]
    if with_distance:
        return min(with_distance, key=lambda f: f[1])  # the first of equals: min is stable
    return found[0]


def stations_in_text(text: str | None) -> list[tuple[str, int | None]]:
    """Every metro station the text marks, in the order named (each once, the first time),
    with the distance written right after it (metres) or None."""
    if not isinstance(text, str) or not text:
        return []
    s = unicodedata.normalize("NFKC", text).replace(" ", "")
    hits = sorted(
        (m.start("name"), m.group("name"), m.end())
        for pattern in (_AFTER_LINE, _AFTER_METRO, _BEFORE_METRO)
        for m in pattern.finditer(s)
    )
    out: dict[str, int | None] = {}
    for _, raw, end in hits:
        name = _name(raw)
        station = station_name(f"{name}站") if name else None
        if station is not None and station not in out:
            out[station] = _distance_after(s[end:])
    return list(out.items())


def _distance_after(rest: str) -> int | None:
    """Metres written right after a station (``300米``, ``（约500M）``, ``A出口1.4公里``)."""
    m = _DISTANCE.match(rest)
    if m is None:
        return None
    metres = float(m.group("n")) * (1 if m.group("unit") in ("米", "m", "M") else 1000)
    lo, hi = METRO_DISTANCE_M_RANGE
    return round(metres) if lo <= metres <= hi else None
