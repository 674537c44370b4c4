"""Rebuild the embedded default market data from the real public files in ``../shared/data``.

Run: ``python -m valuation.market_data.derive [SOURCE_DIR]``. Each source's raw strings are
mapped onto the listing schema (:mod:`valuation.schema`) and every row goes through
:func:`valuation.schema.validate_listing`; rejected rows are counted by reason, never fixed or
guessed. The result is ``listings.parquet`` (zstd) beside this file, plus ``derive_stats.json``
with the per-source counts that ``DATA_CARD.md`` quotes.

Nothing is generated: every row is a real listing or deal. ``bizcircle`` (business circle),
``building_type``, ``near_metro``, ``metro_station`` and ``metro_distance_m`` are listing fields
like the others: the sources carry them (the station and its distance read from Beike's 交通出行
and fang.com's labels by :func:`valuation.market_data.metro.metro_from_text`) and the price model
reads all but the distance (measured: no gain; ``valuation.features``).
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from fapai.settings import SHARED_DATA_DIR
from valuation.market_data.communities import COMMUNITIES_CSV, KnownCommunities, fill_from_title
from valuation.market_data.metro import metro_from_text
from valuation.schema import (
    BUILDING_TYPES,
    LISTING_FIELDS,
    ListingError,
    clean_text,
    validate_listing,
)

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE_DIR = SHARED_DATA_DIR
OUTPUT = HERE / "listings.parquet"
COMMUNITY_PRICES = HERE / "community_prices_2017.csv"
COMMUNITIES_FILE = "guangzhou_lianjia_communities_2017.csv"
# 萝岗 was merged into 黄埔 in 2014; the 2017 pages still named it.
_GZ_DISTRICT_RENAMES = {"萝岗": "黄埔"}
STATS = HERE / "derive_stats.json"
COMMUNITIES = HERE / COMMUNITIES_CSV
# Sources without a community column whose titles often start with one: an empty community is
# read from the title where it starts with a known name of the same district
# (:func:`valuation.market_data.communities.fill_from_title`).
_COMMUNITY_FROM_TITLE = frozenset({"beike_gz_2025"})

_SZ_DISTRICTS = {"dapengxinqu": "大鹏新区"}
_SZ_FLOOR = {"low": "低", "middle": "中", "high": "高"}


def _stable_id(*parts: Any) -> str:
    """A listing id for sources that have none: a hash of the row's raw strings."""
    return hashlib.sha1("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def _layout(s: Any) -> tuple[str | None, str | None, str | None]:
    """``3室2厅1卫`` → ("3", "2", "1"); parts absent stay None."""
    text = str(s) if isinstance(s, str) else ""

    def part(unit: str) -> str | None:
        m = re.search(rf"(\d+)\s*{unit}", text)
        return m.group(1) if m else None

    return part("室"), part("厅"), part("卫")


def _floor_band(s: Any) -> tuple[str | None, str | None]:
    """``中楼层(共9层)`` → ("中", "9")."""
    text = str(s) if isinstance(s, str) else ""
    level = text[0] if text[:1] in ("低", "中", "高") else None
    m = re.search(r"共\s*(\d+)\s*层", text)
    return level, (m.group(1) if m else None)


def _strip(s: Any) -> Any:
    return s.strip() if isinstance(s, str) else s


def _building_type(s: Any) -> str | None:
    """塔楼 (tower) / 板楼 (slab) / 板塔结合 as the page said; anything else is unknown."""
    s = _strip(s)
    return s if s in BUILDING_TYPES else None


def lianjia_listings_2021_22(path: Path) -> Iterator[dict[str, Any]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for r in df.itertuples(index=False):
        rooms, halls, _ = _layout(r.layout)
        snap = f"{r.snapshot}-01"
        yield {
            "source": "lianjia_gz_2021_22",
            "listing_id": _stable_id(*r),
            "title": r.title,
            "city": "广州市",
            "district": r.district,
            "community": _strip(r.community),
            "bizcircle": _strip(r.bizcircle),
            "building_type": _building_type(r.building_type),
            # The list page's 近地铁 tag; its absence is "not tagged", so unknown, not "no".
            "near_metro": True if "近地铁" in str(r.tags) else None,
            "area_m2": r.area_m2,
            "rooms": rooms,
            "halls": halls,
            "orientation": _strip(r.orientation),
            "decoration": _strip(r.decoration),
            "total_floors": r.total_floors,
            "build_year": r.build_year,
            "property_type": "residential",
            "price_total": str(r.price_total_yuan).split(".")[0],
            "unit_price": re.sub(r"[^\d]", "", str(r.unit_price)),
            "crawled_at": snap,
        }


def beike_listings_2025(path: Path) -> Iterator[dict[str, Any]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for r in df.to_dict("records"):
        rooms, halls, baths = _layout(r["房屋户型"])
        level, total = _floor_band(r["所在楼层"])
        district = r["区域"].strip()
        city = "佛山市" if district == "南海" else "广州市"
        wan = r["总价"].strip()
        station, metres = metro_from_text(r["交通出行"])
        yield {
            "source": "beike_gz_2025",
            "listing_id": _stable_id(*r.values()),
            "title": r["标题"],
            "city": city,
            "district": district,
            "area_m2": r["建筑面积"].replace("㎡", ""),
            "building_type": _building_type(r["建筑类型"]),
            "near_metro": True if "地铁" in r["交通出行"] else None,
            "metro_station": station,
            "metro_distance_m": metres,
            "rooms": rooms,
            "halls": halls,
            "bathrooms": baths,
            "floor_level": level,
            "total_floors": total,
            "orientation": r["房屋朝向"],
            "decoration": r["装修情况"],
            # "有" means an elevator; empty means the page said nothing (unknown, not "no").
            "elevator": True if r["配备电梯"].strip() == "有" else None,
            "property_type": "residential",
            "price_total": _wan_to_yuan(wan),
            "unit_price": r["单价"],
            "crawled_at": "2025-01-01",
        }


def fang_shenzhen_2025(path: Path) -> Iterator[dict[str, Any]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for r in df.to_dict("records"):
        lines = [x.strip() for x in r["address"].split("\n") if x.strip()]
        community = lines[0] if lines else None
        bizcircle = lines[1].split(" ")[0] if len(lines) > 1 else None
        station, metres = metro_from_text(r["label"])  # 距5号线(环中线)深圳北站约599米
        yield {
            "source": "fang_sz_2025",
            "listing_id": _stable_id(*r.values()),
            "title": r["title"],
            "city": "深圳市",
            "district": _SZ_DISTRICTS.get(r["district"], r["district"]),
            "community": community,
            "bizcircle": bizcircle,
            "metro_station": station,
            "metro_distance_m": metres,
            "area_m2": r["AREA"],
            "rooms": r["roomnum"],
            "halls": r["hall"],
            "floor_level": _SZ_FLOOR.get(r["C_floor"].strip()),
            "property_type": "residential",
            "price_total": _wan_to_yuan(r["total_price(万)"]),
            "unit_price": r["per_price(元/㎡)"],
            "crawled_at": "2025-01-01",
        }


def lianjia_deals_2016_17(path: Path) -> Iterator[dict[str, Any]]:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for r in df.to_dict("records"):
        rooms, halls, _ = _layout(r["houseType"])
        lid = r["houseUrl"].rsplit("/", 1)[-1].removesuffix(".html") or r["id"]
        yield {
            "source": "lianjia_gz_deals_2016_17",
            "listing_id": lid,
            "url": r["houseUrl"],
            "city": "广州市",
            "district": r["district"],
            "community": r["xiaoqu"],
            "bizcircle": r["bizcircle"],
            "area_m2": r["square"],
            "rooms": rooms,
            "halls": halls,
            "orientation": r["orientation"],
            "decoration": r["decoration"],
            "elevator": _placeholder_to_none(r["elevator"]),
            "floor_level": _placeholder_to_none(r["floorLevel"]),
            "total_floors": r["floorTotal"],
            "build_year": r["build"],
            "property_type": "residential",
            # The deal price (万) is the transaction; the listed price is not kept.
            "price_total": _wan_to_yuan(r["deal"]),
            "dealt_at": r["tradeDate"],
        }


def _placeholder_to_none(s: str) -> str | None:
    """The deals file writes unknown as ``Nav`` or ``未知``: that is empty, not a value."""
    return None if s.strip() in ("Nav", "未知") else s


def _wan_to_yuan(wan: str) -> str | None:
    """``258`` 万 → ``2580000`` yuan, exactly (Decimal through the string)."""
    from decimal import Decimal, InvalidOperation

    try:
        d = Decimal(str(wan).strip()) * 10_000
    except InvalidOperation:
        return wan or None  # let validation name the bad value
    return str(d.quantize(Decimal(1)))


SOURCES: dict[str, tuple[str, Callable[[Path], Iterator[dict[str, Any]]]]] = {
    "lianjia_gz_2021_22": ("guangzhou_lianjia_listings_2021_2022.csv", lianjia_listings_2021_22),
    "beike_gz_2025": ("guangzhou_beike_listings_raw.csv", beike_listings_2025),
    "fang_sz_2025": ("shenzhen_fang_listings_2025.csv", fang_shenzhen_2025),
    "lianjia_gz_deals_2016_17": ("guangzhou_lianjia_deals_2016_2017.csv", lianjia_deals_2016_17),
}


def derive_source(
    name: str, source_dir: Path, known: KnownCommunities | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """One source normalised and validated: (clean frame, stats with rejects by reason).

    For a source of ``_COMMUNITY_FROM_TITLE``, a row's empty community is read from its title
    against ``known`` (default: :func:`known_communities` of ``source_dir``), counted."""
    filename, reader = SOURCES[name]
    rows: list[dict[str, Any]] = []
    rejects: Counter[str] = Counter()
    seen = filled = circles = 0
    if name in _COMMUNITY_FROM_TITLE and known is None:
        known = known_communities(source_dir)
    for raw in reader(source_dir / filename):
        seen += 1
        try:
            listing = validate_listing(raw)
        except ListingError as exc:
            rejects[exc.reason] += 1
            continue
        row = listing.to_dict()
        if name in _COMMUNITY_FROM_TITLE and known is not None:
            had_circle = row.get("bizcircle") is not None
            if fill_from_title(row, known):
                filled += 1
                circles += int(not had_circle and row.get("bizcircle") is not None)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(LISTING_FIELDS))
    dupes = int(frame.duplicated(["source", "listing_id"]).sum())
    frame = frame.drop_duplicates(["source", "listing_id"], keep="last")
    dates = frame["dealt_at"].fillna(frame["crawled_at"])
    stats = {
        "file": filename,
        "rows_read": seen,
        "rows_kept": len(frame),
        "rejected": dict(rejects.most_common()),
        "duplicate_ids_dropped": dupes,
        "date_range": [str(dates.min()), str(dates.max())],
    }
    if frame["metro_station"].notna().any():
        stats["metro_station"] = int(frame["metro_station"].notna().sum())
        stats["metro_distance_m"] = int(frame["metro_distance_m"].notna().sum())
    if name in _COMMUNITY_FROM_TITLE:
        stats["community_from_title"] = filled
        stats["bizcircle_from_community"] = circles
    return frame, stats


def _communities_2017(source_dir: Path) -> pd.DataFrame:
    """The 2017 community pages' names and business circles (with or without a price)."""
    raw = pd.read_csv(source_dir / COMMUNITIES_FILE, dtype=str, keep_default_na=False)

    def text(column: str) -> pd.Series:  # as validate_listing writes a text field
        return raw[column].map(clean_text)

    return pd.DataFrame(
        {
            "city": "广州市",
            "district": raw["district"].str.strip().replace(_GZ_DISTRICT_RENAMES) + "区",
            "community": text("name"),
            "bizcircle": text("bizcircle"),
        }
    )


def known_communities(
    source_dir: Path, listings: pd.DataFrame | None = None, deals: pd.DataFrame | None = None
) -> KnownCommunities:
    """Guangzhou's community register as Lianjia named it, the latest source first: the
    2021–22 listings (2022-12, then 2021-02), the 2017 community pages, the 2016–17 deals.

    ``listings``/``deals``: those sources already derived (else they are derived here)."""
    if listings is None:
        listings, _ = derive_source("lianjia_gz_2021_22", source_dir)
    if deals is None:
        deals, _ = derive_source("lianjia_gz_deals_2016_17", source_dir)
    by_snapshot = [g for _, g in sorted(listings.groupby("crawled_at"), reverse=True)]
    return KnownCommunities.from_sources([*by_snapshot, _communities_2017(source_dir), deals])


def community_prices_2017(source_dir: Path) -> pd.DataFrame:
    """Guangzhou communities' 2017 average asking yuan/m² (bernardhu/gzlianjia, MIT).

    One row per (district, community); a name listed twice in a district keeps the median.
    Rows without a positive price are dropped.
    """
    raw = pd.read_csv(source_dir / COMMUNITIES_FILE, dtype={"name": str, "district": str})
    raw = raw[pd.to_numeric(raw["avgpx"], errors="coerce") > 0]
    district = raw["district"].str.strip().replace(_GZ_DISTRICT_RENAMES) + "区"
    table = (
        pd.DataFrame(
            {
                "district": district,
                "community": raw["name"].str.strip(),
                "avgpx_2017": raw["avgpx"].astype(float),
            }
        )
        .groupby(["district", "community"], as_index=False)["avgpx_2017"]
        .median()
    )
    table["avgpx_2017"] = table["avgpx_2017"].round().astype(int)
    return table


def derive(source_dir: Path = DEFAULT_SOURCE_DIR, output: Path = OUTPUT) -> dict[str, Any]:
    prices = community_prices_2017(source_dir)
    prices.to_csv(COMMUNITY_PRICES, index=False)
    stats: dict[str, Any] = {
        "community_prices_2017": {"file": COMMUNITIES_FILE, "rows_kept": len(prices)}
    }
    derived: dict[str, pd.DataFrame] = {}
    for name in (n for n in SOURCES if n not in _COMMUNITY_FROM_TITLE):
        derived[name], stats[name] = derive_source(name, source_dir)
    known = known_communities(
        source_dir, derived["lianjia_gz_2021_22"], derived["lianjia_gz_deals_2016_17"]
    )
    known.to_frame().to_csv(COMMUNITIES, index=False)
    stats["communities"] = {"file": COMMUNITIES_CSV, "rows_kept": len(known.to_frame())}
    for name in (n for n in SOURCES if n in _COMMUNITY_FROM_TITLE):
        derived[name], stats[name] = derive_source(name, source_dir, known)
    frames = [derived[name] for name in SOURCES]
    stats = {k: stats[k] for k in ("community_prices_2017", "communities", *SOURCES)}
    data = pd.concat(frames, ignore_index=True)
    data.to_parquet(output, compression="zstd", index=False)
    STATS.write_text(json.dumps(stats, ensure_ascii=False, indent=2) + "\n")
    return stats


if __name__ == "__main__":
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE_DIR
    print(json.dumps(derive(src), ensure_ascii=False, indent=2))
