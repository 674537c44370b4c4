"""The market tables as migrated (Alembic branch ``market``) match the SQLAlchemy models on
SQLite and PostgreSQL, and the metro columns (m0101) go down and come back up with their
revision, the rows kept."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select, text

from fapai.db import alembic_config, make_engine, migrate, session_factory, session_scope
from valuation.store import ListingPrice, MarketListing

MARKET_TABLES = {MarketListing.__tablename__, ListingPrice.__tablename__}
METRO_COLUMNS = {"metro_station", "metro_distance_m"}


def _listing_columns(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return {c["name"] for c in inspect(engine).get_columns("market_listings")}
    finally:
        engine.dispose()


def test_migration_matches_the_models(migration_drift):
    assert migration_drift(MARKET_TABLES) == []


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_the_metro_columns_migrate_down_and_up(backend, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'fresh.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("fresh_pg_url")
    )
    migrate(url)
    factory = session_factory(make_engine(url))
    with session_scope(factory) as s:
        s.add(
            MarketListing(
                source="t",
                listing_id="1",
                community="时尚明苑",
                metro_station="车陂南站",
                metro_distance_m=300,
            )
        )
    assert _listing_columns(url) >= METRO_COLUMNS
    command.downgrade(alembic_config(url), "m0100")
    assert not METRO_COLUMNS & _listing_columns(url)
    engine = make_engine(url)
    with engine.connect() as conn:  # the row outlives the columns (SQLite rebuilds the table)
        assert conn.execute(text("SELECT community FROM market_listings")).scalar() == "时尚明苑"
    engine.dispose()
    command.upgrade(alembic_config(url), "heads")
    with session_scope(factory) as s:
        row = s.scalars(select(MarketListing)).one()
        assert (row.community, row.metro_station, row.metro_distance_m) == ("时尚明苑", None, None)
        row.metro_station, row.metro_distance_m = "车陂南站", 300
    with session_scope(factory) as s:
        row = s.scalars(select(MarketListing)).one()
        assert (row.metro_station, row.metro_distance_m) == ("车陂南站", 300)
