"""Gazetteer: every Chinese province, city and county/district (GB/T 2260), from shipped data.

The tables live in :mod:`fapai.gazetteer` (``divisions.csv``: current and former codes and
names; ``towns.csv``: towns standing in for districts where a city has none; ``aliases.csv``:
pinyin, platform spellings and functional areas; ``CARD.md``: sources and dates). Nothing is
fetched at run time.

Canonical names are the official ones with their suffix (``广州市``, ``天河区``, ``台山市``);
short forms (``广州``, ``天河``, ``连山`` for ``连山壮族瑶族自治县``), pinyin (``futian``),
province prefixes (``广东省广州市``) and former names (``萝岗区``, ``襄樊市``) are accepted and
normalised. A municipality (北京市, 上海市…) is its own city; a county-level city that a
province governs directly (仙桃市, 济源市…) counts as a city. Cities without districts (东莞,
中山, 儋州, 嘉峪关) take their towns and sub-districts (镇/街道) as districts, as the courts'
and the platforms' listings use them.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from fapai.gazetteer import short_name


def _clean(name: str | None) -> str:
    if name is None:
        return ""
    s = unicodedata.normalize("NFKC", str(name))
    return re.sub(r"\s+", "", s)


@dataclass(frozen=True)
class Division:
    """One administrative division: its 6-digit GB/T 2260 code, name and level."""

    code: str
    name: str
    level: str  # province | city | county
    province: str  # the province-level division's name
    city: str | None  # the city's name (None for a province)


def _rows(name: str) -> list[dict[str, str]]:
    text = (resources.files("fapai.gazetteer") / name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _load() -> tuple[
    dict[str, Division], dict[str, Division], dict[str, tuple[str, ...]], dict[str, str]
]:
    rows = _rows("divisions.csv")
    current = [r for r in rows if r["status"] == "current"]
    prov_name = {r["code"]: r["name"] for r in current if r["level"] == "province"}
    city_name = {r["code"]: r["name"] for r in current if r["level"] == "city"}
    by_code: dict[str, Division] = {}
    by_key: dict[str, Division] = {}  # "level|code" for the current divisions
    cities: dict[str, list[str]] = {name: [] for name in city_name.values()}
    for r in current:
        province = prov_name[r["code"][:2] + "0000"]
        city = city_name.get(r["parent"]) if r["level"] == "county" else None
        if r["level"] == "city":
            city = r["name"]
        div = Division(r["code"], r["name"], r["level"], province, city)
        by_key[f"{r['level']}|{r['code']}"] = div
        by_code.setdefault(r["code"], div)
        if r["level"] == "county" and city:
            cities[city].append(r["name"])
    for r in _rows("towns.csv"):
        cities[city_name[r["city_code"]]].append(r["name"])
    former: dict[str, str] = {}  # former code → current successor code ("" when none)
    for r in rows:
        if r["status"] == "former":
            former.setdefault(r["code"], r["successor"])
    return by_code, by_key, {c: tuple(ds) for c, ds in cities.items()}, former


_BY_CODE, _BY_KEY, _CITY_TABLE, _FORMER_SUCCESSOR = _load()
_FORMER_NAMES: list[tuple[str, str, str]] = [
    (r["code"], r["name"], r["level"]) for r in _rows("divisions.csv") if r["status"] == "former"
]
_ALIASES = _rows("aliases.csv")

PROVINCES: tuple[str, ...] = tuple(d.name for k, d in _BY_KEY.items() if k.startswith("province|"))
# Areas the platforms list as districts though GB/T 2260 does not (大鹏新区, 松山湖…).
_AREAS = [a for a in _ALIASES if a["kind"] == "area"]
CITIES: dict[str, tuple[str, ...]] = {
    city: districts + tuple(a["district"] for a in _AREAS if a["city"] == city)
    for city, districts in _CITY_TABLE.items()
}
GUANGDONG_CITIES: tuple[str, ...] = tuple(
    d.name for k, d in _BY_KEY.items() if k.startswith("city|") and d.province == "广东省"
)


def _index_names(names: dict[str, str]) -> dict[str, str]:
    """Full and short names → canonical; a short form two divisions share maps to neither."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for full in names.values():
        out[full] = full
    for full in names.values():
        short = short_name(full)
        if short in out and out[short] != full:
            if short not in names:
                clash.add(short)
            continue
        out.setdefault(short, full)
    return {k: v for k, v in out.items() if k not in clash}


