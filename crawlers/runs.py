"""One row per finished crawl: what it fetched, stored and dropped, and its per-field fill rates.

Change detection compares a crawl's fill rates with the previous run of the same spider and
city (:func:`fallen_fields`): a selector that stopped matching shows as a field whose fill rate
fell, which the crawl reports as a warning and ``fapai crawl`` turns into a non-zero exit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fapai.db import Base, UTCDateTime

# A field "fell" when its fill rate dropped by more than this (absolute, 0..1) ...
FILL_RATE_FALL = 0.2
# ... and only when both crawls saw enough items for a rate to mean something.
MIN_ITEMS_FOR_RATES = 5


class CrawlRun(Base):
    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    spider: Mapped[str] = mapped_column(String(40), index=True)
    scope: Mapped[str] = mapped_column(String(40))  # the city code crawled
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    items: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    dropped: Mapped[dict] = mapped_column(JSON, default=dict)
    fill_rates: Mapped[dict] = mapped_column(JSON, default=dict)
    finish_reason: Mapped[str | None] = mapped_column(String(40))


def fill_rates(filled: Mapping[str, int], items: int) -> dict[str, float]:
    """field → share of items (0..1, 3 decimals) in which the field had a value."""
    if items <= 0:
        return {}
    return {name: round(count / items, 3) for name, count in sorted(filled.items())}


def fallen_fields(
    previous: Mapping[str, float],
    current: Mapping[str, float],
    tolerance: float = FILL_RATE_FALL,
) -> dict[str, tuple[float, float]]:
    """Fields whose fill rate fell by more than ``tolerance``: name → (previous, current)."""
    return {
        name: (before, current.get(name, 0.0))
        for name, before in previous.items()
        if before - current.get(name, 0.0) > tolerance
    }


def previous_run(session: Session, spider: str, scope: str) -> CrawlRun | None:
    """The last recorded crawl of ``spider`` over ``scope`` with enough items to compare."""
    return session.scalars(
        select(CrawlRun)
        .where(
            CrawlRun.spider == spider,
            CrawlRun.scope == scope,
            CrawlRun.items >= MIN_ITEMS_FOR_RATES,
        )
        .order_by(CrawlRun.finished_at.desc(), CrawlRun.id.desc())
        .limit(1)
    ).first()
