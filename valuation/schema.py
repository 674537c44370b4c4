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
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from fapai.regions import normalize_city, normalize_district

LISTING_FIELDS: tuple[str, ...] = (
    "source",
    "listing_id",
    "url",
    "title",
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


def _text(v: Any) -> str | None:
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
    s = _text(v)
    if s is not None and len(s) > limit:
        raise ListingError(field, f"too_long (over {limit} characters)")
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
    source = _text(row.get("source"))
    if not source:
        raise ListingError("source", "required")
    listing_id = _text(row.get("listing_id"))
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

    city_raw, district_raw = _text(row.get("city")), _text(row.get("district"))
    city = district = None
    if district_raw:
        pair = normalize_district(city_raw, district_raw)
        if pair is None:
            raise ListingError("district", f"unknown_district ({city_raw} {district_raw})")
        city, district = pair
    elif city_raw:
        city = normalize_city(city_raw)
        if city is None:
            raise ListingError("city", f"unknown_city ({city_raw})")

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

    floor_level = _text(row.get("floor_level"))
    if floor_level is not None:
        floor_level = floor_level[0] if floor_level[0] in FLOOR_LEVELS else None
        if floor_level is None:
            raise ListingError("floor_level", f"not_one_of {FLOOR_LEVELS}")
    total_floors = _int("total_floors", row.get("total_floors"), *TOTAL_FLOORS_RANGE)
    floor = _int("floor", row.get("floor"), -5, TOTAL_FLOORS_RANGE[1])
    if floor is not None and total_floors is not None and floor > total_floors:
        raise ListingError("floor", f"above_total_floors ({floor} > {total_floors})")

    property_type = _text(row.get("property_type"))
    if property_type is not None and property_type not in PROPERTY_TYPES:
        raise ListingError("property_type", f"not_one_of {PROPERTY_TYPES}")

    lat = _float("lat", row.get("lat"), 18.0, 54.0)
    lon = _float("lon", row.get("lon"), 73.0, 136.0)
    if (lat is None) != (lon is None):
        raise ListingError("lat", "lat_and_lon_together")

    return Listing(
        source=source,
        listing_id=listing_id,
        url=_text(row.get("url")),
        title=_text(row.get("title")),
        city=city,
        district=district,
        community=_text(row.get("community")),
        bizcircle=_text(row.get("bizcircle")),
        lat=lat,
        lon=lon,
        area_m2=area,
        rooms=_int("rooms", row.get("rooms"), 0, 30),
        halls=_int("halls", row.get("halls"), 0, 20),
        bathrooms=_int("bathrooms", row.get("bathrooms"), 0, 20),
        floor=floor,
        floor_level=floor_level,
        total_floors=total_floors,
        orientation=_text(row.get("orientation")),
        decoration=_text(row.get("decoration")),
        build_year=_int("build_year", row.get("build_year"), *BUILD_YEAR_RANGE),
        elevator=_bool("elevator", row.get("elevator")),
        building_type=_short_text("building_type", row.get("building_type"), 20),
        near_metro=_bool("near_metro", row.get("near_metro")),
        property_type=property_type,
        price_total=price_total,
        unit_price=unit_price,
        listed_at=_datetime("listed_at", row.get("listed_at")),
        dealt_at=_datetime("dealt_at", row.get("dealt_at")),
        crawled_at=_datetime("crawled_at", row.get("crawled_at")),
    )


assert tuple(f.name for f in fields(Listing)) == LISTING_FIELDS
