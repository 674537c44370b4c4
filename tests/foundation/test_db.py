import subprocess
import sys
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, select

from fapai.db import make_engine, migrate, schema_lag, session_factory, session_scope
from valuation.store import MarketListing


def test_migrate_creates_schema_on_a_fresh_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'new.db'}"
    migrate(url)
    migrate(url)  # idempotent
    names = inspect(make_engine(url)).get_table_names()
    assert {"market_listings", "listing_prices", "alembic_version"} <= set(names)


def test_utc_datetimes_round_trip(db_url):
    engine = make_engine(db_url)
    when = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    with session_scope(session_factory(engine)) as s:
        s.add(MarketListing(source="t", listing_id="1", crawled_at=when, price_total=1_000_000))
    with session_scope(session_factory(engine)) as s:
        row = s.scalars(select(MarketListing)).one()
        assert row.crawled_at == when and row.crawled_at.tzinfo is not None
    engine.dispose()


def test_naive_datetimes_are_refused(sqlite_url):
    engine = make_engine(sqlite_url)
    with pytest.raises(Exception, match="naive"), session_scope(session_factory(engine)) as s:
        s.add(MarketListing(source="t", listing_id="2", crawled_at=datetime(2026, 1, 1)))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_processes_migrating_a_fresh_database_at_once_take_turns(backend, tmp_path, request):
    """What `uvicorn --workers 3` does at start-up: three processes migrate the same fresh
    database at the same moment; they take turns under the migration lock and all succeed."""
    url = (
        f"sqlite:///{tmp_path / 'fresh.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("fresh_pg_url")
    )
    code = "import sys; from fapai.db import migrate; migrate(sys.argv[1])"
    procs = [
        subprocess.Popen([sys.executable, "-c", code, url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], errors
    engine = make_engine(url)
    assert schema_lag(engine) == []
    engine.dispose()
