"""Market data tables: listings (one row per (source, listing_id)) and their price history.

Crawlers and ``fapai data import`` both write here through :mod:`valuation.data`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fapai.db import Base, UTCDateTime


class MarketListing(Base):
    __tablename__ = "market_listings"
    __table_args__ = (
        UniqueConstraint("source", "listing_id", name="uq_market_listings_source_listing_id"),
        Index("ix_market_listings_city_district", "city", "district"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    listing_id: Mapped[str] = mapped_column(String(120))
    url: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(20))
    district: Mapped[str | None] = mapped_column(String(30))
    community: Mapped[str | None] = mapped_column(String(120))
    bizcircle: Mapped[str | None] = mapped_column(String(60))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    area_m2: Mapped[float | None] = mapped_column(Float)
    rooms: Mapped[int | None] = mapped_column(Integer)
    halls: Mapped[int | None] = mapped_column(Integer)
    bathrooms: Mapped[int | None] = mapped_column(Integer)
    floor: Mapped[int | None] = mapped_column(Integer)
    floor_level: Mapped[str | None] = mapped_column(String(4))
    total_floors: Mapped[int | None] = mapped_column(Integer)
    orientation: Mapped[str | None] = mapped_column(String(40))
    decoration: Mapped[str | None] = mapped_column(String(20))
    build_year: Mapped[int | None] = mapped_column(Integer)
    elevator: Mapped[bool | None] = mapped_column(Boolean)
    building_type: Mapped[str | None] = mapped_column(String(20))
    near_metro: Mapped[bool | None] = mapped_column(Boolean)
    metro_station: Mapped[str | None] = mapped_column(String(20))
    metro_distance_m: Mapped[int | None] = mapped_column(Integer)  # metres
    property_type: Mapped[str | None] = mapped_column(String(20))
    price_total: Mapped[int | None] = mapped_column(BigInteger)  # yuan
    unit_price: Mapped[int | None] = mapped_column(Integer)  # yuan/m²
    listed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dealt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    crawled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bookkeeping for incremental crawls (list-page signature) and history.
    signature: Mapped[str | None] = mapped_column(String(64))
    first_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ListingPrice(Base):
    """One observed price of a listing; a new row whenever the price changes."""

    __tablename__ = "listing_prices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_pk: Mapped[int] = mapped_column(
        ForeignKey("market_listings.id", ondelete="CASCADE"), index=True
    )
    price_total: Mapped[int | None] = mapped_column(BigInteger)
    unit_price: Mapped[int | None] = mapped_column(Integer)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
