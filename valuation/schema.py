"""The one schema for market listings, whatever the source (CSV, Parquet, crawler item, API).

Field names are fixed (CSV columns, JSON keys, crawler items). Empty means unknown; nothing is
ever guessed. :func:`validate_listing` either returns a clean :class:`Listing` or raises
:class:`ListingError` naming the field and the rule, so importers and crawl pipelines can count
rejections by reason instead of dropping rows silently.

Units: area_m2 in m²; price_total in yuan (not 万); unit_price in yuan/m²; times UTC.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from fapai.regions import normalize_city, normalize_district

# What describes a property, without its identity, price or dates: what a price inquiry or
# a batch appraisal is given (beside property_type).
PROPERTY_FIELDS: tuple[str, ...] = (
    "city",
    "district",
    "community",
    "bizcircle",
    "lat",
    "lon",
    "area_m2",
    "rooms",
    "halls",
    "bathrooms",
    "floor",
    "floor_level",
    "total_floors",
    "orientation",
    "decoration",
    "build_year",
    "elevator",
    "building_type",
    "near_metro",
    "metro_station",
    "metro_distance_m",
)
LISTING_FIELDS: tuple[str, ...] = (
    "source",
    "listing_id",
    "url",
    "title",
    *PROPERTY_FIELDS,
    "property_type",
    "price_total",
    "unit_price",
    "listed_at",
    "dealt_at",
    "crawled_at",
)
PROPERTY_TYPES = ("residential", "commercial", "parking", "land", "vehicle", "equity", "other")
FLOOR_LEVELS = ("低", "中", "高")
BUILDING_TYPES = ("塔楼", "板塔结合", "板楼")  # tower, mixed, slab: the ones the model reads
DECORATIONS = ("精装", "简装", "毛坯", "其他")

# Bounds beyond which a value is absurd for a Chinese home listing: reject, don't fix.
AREA_M2_RANGE = (5.0, 5000.0)
PRICE_TOTAL_RANGE = (10_000, 2_000_000_000)  # yuan
UNIT_PRICE_RANGE = (500, 600_000)  # yuan/m²
BUILD_YEAR_RANGE = (1900, 2030)
TOTAL_FLOORS_RANGE = (1, 150)
METRO_DISTANCE_M_RANGE = (0, 5000)  # metres to the named station: farther is not "near"
STATION_NAME_LIMIT = 20
UNIT_PRICE_TOLERANCE = 0.05  # price_total / area vs the stated unit price


class ListingError(ValueError):
    """A listing that breaks a rule; ``field`` and ``rule`` name it (for counted drops)."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    @property
    def reason(self) -> str:
        """A short stable key for counting drops, e.g. ``area_m2:out_of_range``."""
        return f"{self.field}:{self.rule.split(' ')[0]}"


@dataclass(slots=True)
class Listing:
    source: str
    listing_id: str
    url: str | None = None
    title: str | None = None
    city: str | None = None
    district: str | None = None
    community: str | None = None
    bizcircle: str | None = None  # business circle (商圈), between district and community
    lat: float | None = None
    lon: float | None = None
    area_m2: float | None = None
    rooms: int | None = None
    halls: int | None = None
    bathrooms: int | None = None
    floor: int | None = None
    floor_level: str | None = None
    total_floors: int | None = None
    orientation: str | None = None
    decoration: str | None = None
    build_year: int | None = None
    elevator: bool | None = None
    building_type: str | None = None  # 塔楼/板塔结合/板楼 as the page said, or other text
    near_metro: bool | None = None  # the source's 近地铁 tag
    metro_station: str | None = None  # the nearest station the listing names: 车陂南站, 深圳北站
    metro_distance_m: int | None = None  # metres to it, as the listing states
    property_type: str | None = None
    price_total: int | None = None
    unit_price: int | None = None
    listed_at: datetime | None = None
    dealt_at: datetime | None = None
    crawled_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v.strip() in ("", "暂无", "暂无数据", "nan", "None", "NaN", "-1")


def clean_text(v: Any) -> str | None:
    """A text field as every listing stores it: NFKC-folded, runs of space made one, None
    where empty or a placeholder (``暂无``, ``-1``…)."""
    if _empty(v):
        return None
    s = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(v))).strip()
    return s or None


