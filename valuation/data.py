"""Market data in and out of the project database.

``upsert_listings`` is the one writer: crawlers and ``fapai data import`` both call it. A
listing is keyed by (source, listing_id); a changed price updates the row and appends to its
price history, an unchanged one only refreshes ``crawled_at``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from valuation.schema import LISTING_FIELDS, Listing
from valuation.store import ListingPrice, MarketListing

_UPDATABLE = tuple(f for f in LISTING_FIELDS if f not in ("source", "listing_id"))


@dataclass
class UpsertStats:
    inserted: int = 0
    updated: int = 0
    price_changed: int = 0
    unchanged: int = 0
    sources: set[str] = field(default_factory=set)

    def __add__(self, other: UpsertStats) -> UpsertStats:
        return UpsertStats(
            self.inserted + other.inserted,
            self.updated + other.updated,
            self.price_changed + other.price_changed,
            self.unchanged + other.unchanged,
            self.sources | other.sources,
        )


def upsert_listings(
    session: Session,
    listings: Iterable[Listing],
    now: datetime,
    signatures: dict[tuple[str, str], str] | None = None,
) -> UpsertStats:
    """Insert new listings, update known ones, and record every price change.

    ``signatures`` optionally maps (source, listing_id) to the list-page signature used by
    incremental crawls. The caller owns the transaction (commit or roll back).
    """
    batch = list({(li.source, li.listing_id): li for li in listings}.values())
    stats = UpsertStats()
    if not batch:
        return stats
    keys = [(li.source, li.listing_id) for li in batch]
    existing: dict[tuple[str, str], MarketListing] = {}
    for chunk_start in range(0, len(keys), 500):
        chunk = keys[chunk_start : chunk_start + 500]
        rows = session.scalars(
            select(MarketListing).where(
                tuple_(MarketListing.source, MarketListing.listing_id).in_(chunk)
            )
        )
        existing.update({(r.source, r.listing_id): r for r in rows})
    new_rows: list[MarketListing] = []
    for li in batch:
        key = (li.source, li.listing_id)
        stats.sources.add(li.source)
        sig = (signatures or {}).get(key)
        row = existing.get(key)
        if row is None:
            row = MarketListing(source=li.source, listing_id=li.listing_id, first_seen_at=now)
            for name in _UPDATABLE:
                setattr(row, name, getattr(li, name))
            row.signature, row.updated_at = sig, now
            new_rows.append(row)
            stats.inserted += 1
            continue
        price_changed = (row.price_total, row.unit_price) != (li.price_total, li.unit_price)
        changed = price_changed
        for name in _UPDATABLE:
            value = getattr(li, name)
            if value is not None and getattr(row, name) != value:
                setattr(row, name, value)
                changed = changed or name != "crawled_at"
        if sig is not None:
            row.signature = sig
        if price_changed:
            session.add(
                ListingPrice(
                    listing_pk=row.id,
                    price_total=li.price_total,
                    unit_price=li.unit_price,
                    observed_at=li.crawled_at or now,
                )
            )
            stats.price_changed += 1
        if changed:
            row.updated_at = now
            stats.updated += 1
        else:
            stats.unchanged += 1
    if new_rows:
        session.add_all(new_rows)
        session.flush()
        session.add_all(
            ListingPrice(
                listing_pk=r.id,
                price_total=r.price_total,
                unit_price=r.unit_price,
                observed_at=r.crawled_at or now,
            )
            for r in new_rows
        )
    session.flush()
    return stats


def known_signatures(session: Session, source: str) -> dict[str, str]:
    """listing_id → last list-page signature for ``source`` (for incremental crawls)."""
    rows = session.execute(
        select(MarketListing.listing_id, MarketListing.signature).where(
            MarketListing.source == source, MarketListing.signature.is_not(None)
        )
    )
    return {lid: sig for lid, sig in rows}
