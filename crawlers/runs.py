"""One row per finished crawl: what it fetched, stored and dropped, and its per-field fill rates.

Fill rates are kept per page kind, ``list:area_m2`` and ``detail:listed_at``: a field read
from a list page is measured over every list row, a field read from a detail page over the
detail pages fetched (an incremental re-crawl fetches few, which must not look like a broken
selector). Change detection compares them with the previous run of the same spider and city
(:func:`fallen_fields`): a selector that stopped matching shows as a field whose fill rate
fell, which the crawl reports as a warning and ``fapai crawl`` turns into a non-zero exit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from scrapy.statscollectors import StatsCollector
from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from fapai.db import Base, UTCDateTime

FILL_PREFIX = "fill/"
PAGE_KINDS = ("list", "detail")
# Bookkeeping the crawl itself sets: not a sign of a selector that matches.
NOT_READ_FROM_PAGES = frozenset({"signature", "crawled_at", "source"})
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


def record_fill(stats: StatsCollector, page_kind: str, item: Mapping[str, object]) -> None:
    """Count, for one item parsed from a ``page_kind`` page, which fields carry a value."""
    stats.inc_value(f"{FILL_PREFIX}{page_kind}/items")
    declared = getattr(item, "fields", item)  # a scrapy.Item declares all its fields
    for name in declared.keys() - NOT_READ_FROM_PAGES:
        filled = item.get(name) not in (None, "")
        stats.inc_value(f"{FILL_PREFIX}{page_kind}/{name}", 1 if filled else 0)


def fill_rates(stats: Mapping[str, object]) -> dict[str, float]:
    """``kind:field`` → share of that kind's items carrying the field (0..1, 3 decimals).

    A page kind seen fewer than :data:`MIN_ITEMS_FOR_RATES` times has no rates.
    """
    rates: dict[str, float] = {}
    for kind in PAGE_KINDS:
        items = int(stats.get(f"{FILL_PREFIX}{kind}/items", 0))
        if items < MIN_ITEMS_FOR_RATES:
            continue
        prefix = f"{FILL_PREFIX}{kind}/"
        for key, count in sorted(stats.items()):
            if key.startswith(prefix) and key != f"{prefix}items":
                rates[f"{kind}:{key.removeprefix(prefix)}"] = round(int(count) / items, 3)
    return rates


def fallen_fields(
    previous: Mapping[str, float],
    current: Mapping[str, float],
    tolerance: float = FILL_RATE_FALL,
) -> dict[str, tuple[float, float]]:
    """Fields whose fill rate fell by more than ``tolerance``: ``kind:field`` → (before, now).

    List pages are read on every crawl, so a list field missing now counts as 0; detail
    fields are compared only when this crawl fetched enough detail pages to measure them.
    """
    measured = {key.split(":")[0] for key in current} | {"list"}
    fallen = {}
    for key, before in previous.items():
        if key.split(":")[0] not in measured:
            continue
        now = current.get(key, 0.0)
        if before - now > tolerance:
            fallen[key] = (before, now)
    return fallen


def previous_run(session: Session, spider: str, scope: str) -> CrawlRun | None:
    """The last recorded crawl of ``spider`` over ``scope``."""
    return session.scalars(
        select(CrawlRun)
        .where(
            CrawlRun.spider == spider,
            CrawlRun.scope == scope,
        )
        .order_by(CrawlRun.finished_at.desc(), CrawlRun.id.desc())
        .limit(1)
    ).first()