def _number(field: str, v: Any) -> Decimal | None:
    if _empty(v):
        return None
    if isinstance(v, bool):
        raise ListingError(field, "not_a_number")
    try:
        d = Decimal(str(unicodedata.normalize("NFKC", str(v))).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ListingError(field, f"not_a_number ({v!r})") from exc
    if not d.is_finite():
        raise ListingError(field, "not_a_number")
    return d


def _int(field: str, v: Any, lo: int | None = None, hi: int | None = None) -> int | None:
    d = _number(field, v)
    if d is None:
        return None
    if d != d.to_integral_value():
        raise ListingError(field, f"not_an_integer ({v!r})")
    i = int(d)
    if (lo is not None and i < lo) or (hi is not None and i > hi):
        raise ListingError(field, f"out_of_range ({i} not in {lo}..{hi})")
    return i


def _yuan(field: str, v: Any, lo: int, hi: int) -> int | None:
    """A price in yuan, given whole or with decimals (``32156.78``): rounded half up."""
    d = _number(field, v)
    if d is None:
        return None
    i = int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if not lo <= i <= hi:
        raise ListingError(field, f"out_of_range ({i} not in {lo}..{hi})")
    return i


def _float(field: str, v: Any, lo: float, hi: float) -> float | None:
    d = _number(field, v)
    if d is None:
        return None
    f = float(d)
    if not lo <= f <= hi:
        raise ListingError(field, f"out_of_range ({f} not in {lo}..{hi})")
    return f


def _short_text(field: str, v: Any, limit: int) -> str | None:
    s = clean_text(v)
    if s is not None and len(s) > limit:
        raise ListingError(field, f"too_long (over {limit} characters)")
    return s


# A station as listings write it: a line first (5号线, 地铁2号线, APM线, 5号线(环中线)), 地铁
# before or inside the name (地铁淘金站, 淘金地铁站), 站 sometimes left off.
_STATION_LINE = re.compile(r"^(?:地铁)?(?:[0-9A-Za-z]+号?线|[^\s()]{1,6}线)?(?:\([^()]*\))?")


def station_name(v: Any) -> str | None:
    """A metro station's name as the schema stores it: the name ending in 站, without the line
    or 地铁 (``5号线(环中线)深圳北站`` → ``深圳北站``, ``淘金地铁站`` → ``淘金站``, ``车陂南`` →
    ``车陂南站``); None where nothing is left."""
    s = clean_text(v)
    if s is None:
        return None
    s = _STATION_LINE.sub("", s.replace(" ", ""), count=1).removeprefix("地铁")
    s = s.removesuffix("站").removesuffix("地铁")
    return f"{s}站" if s else None


def _station(field: str, v: Any) -> str | None:
    s = station_name(v)
    if s is not None and len(s) > STATION_NAME_LIMIT:
        raise ListingError(field, f"too_long (over {STATION_NAME_LIMIT} characters)")
    return s


def _datetime(field: str, v: Any) -> datetime | None:
    if _empty(v):
        return None
    if isinstance(v, datetime):
        dt = v
    elif isinstance(v, date):
        dt = datetime(v.year, v.month, v.day)
    else:
        s = str(v).strip().replace("/", "-")
        try:
            dt = datetime.fromisoformat(s)
        except ValueError as exc:
            raise ListingError(field, f"bad_datetime ({v!r})") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _bool(field: str, v: Any) -> bool | None:
    if _empty(v):
        return None
    if isinstance(v, bool):
        return v
    s = str(v).strip().lower()
    if s in ("1", "true", "yes", "y", "有", "有电梯", "是", "近地铁"):
        return True
    if s in ("0", "false", "no", "n", "无", "无电梯", "否"):
        return False
    raise ListingError(field, f"not_a_boolean ({v!r})")


def validate_listing(row: Mapping[str, Any]) -> Listing:
    """Check and clean one listing given with the schema's field names.

    Raises :class:`ListingError` on the first broken rule. Unknown keys are ignored.
    """
    source = clean_text(row.get("source"))
    if not source:
        raise ListingError("source", "required")
    listing_id = clean_text(row.get("listing_id"))
    if not listing_id:
        raise ListingError("listing_id", "required")
    return _validate(row, source, listing_id, require_price=True)


def validate_subject(row: Mapping[str, Any]) -> Listing:
    """Check and clean a property to be priced: the listing rules without source, id or price.

    The same field names, units and bounds as :func:`validate_listing`; raises
    :class:`ListingError` on the first broken rule.
    """
    return _validate(row, "subject", "subject", require_price=False)


def _validate(row: Mapping[str, Any], source: str, listing_id: str, require_price: bool) -> Listing:

    city, district = _location(clean_text(row.get("city")), clean_text(row.get("district")))

    area = _float("area_m2", row.get("area_m2"), *AREA_M2_RANGE)
    price_total = _yuan("price_total", row.get("price_total"), *PRICE_TOTAL_RANGE)
    unit_price = _yuan("unit_price", row.get("unit_price"), *UNIT_PRICE_RANGE)
    if require_price and price_total is None and unit_price is None:
        raise ListingError("price_total", "required (price_total or unit_price)")
    if price_total is not None and area:
        derived = price_total / area
        if unit_price is None:
            if not UNIT_PRICE_RANGE[0] <= derived <= UNIT_PRICE_RANGE[1]:
                raise ListingError("unit_price", f"out_of_range (derived {derived:.0f})")
            unit_price = round(derived)
        elif abs(derived - unit_price) > UNIT_PRICE_TOLERANCE * unit_price:
            raise ListingError(
                "unit_price", f"inconsistent (price_total/area={derived:.0f} vs {unit_price})"
            )

    clean = {name: rule(name, row.get(name)) for name, rule in FIELD_RULES.items()}
    _check_together(clean)
    return Listing(
        source=source,
        listing_id=listing_id,
        city=city,
        district=district,
        area_m2=area,
        price_total=price_total,
        unit_price=unit_price,
        **clean,
    )


def _check_together(clean: Mapping[str, Any]) -> None:
    """The rules between fields (beyond location and price)."""
    floor, total_floors = clean["floor"], clean["total_floors"]
    if floor is not None and total_floors is not None and floor > total_floors:
        raise ListingError("floor", f"above_total_floors ({floor} > {total_floors})")
    if (clean["lat"] is None) != (clean["lon"] is None):
        raise ListingError("lat", "lat_and_lon_together")


def _one_of(choices: tuple[str, ...], first_char: bool = False) -> Callable[[str, Any], Any]:
    def rule(field: str, v: Any) -> str | None:
        s = clean_text(v)
        if s is None:
            return None
        s = s[0] if first_char else s
        if s not in choices:
            raise ListingError(field, f"not_one_of {choices}")
        return s

    return rule


def _ranged(kind: str, lo: float, hi: float) -> Callable[[str, Any], Any]:
    convert = _float if kind == "float" else _int
    rule = partial(convert, lo=lo, hi=hi)
    rule.kind, rule.bounds = kind, (lo, hi)  # type: ignore[attr-defined]
    return rule


# Each field's own rule, value by value (the location and price rules read several fields).
FIELD_RULES: dict[str, Callable[[str, Any], Any]] = {
    "url": lambda _f, v: clean_text(v),
    "title": lambda _f, v: clean_text(v),
    "community": lambda _f, v: clean_text(v),
    "bizcircle": lambda _f, v: clean_text(v),
    "lat": _ranged("float", 18.0, 54.0),
    "lon": _ranged("float", 73.0, 136.0),
    "rooms": _ranged("int", 0, 30),
    "halls": _ranged("int", 0, 20),
    "bathrooms": _ranged("int", 0, 20),
    "floor": _ranged("int", -5, TOTAL_FLOORS_RANGE[1]),
    "floor_level": _one_of(FLOOR_LEVELS, first_char=True),
    "total_floors": _ranged("int", *TOTAL_FLOORS_RANGE),
    "orientation": lambda _f, v: clean_text(v),
    "decoration": lambda _f, v: clean_text(v),
    "build_year": _ranged("int", *BUILD_YEAR_RANGE),
    "elevator": _bool,
    "building_type": partial(_short_text, limit=20),
    "near_metro": _bool,
    "metro_station": _station,
    "metro_distance_m": _ranged("int", *METRO_DISTANCE_M_RANGE),
    "property_type": _one_of(PROPERTY_TYPES),
    "listed_at": _datetime,
    "dealt_at": _datetime,
    "crawled_at": _datetime,
}


assert tuple(f.name for f in fields(Listing)) == LISTING_FIELDS


def _location(city_raw: str | None, district_raw: str | None) -> tuple[str | None, str | None]:
    """Canonical (city, district) through the gazetteer; a name it does not know is an error."""
    if city_raw and normalize_city(city_raw) is None:
        raise ListingError("city", f"unknown_city ({city_raw})")
    if district_raw:
        pair = normalize_district(city_raw, district_raw)
        if pair is None:
            raise ListingError("district", f"unknown_district ({city_raw} {district_raw})")
        return pair
    return normalize_city(city_raw) if city_raw else None, None


def _by_distinct(values: np.ndarray, rule: Callable[[Any], Any]) -> tuple[np.ndarray, np.ndarray]:
    """``rule`` once per distinct value: (results, error reasons), row by row."""
    return _by_codes(*pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True), rule)


