"""Market data in and out of the project database.

``upsert_listings`` is the one writer: crawlers and ``fapai data import`` both call it. A
listing is keyed by (source, listing_id); a changed price updates the row and appends to its
price history, an unchanged one only refreshes ``crawled_at``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from fapai.db import session_scope
from valuation.schema import LISTING_FIELDS, Listing, ListingError, validate_listing
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


# --- files in and out (``fapai data import|export``) -------------------------------------


@dataclass(frozen=True)
class RejectedRow:
    """One row a file could not give: its 1-based row number (the header not counted), the
    broken rule, and the row as read."""

    row: int
    field: str
    rule: str
    values: dict[str, Any]


@dataclass
class ImportReport:
    """What an import did: rows read, kept, rejected by reason (and each rejected row), and
    the upsert counts."""

    read: int = 0
    kept: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    rejected_rows: list[RejectedRow] = field(default_factory=list)
    stored: UpsertStats = field(default_factory=UpsertStats)


def write_rejects(rows: Iterable[RejectedRow], path: Path) -> int:
    """Write rejected rows to a CSV (row, field, rule, then the row's own columns); the count."""
    records = [{"row": r.row, "field": r.field, "rule": r.rule, **r.values} for r in rows]
    frame = pd.DataFrame(records) if records else pd.DataFrame(columns=["row", "field", "rule"])
    frame.to_csv(path, index=False)
    return len(frame)


def read_listing_file(path: Path) -> pd.DataFrame:
    """A CSV or Parquet file of listings (schema column names) as text-preserving rows."""
    suffix = "".join(path.suffixes[-2:]) if path.suffix == ".gz" else path.suffix
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix in (".csv", ".csv.gz"):
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    raise ValueError(f"{path.name}：不支持的文件类型（请用 .csv、.csv.gz 或 .parquet）")


def validate_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, Counter[str]]:
    """Valid rows of ``frame`` as clean schema columns, and the count of rejected rows by
    reason."""
    rows: list[dict[str, Any]] = []
    rejected: Counter[str] = Counter()
    for raw in _records(frame):
        try:
            rows.append(validate_listing(raw).to_dict())
        except ListingError as exc:
            rejected[exc.reason] += 1
    return pd.DataFrame(rows, columns=list(LISTING_FIELDS)), rejected


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # NaN / NaT are "unknown": hand validation None, as the schema expects.
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def import_listings(
    factory: sessionmaker[Session],
    frame: pd.DataFrame,
    now: datetime,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate and upsert ``frame``'s rows in batches (one transaction per batch)."""
    report = ImportReport()
    records = _records(frame)
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        kept = []
        for number, raw in enumerate(chunk, start=start + 1):
            try:
                kept.append(validate_listing(raw))
            except ListingError as exc:
                report.rejected[exc.reason] += 1
                report.rejected_rows.append(RejectedRow(number, exc.field, exc.rule, raw))
        report.read += len(chunk)
        report.kept += len(kept)
        with session_scope(factory) as session:
            report.stored = report.stored + upsert_listings(session, kept, now)
        if progress:
            progress(len(chunk))
    return report


def listings_frame(session: Session) -> pd.DataFrame:
    """Every stored listing as a frame with the schema's columns (for export and training)."""
    columns = [getattr(MarketListing, name) for name in LISTING_FIELDS]
    rows = session.execute(select(*columns).order_by(MarketListing.id)).all()
    return pd.DataFrame(rows, columns=list(LISTING_FIELDS))


def write_listing_file(frame: pd.DataFrame, path: Path) -> None:
    """Write listings to CSV (UTF-8) or Parquet, by the file's suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif path.suffix == ".csv" or path.suffixes[-2:] == [".csv", ".gz"]:
        frame.to_csv(path, index=False)
    else:
        raise ValueError(f"{path.name}：不支持的文件类型（请用 .csv、.csv.gz 或 .parquet）")
