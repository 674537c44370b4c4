"""The crawl's side of the database: known signatures in, validated records out in batches.

Housing listings go through :func:`valuation.data.upsert_listings` (one writer, price history);
auction results through :func:`valuation.auction_results.upsert_auction_results`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Engine

from fapai.db import make_engine, migrate, session_factory, session_scope, writer_engine
from valuation.auction_results import (
    AuctionResult,
    known_auction_signatures,
    upsert_auction_results,
)
from valuation.data import known_signatures, upsert_listings
from valuation.schema import Listing


class Kind(StrEnum):
    LISTING = "listing"
    AUCTION = "auction"


def engine_for(db_url: str) -> Engine:
    """A migrated engine for ``db_url`` (the crawl may be the first user of a fresh database).

    Its transactions take SQLite's write lock at BEGIN: a batch reads then writes, and with
    several crawl workers on one SQLite file a late lock upgrade would fail instead of waiting.
    """
    migrate(db_url)
    return writer_engine(make_engine(db_url))


def load_signatures(engine: Engine, kind: Kind, source: str) -> dict[str, str]:
    """id → last list-page signature stored for ``source``."""
    with session_scope(session_factory(engine)) as session:
        if kind is Kind.LISTING:
            return known_signatures(session, source)
        return known_auction_signatures(session, source)


@dataclass
class WriteCounts:
    inserted: int = 0
    updated: int = 0
    price_changed: int = 0


@dataclass
class BatchWriter:
    """Buffers validated records and writes them ``size`` at a time, in one transaction each."""

    engine: Engine
    size: int = 200
    _pending: list[tuple[Listing | AuctionResult, str | None]] = field(default_factory=list)

    def add(
        self, record: Listing | AuctionResult, signature: str | None, now: datetime
    ) -> WriteCounts | None:
        """Queue one record; returns the counts of a batch when this call wrote one."""
        self._pending.append((record, signature))
        return self.flush(now) if len(self._pending) >= self.size else None

    def flush(self, now: datetime) -> WriteCounts:
        counts = WriteCounts()
        if not self._pending:
            return counts
        listings = [(r, s) for r, s in self._pending if isinstance(r, Listing)]
        results = [(r, s) for r, s in self._pending if isinstance(r, AuctionResult)]
        with session_scope(session_factory(self.engine)) as session:
            if listings:
                stats = upsert_listings(
                    session,
                    [r for r, _ in listings],
                    now,
                    {(r.source, r.listing_id): s for r, s in listings if s},
                )
                counts.inserted += stats.inserted
                counts.updated += stats.updated + stats.unchanged
                counts.price_changed += stats.price_changed
            if results:
                inserted, updated = upsert_auction_results(
                    session,
                    [r for r, _ in results],
                    now,
                    {(r.source, r.item_id): s for r, s in results if s},
                )
                counts.inserted += inserted
                counts.updated += updated
        self._pending.clear()
        return counts