def _by_codes(
    codes: np.ndarray, uniques: Any, rule: Callable[[Any], Any]
) -> tuple[np.ndarray, np.ndarray]:
    """``rule`` once per distinct value of a factorized column (code -1: empty)."""
    results: list[Any] = []
    errors: list[str | None] = []
    for u in uniques:
        try:
            results.append(rule(u))
            errors.append(None)
        except ListingError as exc:
            results.append(None)
            errors.append(exc.reason)
    res = np.empty(len(results) + 1, dtype=object)
    for i, value in enumerate([*results, rule(None)]):
        res[i] = value  # one by one: a tuple stays one value
    err = np.array([*errors, None], dtype=object)
    return res[codes], err[codes]


_AREA_RULE = _ranged("float", *AREA_M2_RANGE)
# What pandas.api.types.infer_dtype calls a column that holds no boolean.
_NO_BOOLEANS = frozenset(
    ("empty", "string", "integer", "floating", "mixed-integer-float", "decimal")
)


def _ranged_column(
    name: str, rule: Callable[[str, Any], Any], values: np.ndarray, number: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """A numeric field's rule for a whole column: plain numbers checked at once, anything
    else (``1,234``, ``89平米``) value by value through the rule itself. ``number``: the
    column as float (NaN: empty) when it is numeric already, a copy the result may reuse;
    then ``values`` is not read. The clean values as float (NaN: empty or broken)."""
    lo, hi = rule.bounds  # type: ignore[attr-defined]
    if number is None:
        series = pd.Series(values, dtype=object)
        number = pd.to_numeric(series, errors="coerce").to_numpy(float, copy=True)
        # A boolean is not a number (``_number``), though pandas reads True as 1: left
        # unparsed, so the rule itself refuses it. Scanned only where a bool may be.
        if pd.api.types.infer_dtype(values, skipna=True) not in _NO_BOOLEANS:
            number[[isinstance(v, bool | np.bool_) for v in values]] = np.nan
        # "-1" is a placeholder (see _empty); anything that is not a number is judged by
        # _empty once per distinct value.
        placeholder = _by_distinct(values, lambda v: isinstance(v, str) and v.strip() == "-1")
        number[placeholder[0].astype(bool)] = np.nan
        unparsed = np.isnan(number)
        given = ~unparsed
        if unparsed.any():
            empty, _ = _by_distinct(values[unparsed], _empty)
            given[unparsed] = ~empty.astype(bool)
    else:
        given = ~np.isnan(number)
    odd = given & np.isnan(number)
    results = number  # a copy of the column's numbers, or its own array: NaN where empty
    errors = np.full(len(number), None, dtype=object)
    errors[given & ~np.isnan(number) & ((number < lo) | (number > hi))] = f"{name}:out_of_range"
    if rule.kind == "int":  # type: ignore[attr-defined]
        fraction = given & ~np.isnan(number) & (number != np.round(number))
        errors[pd.isna(errors) & fraction] = f"{name}:not_an_integer"
    errors[given & np.isinf(number)] = f"{name}:not_a_number"
    results[pd.notna(errors)] = np.nan
    if odd.any():
        found, errors[odd] = _by_distinct(values[odd], partial(rule, name))
        results[odd] = [np.nan if v is None else float(v) for v in found]
    return results, errors


def validate_subject_columns(
    frame: pd.DataFrame, skip: tuple[str, ...] = ()
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Properties to price, a whole table at once: the rules of :func:`validate_subject`, each
    field's run once per distinct value (``skip``: fields left unread and empty, such as the
    free text a price model does not use). Returns the clean schema columns (name → array:
    numeric fields as float, NaN where empty, the others objects, None where empty; no
    DataFrame, whose string columns every later step would convert back) and, per row, the
    first broken rule's reason (``field:rule``) or None."""
    n = len(frame)

    def column(name: str) -> np.ndarray:
        if name not in frame:
            return np.full(n, None, dtype=object)
        values = frame[name].to_numpy(dtype=object)
        return np.where(pd.isna(values), None, values)

    def ranged(name: str, rule: Callable[[str, Any], Any]) -> tuple[np.ndarray, np.ndarray]:
        if name not in frame or frame[name].isna().all():  # nothing given: nothing to check
            return np.full(n, np.nan), np.full(n, None, dtype=object)
        dtype = frame[name].dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            number = frame[name].to_numpy(dtype=float, na_value=np.nan, copy=True)
            return _ranged_column(name, rule, np.empty(0), number)
        return _ranged_column(name, rule, column(name), None)

    def distinct(name: str) -> tuple[np.ndarray, Any]:
        """The column factorized (code -1: empty); a string column without a detour through
        an array of objects."""
        if name in frame and isinstance(frame[name].dtype, pd.StringDtype):
            codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
            return codes, np.asarray(uniques, dtype=object)
        return pd.factorize(pd.Series(column(name), dtype=object), use_na_sentinel=True)

    out: dict[str, np.ndarray] = {}
    # Location: the gazetteer once per distinct (city, district) pair as given.
    (city_code, cities), (district_code, districts) = distinct("city"), distinct("district")
    city_text = [*map(clean_text, cities), None]  # the last: empty (code -1)
    district_text = [*map(clean_text, districts), None]
    pair_code, pairs = pd.factorize(
        np.where(city_code < 0, len(cities), city_code) * len(district_text)
        + np.where(district_code < 0, len(districts), district_code)
    )
    located: list[tuple[str | None, str | None]] = []
    errors: list[str | None] = []
    for pair in pairs:
        c, d = divmod(int(pair), len(district_text))
        try:
            located.append(_location(city_text[c], district_text[d]))
            errors.append(None)
        except ListingError as exc:
            located.append((None, None))
            errors.append(exc.reason)
    reason = np.array(errors, dtype=object)[pair_code]
    open_ = pd.isna(reason)  # rows with no broken rule yet

    def first_broken(bad: np.ndarray) -> None:
        hit = open_ & pd.notna(bad)
        reason[hit] = bad[hit]
        open_[hit] = False

    out["city"] = np.array([p[0] for p in located], dtype=object)[pair_code]
    out["district"] = np.array([p[1] for p in located], dtype=object)[pair_code]
    out["area_m2"], bad = ranged("area_m2", _AREA_RULE)
    first_broken(bad)
    for name, rule in FIELD_RULES.items():
        if name in skip:
            out[name] = np.full(n, None, dtype=object)
        elif hasattr(rule, "bounds"):
            out[name], bad = ranged(name, rule)
        else:
            out[name], bad = _by_codes(*distinct(name), partial(rule, name))
        first_broken(bad)
    floor, total = out["floor"], out["total_floors"]
    above = np.nan_to_num(floor, nan=-np.inf) > np.nan_to_num(total, nan=np.inf)
    first_broken(np.where(above, "floor:above_total_floors", None))
    one_coordinate = pd.isna(out["lat"]) != pd.isna(out["lon"])
    first_broken(np.where(one_coordinate, "lat:lat_and_lon_together", None))
    out["source"] = out["listing_id"] = np.full(n, "subject", dtype=object)
    none = np.full(n, None, dtype=object)  # the price fields: not read
    return {name: out.get(name, none) for name in LISTING_FIELDS}, reason
