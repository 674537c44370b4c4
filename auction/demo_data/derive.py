"""Derive ``lots.csv`` (the demo's real lots) from the shared Guangdong judicial-auction file.

    python -m auction.demo_data.derive [--source PATH] [--seed N]

Rerunnable and seeded: the same source and seed give the same file. Every row is a real sold
lot of sf.taobao.com (see DATA_CARD.md); only ``property_type`` is derived (from the stated use,
else from words in the community or address), and amounts are copied, never invented.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path

from auction.demo_data import LOTS_CSV
from fapai.regions import normalize_district
from fapai.settings import SHARED_DATA_DIR

DEFAULT_SOURCE = SHARED_DATA_DIR / "guangdong_judicial_auctions_2014_2026.csv"
DEFAULT_SEED = 20261125

# How many rows of each kind the demo file keeps (a few hundred in all).
GUANGZHOU_RESIDENTIAL = 160
OTHER_CITY_RESIDENTIAL = 20  # per city, for every other city with enough clean rows
COMMERCIAL = 40
PARKING = 30

# 拍卖规定 第十条 (start ≥ 70% of the reference) and 第二十六条 (a re-auction cuts ≤ 20%): a
# sold lot's start must be reachable in round 1 or round 2, so start/reference ≥ 0.70 × 0.80.
_FLOOR = Decimal("0.70")
_CUT = Decimal("0.80")
MAX_START_RATIO = Decimal("1.00")
MAX_FINAL_RATIO = Decimal("3.00")  # beyond this the archive's figures are typing errors
MIN_HOME_AREA = Decimal("20")  # a "home" smaller than this is a parking space or a typo

_USE_TYPES = {
    "住宅": "residential",
    "居住用房": "residential",
    "别墅": "residential",
    "商住楼": "residential",
    "办公": "commercial",
    "商业": "commercial",
    "商业服务": "commercial",
    "非居住用房": "commercial",
    "车库": "parking",
    "车位": "parking",
}
_PARKING_WORDS = re.compile(r"车位|车库")
_COMMERCIAL_WORDS = re.compile(r"商铺|铺位|写字楼|办公|商场|商城|商贸城|商业")
_STREET_NUMBER = re.compile(r"\d+号$")


@dataclass(frozen=True)
class DemoLot:
    """One real sold lot, as the demo uses it (yuan amounts as exact decimal strings)."""

    source_id: str
    sold_on: str
    city: str
    district: str
    community: str
    address: str
    property_type: str
    area_m2: str
    reference_yuan: str
    start_yuan: str
    final_yuan: str
    registered_bidders: str
    start_ratio: str
    final_ratio: str


COLUMNS = [f.name for f in fields(DemoLot)]


def property_type_of(usage: str, community: str, address: str) -> str:
    """The lot's property type: the stated use (房屋用途) when given, else words in its names.

    Parking and commercial premises are named as such (车位, 商铺…); all else is residential.
    """
    if usage.strip() in _USE_TYPES:
        return _USE_TYPES[usage.strip()]
    text = f"{community} {address}"
    if _PARKING_WORDS.search(text):
        return "parking"
    if _COMMERCIAL_WORDS.search(text):
        return "commercial"
    return "residential"


def _yuan(value: str) -> Decimal | None:
    try:
        d = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return d.quantize(Decimal("0.01")) if d.is_finite() and d > 0 else None


def _fen(yuan: Decimal) -> int:
    return int(yuan * 100)


def reachable_start(reference: Decimal, start: Decimal) -> bool:
    """Could a lawful auction have started at ``start``: in round 1 (≥ 70% of the reference,
    拍卖规定 第十条), or in round 2 after a round 1 start of start ÷ 0.8 (第二十六条)?"""
    floor_fen = (Decimal(_fen(reference)) * _FLOOR).to_integral_value(ROUND_CEILING)
    round1_fen = (Decimal(_fen(start)) / _CUT).to_integral_value(ROUND_FLOOR)
    return round1_fen >= floor_fen and start <= reference * MAX_START_RATIO


def clean(raw: dict[str, str]) -> DemoLot | str:
    """The demo row for one archive row, or the reason it is left out."""
    if raw.get("is_ai_fixed", "").strip() == "True":
        return "filled by a language model (is_ai_fixed)"
    if raw.get("是否成交", "").strip() != "True":
        return "not sold"
    place = normalize_district(raw.get("城市"), raw.get("区"))
    if place is None:
        return "city/district not in the gazetteer"
    address = re.sub(r"\s+", "", raw.get("地点(街道门牌)", ""))
    if not _STREET_NUMBER.search(address):
        return "address without a street number"
    prices = ("市场评估价", "起拍价格", "成交价格")
    reference, start, final = (_yuan(raw.get(k, "")) for k in prices)
    if reference is None or start is None or final is None:
        return "missing appraisal, start or final price"
    area = _yuan(raw.get("建筑面积", ""))
    if area is None:
        return "missing area"
    if final < start or final > start * MAX_FINAL_RATIO:
        return "final price below start or above 3 × start"
    if not reachable_start(reference, start):
        return "start price not reachable by a lawful round 1 or 2"
    kind = property_type_of(raw.get("房屋用途", ""), raw.get("所属小区", ""), address)
    if kind == "residential" and area < MIN_HOME_AREA:
        return "home under 20 m² (use unclear)"
    bidders = raw.get("竞拍人数", "").strip()
    return DemoLot(
        source_id=raw["id"].strip(),
        sold_on=re.split(r"[ T]", raw.get("交易时间", "").strip())[0].replace("/", "-"),
        city=place[0],
        district=place[1],
        community=(raw.get("所属小区") or "").strip(),
        address=address,
        property_type=kind,
        area_m2=str(area),
        reference_yuan=str(reference),
        start_yuan=str(start),
        final_yuan=str(final),
        registered_bidders=str(int(float(bidders))) if bidders else "",
        start_ratio=str((start / reference).quantize(Decimal("0.0001"))),
        final_ratio=str((final / start).quantize(Decimal("0.0001"))),
    )


def select(lots: Iterable[DemoLot], rng: random.Random) -> list[DemoLot]:
    """A seeded sample: Guangzhou homes, homes in every other city with enough rows,
    commercial premises and parking spaces, each up to its quota, in source order."""
    groups: dict[tuple[str, str], list[DemoLot]] = {}
    for lot in lots:
        key = (lot.property_type, lot.city if lot.property_type == "residential" else "")
        groups.setdefault(key, []).append(lot)
    chosen: list[DemoLot] = []
    for (kind, city), members in sorted(groups.items()):
        if kind == "residential":
            quota = GUANGZHOU_RESIDENTIAL if city == "广州市" else OTHER_CITY_RESIDENTIAL
            if city != "广州市" and len(members) < OTHER_CITY_RESIDENTIAL // 2:
                continue
        else:
            quota = COMMERCIAL if kind == "commercial" else PARKING
        chosen.extend(rng.sample(members, min(quota, len(members))))
    return sorted(chosen, key=lambda lot: (lot.sold_on, lot.source_id))


def read_source(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def derive(source: Path, out: Path, seed: int) -> tuple[list[DemoLot], Counter[str]]:
    """Read the archive, clean and sample it, write ``out``; return the rows and the reasons
    rows were left out (with ``kept`` counting the clean ones)."""
    reasons: Counter[str] = Counter()
    clean_rows: list[DemoLot] = []
    for raw in read_source(source):
        row = clean(raw)
        if isinstance(row, str):
            reasons[row] += 1
        else:
            reasons["kept"] += 1
            clean_rows.append(row)
    chosen = select(clean_rows, random.Random(seed))
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(asdict(lot) for lot in chosen)
    return chosen, reasons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=LOTS_CSV)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args()
    chosen, reasons = derive(args.source, args.out, args.seed)
    print(f"source rows: {sum(reasons.values())}")
    for reason, n in reasons.most_common():
        print(f"  {reason}: {n}")
    print(f"written: {len(chosen)} rows to {args.out}")
    for key, n in sorted(Counter((lot.city, lot.property_type) for lot in chosen).items()):
        print(f"  {key[0]} {key[1]}: {n}")


if __name__ == "__main__":
    main()
