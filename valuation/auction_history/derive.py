"""Derive the shipped auction history from the real judicial auction file.

Input: ``guangdong_judicial_auctions_2014_2026.csv`` (sold Guangdong lots on sf.taobao.com, see
/work/shared/data/README.md). Output: ``history.csv.gz`` beside this file, one row per sold lot
with an appraisal, money in integer fen, no address or community. Every dropped row is counted
by reason and the counts are printed (they are copied into DATA_CARD.md).

Run: ``python -m valuation.auction_history.derive [SOURCE_CSV]``. Deterministic: same input,
same output bytes (rows sorted by date then lot id, gzip name and mtime fixed).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from fapai.regions import normalize_city, normalize_district
from fapai.settings import SHARED_DATA_DIR

HERE = Path(__file__).resolve().parent
HISTORY_FILE = HERE / "history.csv.gz"
DEFAULT_SOURCE = SHARED_DATA_DIR / "guangdong_judicial_auctions_2014_2026.csv"

# Start / appraisal ratios outside this band are data errors (a start of 0.6% or 7000× the
# appraisal), not auctions: counted and dropped.
RATIO_BAND = (Decimal("0.30"), Decimal("1.50"))
# The round-1 floor by era: 80% of the appraisal under the 2004 rule (最高人民法院关于人民法院
# 民事执行中拍卖、变卖财产的规定 第八条), 70% since 2017-01-01 (拍卖规定 第十条). A re-auction
# cuts at most 20% (拍卖规定 第二十六条), so a ratio below the round-1 floor but at or above
# 80% of it can only be a second round; further below, a later round or a sale (变卖).
NEW_RULE_FROM = date(2017, 1, 1)
ROUND_SLACK = Decimal("0.005")


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One sold lot. Money in integer fen; ``start_ratio`` = start / reference."""

    lot_id: str
    sold_on: date
    city: str
    district: str  # empty when the file's district is not in the gazetteer
    area_m2: str  # empty when unknown (21% of the file)
    reference_fen: int  # 市场评估价, the appraisal / reference price
    start_fen: int
    final_fen: int
    bidders: str  # 竞拍人数 (registered bidders), empty when unknown
    round_hint: str  # "1", "2" or "later", inferred from the start ratio (see round_hint())
    low_trust: int  # 1 when the archive filled the row with a language model (is_ai_fixed)


COLUMNS = tuple(f.name for f in fields(HistoryRow))


def _fen(raw: str) -> int | None:
    try:
        d = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return None
    if not d.is_finite() or d <= 0:
        return None
    return int((d * 100).to_integral_value())


def _date(raw: str) -> date | None:
    # The archive mixes 2014/09/23, 2014-10-11, ISO with a zone and 2016年08月30日.
    m = re.match(r"\s*(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})", raw or "")
    if m is None:
        return None
    try:
        return date(*(int(g) for g in m.groups()))
    except ValueError:
        return None


def round_hint(ratio: Decimal, sold_on: date) -> str:
    """Which round a start ratio can belong to, given the era's round-1 floor.

    At or above the floor it is "1" (a first round, or a later round of a lot that started
    higher: the file cannot tell); below the floor but within one 20% cut it is "2".
    """
    floor = Decimal("0.70") if sold_on >= NEW_RULE_FROM else Decimal("0.80")
    if ratio >= floor - ROUND_SLACK:
        return "1"
    if ratio >= floor * Decimal("0.8") - ROUND_SLACK:
        return "2"
    return "later"


def derive(records: Iterable[dict[str, str]]) -> tuple[list[HistoryRow], Counter[str]]:
    """Clean the raw auction records; return the kept rows and the drop counts by reason."""
    kept: list[HistoryRow] = []
    dropped: Counter[str] = Counter()
    for rec in records:
        if rec.get("是否成交", "").strip() != "True":
            dropped["not_sold"] += 1
            continue
        reference, start, final = (
            _fen(rec.get(k, "")) for k in ("市场评估价", "起拍价格", "成交价格")
        )
        if reference is None:
            dropped["no_appraisal"] += 1
            continue
        if start is None or final is None:
            dropped["no_start_or_final"] += 1
            continue
        if final < start:  # a bid below the start is invalid (拍卖规定 第二十条): a data error
            dropped["final_below_start"] += 1
            continue
        ratio = Decimal(start) / Decimal(reference)
        if not RATIO_BAND[0] <= ratio <= RATIO_BAND[1]:
            dropped["start_ratio_out_of_band"] += 1
            continue
        sold_on = _date(rec.get("交易时间", ""))
        if sold_on is None:
            dropped["no_date"] += 1
            continue
        city = normalize_city(rec.get("城市"))
        if city is None:
            dropped["unknown_city"] += 1
            continue
        pair = normalize_district(city, rec.get("区"))
        area = _area(rec.get("建筑面积", ""))
        bidders = rec.get("竞拍人数", "").strip()
        kept.append(
            HistoryRow(
                lot_id=rec["id"].strip(),
                sold_on=sold_on,
                city=city,
                district=pair[1] if pair else "",
                area_m2=area,
                reference_fen=reference,
                start_fen=start,
                final_fen=final,
                bidders=str(int(float(bidders))) if bidders else "",
                round_hint=round_hint(ratio, sold_on),
                low_trust=1 if rec.get("is_ai_fixed", "").strip() == "True" else 0,
            )
        )
    kept.sort(key=lambda r: (r.sold_on, r.lot_id))
    return kept, dropped


def _area(raw: str) -> str:
    try:
        a = Decimal(raw.strip())
    except (InvalidOperation, AttributeError):
        return ""
    # Same absurdity bounds as market listings (valuation.schema.AREA_M2_RANGE): unknown, not fixed.
    return str(a) if Decimal(5) <= a <= Decimal(5000) else ""


def write_history(rows: list[HistoryRow], path: Path = HISTORY_FILE) -> str:
    """Write ``rows`` as gzip CSV (fixed mtime, so reruns give the same bytes); return sha256."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for row in rows:
        w.writerow(astuple(row))
    raw = buf.getvalue().encode("utf-8")
    with path.open("wb") as fh, gzip.GzipFile(filename="", fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(raw)
    return hashlib.sha256(raw).hexdigest()


def _read(source: Path) -> Iterator[dict[str, str]]:
    with source.open(encoding="utf-8", newline="") as fh:
        yield from csv.DictReader(fh)


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else DEFAULT_SOURCE
    rows, dropped = derive(_read(source))
    digest = write_history(rows)
    hints = Counter(r.round_hint for r in rows)
    print(f"source rows: {sum(dropped.values()) + len(rows)}; kept {len(rows)}; sha256 {digest}")
    for reason, n in sorted(dropped.items()):
        print(f"  dropped {reason}: {n}")
    print(f"  round hints: {dict(sorted(hints.items()))}")
    print(f"  low trust (is_ai_fixed): {sum(r.low_trust for r in rows)}")
    print(f"  without district: {sum(1 for r in rows if not r.district)}")
    print(f"  without area: {sum(1 for r in rows if not r.area_m2)}")
    print(f"  dates: {rows[0].sold_on} – {rows[-1].sold_on}")


if __name__ == "__main__":
    main(sys.argv[1:])
