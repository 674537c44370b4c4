"""Judicial auction results crawled from the platforms: schema, table and the one writer.

The auction-outcome model reads the table ``auction_results``; one row per (source, item_id):

=====================  ============================================================================
field                  meaning
=====================  ============================================================================
source                 platform key: ``sf_taobao`` (sf.taobao.com / sf-item.taobao.com)
item_id                the platform's lot id (``sf_item/<item_id>.htm``)
url                    the lot page on the real host (never a mirror's address)
title                  the lot title as announced (``【一拍】广州市天河区…``)
city, district         canonical gazetteer names (``广州市``, ``天河区``) or NULL
community              residential community (所属小区) or NULL
property_type          one of ``valuation.schema.PROPERTY_TYPES`` (``residential``…)
area_m2                building area in m² (建筑面积) or NULL
appraisal_price_fen    appraisal / reference price (评估价, 参考价), integer fen, or NULL
start_price_fen        start price (起拍价), integer fen
final_price_fen        final price (成交价), integer fen; NULL unless ``status`` is ``sold``
deposit_fen            deposit (保证金), integer fen, or NULL
status                 ``sold`` (成交), ``failed`` (流拍: no valid bid), ``withdrawn`` (中止/撤回)
round                  1 first auction (一拍), 2 second auction (二拍, start cut ≤ 20%:
                       拍卖规定 第二十六条), 3 sale period (变卖) after a second failed auction
bid_count              number of bids (出价次数) or NULL
registrations          bidders who registered and paid the deposit (报名人数) or NULL
start_at, end_at       bidding start and (possibly extended) end, aware UTC
crawled_at             when the crawler last saw the lot, aware UTC
signature              list-page signature (status, price, end) for incremental re-crawls
first_seen_at          first crawl that saw the lot; ``updated_at``: last change of any field
=====================  ============================================================================

Money is integer fen in storage (:mod:`fapai.money`); a result is validated by
:func:`validate_auction_result`, which raises :class:`AuctionResultError` naming the field and
the rule (its ``reason`` is the crawl's drop key).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, Integer, String, Text, UniqueConstraint, select, tuple_
from sqlalchemy.orm import Mapped, Session, mapped_column

from fapai.db import Base, UTCDateTime
from fapai.money import MoneyError, to_fen
from valuation.schema import PROPERTY_TYPES, ListingError, validate_listing

STATUSES = ("sold", "failed", "withdrawn")
ROUNDS = (1, 2, 3)
AREA_M2_RANGE = (1.0, 1_000_000.0)  # lots include land and factories, not only flats
PRICE_FEN_RANGE = (1, 10**14)  # 1 fen .. 1e12 yuan


class AuctionResultError(ListingError):
    """An auction result that breaks a rule (same ``field``/``rule``/``reason`` as listings)."""


@dataclass(slots=True)
class AuctionResult:
    source: str
    item_id: str
    url: str | None = None
    title: str | None = None
    city: str | None = None
    district: str | None = None
    community: str | None = None
    property_type: str | None = None
    area_m2: float | None = None
    appraisal_price_fen: int | None = None
    start_price_fen: int | None = None
    final_price_fen: int | None = None
    deposit_fen: int | None = None
    status: str | None = None
    round: int | None = None
    bid_count: int | None = None
    registrations: int | None = None
    start_at: datetime | None = None
    end_at: datetime | None = None
    crawled_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


AUCTION_RESULT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AuctionResult))


class AuctionResultRow(Base):
    __tablename__ = "auction_results"
    __table_args__ = (
        UniqueConstraint("source", "item_id", name="uq_auction_results_source_item_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    item_id: Mapped[str] = mapped_column(String(120))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(30))
    community: Mapped[str | None] = mapped_column(String(120))
    property_type: Mapped[str | None] = mapped_column(String(20))
    area_m2: Mapped[float | None] = mapped_column(Float)
    appraisal_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    start_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    final_price_fen: Mapped[int | None] = mapped_column(BigInteger)
    deposit_fen: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str | None] = mapped_column(String(12))
    round: Mapped[int | None] = mapped_column(Integer)
    bid_count: Mapped[int | None] = mapped_column(Integer)
    registrations: Mapped[int | None] = mapped_column(Integer)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    crawled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signature: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _fen(row: Mapping[str, Any], name: str) -> int | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    try:
        fen = value if isinstance(value, int) and not isinstance(value, bool) else to_fen(value)
    except MoneyError as exc:
        raise AuctionResultError(name, f"not_money ({value!r})") from exc
    if not PRICE_FEN_RANGE[0] <= fen <= PRICE_FEN_RANGE[1]:
        raise AuctionResultError(name, f"out_of_range ({fen} fen)")
    return fen


def _count(row: Mapping[str, Any], name: str) -> int | None:
    value = row.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise AuctionResultError(name, f"not_a_count ({value!r})")
    return value


def validate_auction_result(row: Mapping[str, Any]) -> AuctionResult:
    """Check and clean one crawled result; raise :class:`AuctionResultError` on a broken rule.

    Money fields are given in fen (int). Location, area and times go through the market
    listing rules (gazetteer, ranges, aware UTC) so both tables speak the same names.
    """
    item_id = row.get("item_id")
    if not item_id:
        raise AuctionResultError("item_id", "required")
    status = row.get("status")
    if status not in STATUSES:
        raise AuctionResultError("status", f"not_one_of {STATUSES} ({status!r})")
    round_ = row.get("round")
    if round_ is not None and round_ not in ROUNDS:
        raise AuctionResultError("round", f"not_one_of {ROUNDS} ({round_!r})")
    property_type = row.get("property_type")
    if property_type is not None and property_type not in PROPERTY_TYPES:
        raise AuctionResultError("property_type", f"not_one_of {PROPERTY_TYPES}")
    start = _fen(row, "start_price_fen")
    if start is None:
        raise AuctionResultError("start_price_fen", "required")
    final = _fen(row, "final_price_fen")
    if status == "sold" and final is None:
        raise AuctionResultError("final_price_fen", "required (status sold)")
    if status != "sold":
        final = None  # a failed or withdrawn lot has no final price, whatever the page shows
    elif final < start:
        # 拍卖规定 第二十条: bids below the start price are invalid; a sale below it is a misread.
        raise AuctionResultError("final_price_fen", f"below_start ({final} < {start})")
    area = row.get("area_m2")
    if area is not None and not AREA_M2_RANGE[0] <= float(area) <= AREA_M2_RANGE[1]:
        raise AuctionResultError("area_m2", f"out_of_range ({area})")
    try:
        # Reuse the listing rules for location and times (one gazetteer, one UTC rule).
        place = validate_listing(
            {
                "source": row.get("source"),
                "listing_id": item_id,
                "city": row.get("city"),
                "district": row.get("district"),
                "unit_price": 1000,  # the listing rules want a price; lots have their own
                "listed_at": row.get("start_at"),
                "dealt_at": row.get("end_at"),
                "crawled_at": row.get("crawled_at"),
            }
        )
    except ListingError as exc:
        field = {"listing_id": "item_id", "listed_at": "start_at", "dealt_at": "end_at"}
        raise AuctionResultError(field.get(exc.field, exc.field), exc.rule) from exc
    return AuctionResult(
        source=place.source,
        item_id=place.listing_id,
        url=row.get("url") or None,
        title=row.get("title") or None,
        city=place.city,
        district=place.district,
        community=row.get("community") or None,
        property_type=property_type,
        area_m2=None if area is None else float(area),
        appraisal_price_fen=_fen(row, "appraisal_price_fen"),
        start_price_fen=start,
        final_price_fen=final,
        deposit_fen=_fen(row, "deposit_fen"),
        status=status,
        round=round_,
        bid_count=_count(row, "bid_count"),
        registrations=_count(row, "registrations"),
        start_at=place.listed_at,
        end_at=place.dealt_at,
        crawled_at=place.crawled_at,
    )


_UPDATABLE = tuple(f for f in AUCTION_RESULT_FIELDS if f not in ("source", "item_id"))


def upsert_auction_results(
    session: Session,
    results: Iterable[AuctionResult],
    now: datetime,
    signatures: Mapping[tuple[str, str], str] | None = None,
) -> tuple[int, int]:
    """Insert new results and update known ones; returns (inserted, updated).

    The caller owns the transaction. A later crawl's values win, except that an empty value
    never erases a known one (a list page lacks what the lot page had).
    """
    batch = list({(r.source, r.item_id): r for r in results}.values())
    if not batch:
        return 0, 0
    existing: dict[tuple[str, str], AuctionResultRow] = {}
    keys = [(r.source, r.item_id) for r in batch]
    for start in range(0, len(keys), 500):
        rows = session.scalars(
            select(AuctionResultRow).where(
                tuple_(AuctionResultRow.source, AuctionResultRow.item_id).in_(
                    keys[start : start + 500]
                )
            )
        )
        existing.update({(r.source, r.item_id): r for r in rows})
    inserted = updated = 0
    for result in batch:
        key = (result.source, result.item_id)
        row = existing.get(key)
        if row is None:
            row = AuctionResultRow(source=result.source, item_id=result.item_id, first_seen_at=now)
            session.add(row)
            inserted += 1
        else:
            updated += 1
        for name in _UPDATABLE:
            value = getattr(result, name)
            if value is not None:
                setattr(row, name, value)
        row.updated_at = now
        if signatures and key in signatures:
            row.signature = signatures[key]
    session.flush()
    return inserted, updated


def known_auction_signatures(session: Session, source: str) -> dict[str, str]:
    """item_id → last list-page signature for ``source`` (for incremental crawls)."""
    rows = session.execute(
        select(AuctionResultRow.item_id, AuctionResultRow.signature).where(
            AuctionResultRow.source == source, AuctionResultRow.signature.is_not(None)
        )
    )
    return {item_id: sig for item_id, sig in rows}