_PROVINCE_BY_NAME = _index_names({p: p for p in PROVINCES})
_CITY_BY_NAME = _index_names({c: c for c in CITIES})
_DISTRICT_BY_NAME = {city: _index_names({d: d for d in ds}) for city, ds in CITIES.items()}
_CITY_PINYIN = {a["alias"]: a["city"] for a in _ALIASES if a["kind"] == "city_pinyin"}
_DISTRICT_ALIAS: dict[str, list[tuple[str, str]]] = {}
for _a in _ALIASES:
    if _a["kind"] in ("district_pinyin", "district_alias", "area"):
        _DISTRICT_ALIAS.setdefault(_a["alias"], []).append((_a["city"], _a["district"]))


def _add_former_names() -> None:
    """Former city and county names resolve to their successors (襄樊市 → 襄阳市)."""
    for code, name, level in _FORMER_NAMES:
        successor = _FORMER_SUCCESSOR.get(code)
        div = _BY_KEY.get(f"{level}|{successor}") if successor else None
        if div is None:
            continue
        if level == "city":
            for key in (name, short_name(name)):
                _CITY_BY_NAME.setdefault(key, div.name)
        elif level == "county" and div.city:
            table = _DISTRICT_BY_NAME[div.city]
            for key in (name, short_name(name)):
                table.setdefault(key, div.name)


_add_former_names()


def _strip_province(s: str) -> str:
    for p in PROVINCES:
        for prefix in (p, short_name(p)):
            if s.startswith(prefix) and len(s) > len(prefix):
                rest = s[len(prefix) :]
                # 北京市朝阳区: the municipality is also the city; keep it.
                return s if p in CITIES and rest[:1] in ("", "市") else rest
    return s


def normalize_province(name: str | None) -> str | None:
    """Canonical province-level name (``广东`` → ``广东省``, ``内蒙古`` → ``内蒙古自治区``)."""
    s = _clean(name)
    return _PROVINCE_BY_NAME.get(s) if s else None


def normalize_city(name: str | None) -> str | None:
    """Canonical city name (``广州`` → ``广州市``, ``广东省广州市`` too), or None if unknown."""
    s = _clean(name)
    if not s:
        return None
    if s.lower() in _CITY_PINYIN:
        return _CITY_PINYIN[s.lower()]
    if s in _CITY_BY_NAME:
        return _CITY_BY_NAME[s]
    s = _strip_province(s)
    if s in _CITY_BY_NAME:
        return _CITY_BY_NAME[s]
    # "广州市广州市", "广州市天河区" and the like: the longest known city name it starts with.
    for n in range(min(len(s), 12), 1, -1):
        if s[:n] in _CITY_BY_NAME:
            return _CITY_BY_NAME[s[:n]]
    return None


def normalize_district(city: str | None, district: str | None) -> tuple[str, str] | None:
    """Canonical (city, district), or None if the pair is unknown.

    ``city`` may be None when the district names its city (``广州市天河区``) or is an
    unambiguous alias (pinyin such as ``futian``).
    """
    d = _clean(district)
    if not d:
        return None
    c = normalize_city(city) if city else None
    if city and c is None:
        return None
    for key in (d, d.lower()):
        pairs = [p for p in _DISTRICT_ALIAS.get(key, ()) if c in (None, p[0])]
        if len(pairs) == 1:
            return pairs[0]
    if c is None:
        c = normalize_city(d)
        if c is None:
            return None
    table = _DISTRICT_BY_NAME[c]
    candidates = [d, _strip_province(d)]
    for prefix in (c, short_name(c)):
        if candidates[-1].startswith(prefix) and len(candidates[-1]) > len(prefix):
            candidates.append(candidates[-1][len(prefix) :])
    for cand in candidates:
        for key in (cand, short_name(cand)):
            if key in table:
                return c, table[key]
    return None


def districts_of(city: str) -> tuple[str, ...]:
    """The districts (or, where a city has none, towns) of ``city``; () if unknown."""
    c = normalize_city(city)
    return CITIES.get(c, ()) if c else ()


def province_of(city: str) -> str | None:
    """The province-level division a city belongs to (``广州市`` → ``广东省``)."""
    c = normalize_city(city)
    return next(
        (d.province for k, d in _BY_KEY.items() if k.startswith("city|") and d.name == c), None
    )


def is_region_code(code6: str) -> bool:
    """Whether ``code6`` is a GB/T 2260 code, current or former (as an ID number's first six).

    ID numbers keep the code of where and when they were issued, so codes of divisions since
    abolished or renamed (2002–2014 revisions) count too.
    """
    return (
        isinstance(code6, str)
        and len(code6) == 6
        and code6.isdigit()
        and (code6 in _BY_CODE or code6 in _FORMER_SUCCESSOR)
    )


def division(code6: str) -> Division | None:
    """The current division a code names (a former code: its successor's), or None."""
    successor = _FORMER_SUCCESSOR.get(code6)
    return _BY_CODE.get(code6) or (_BY_CODE.get(successor) if successor else None)
