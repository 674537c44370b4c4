"""Lot search at scale: the answers of ``search_lots`` (text match, ``total``) and the indexes of
revision a0003 that serve them: counts read an index only (SQLite's plan), and on PostgreSQL
the ``q`` text search can use the pg_trgm indexes where the extension exists."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from app.queries import search_lots
from app.schemas import LotQuery
from auction import engine
from fapai.db import make_engine, session_factory

TRIGRAM_INDEXES = {
    "auction_lots": {
        "ix_auction_lots_title_trgm",
        "ix_auction_lots_address_trgm",
        "ix_auction_lots_description_trgm",
    },
    "auction_cases": {"ix_auction_cases_case_number_trgm"},
}


@pytest.fixture
def lots(world, lot_data) -> list[int]:
    """Three lots: the world's, a shop with a Latin-letter title in another case and district,
    and a parking space in the world's case."""
    s, now, settings = world.session, world.clock.now(), world.settings
    shop = lot_data(
        title="越秀区 Grand Plaza 商铺",
        case_number="(2025)粤0104执77号",
        district="越秀区",
        address="广州市越秀区北京路1号",
    )
    parking = lot_data(title="福田区车位", property_type="parking")
    made = [engine.create_lot(s, data, now, settings).id for data in (shop, parking)]
    s.commit()
    return [world.lot.id, *made]


def ids(world, **query: object) -> list[int]:
    return [
        item.id for item in search_lots(world.session, LotQuery(**query), world.clock.now()).items
    ]


def test_text_search_ignores_case_and_matches_case_numbers(world, lots):
    home, shop, parking = lots
    assert ids(world, q="grand plaza") == ids(world, q="GRAND") == [shop]
    assert ids(world, q="0104执77") == [shop]  # the case number, through the lot's case
    assert ids(world, q="粤0106执1234", sort="newest") == [parking, home]
    assert ids(world, q="车位") == [parking]
    assert ids(world, q="天河区", sort="newest") == [parking, home]  # address, not only title
    assert ids(world, q="不交吉", sort="newest") == [parking, shop, home]  # description
    assert ids(world, q="100%") == ids(world, q="_") == []  # LIKE wildcards are literal


def test_several_words_must_all_match(world, lots):
    """凤凰城 碧桂园: each word (half- or full-width spaces between) matches title, address,
    description or case number, and a lot must match every one."""
    home, shop, parking = lots
    assert ids(world, q="越秀区 商铺") == [shop]
    assert ids(world, q="福田区\u3000车位") == [parking]
    assert ids(world, q="车位 商铺") == []
    assert ids(world, q="粤0106执1234 车位") == [parking]


@pytest.mark.parametrize(
    ("page", "page_size", "total", "count"),
    [(1, 20, 3, 3), (2, 2, 3, 1), (1, 2, 3, 2), (3, 2, 3, 0), (1, 1, 3, 1)],
)
def test_total_is_the_whole_result_whatever_the_page(world, lots, page, page_size, total, count):
    result = search_lots(world.session, LotQuery(page=page, page_size=page_size), world.clock.now())
    assert (result.total, len(result.items)) == (total, count)
    empty = search_lots(world.session, LotQuery(q="没有这个词"), world.clock.now())
    assert (empty.total, empty.items) == (0, [])


@pytest.fixture
def statements(sqlite_url: str, clock, settings, lot_data) -> Iterator[tuple[Session, list[tuple]]]:
    """A session on a SQLite file with two lots, and the SQL it sends with its parameters."""
    eng = make_engine(sqlite_url)
    sent: list[tuple] = []
    event.listen(
        eng, "before_cursor_execute", lambda _c, _cur, sql, params, *_: sent.append((sql, params))
    )
    session = session_factory(eng)()
    for title in ("天河区公寓", "越秀区商铺"):
        engine.create_lot(session, lot_data(title=title), clock.now(), settings)
    session.commit()
    yield session, sent
    session.close()
    eng.dispose()


@pytest.mark.parametrize(
    "query",
    [
        {"status": "bidding", "city": "广州市"},
        {"status": "announced"},
        {"city": "广州市", "district": "天河区", "property_type": "residential"},
        {"property_type": "parking", "status": "failed"},
        {"min_price": 500_000, "max_price": 2_000_000},
        {},
    ],
)
def test_sqlite_counts_read_an_index_only(statements, clock, query):
    session, sent = statements
    sent.clear()
    search_lots(session, LotQuery(page=2, page_size=1, **query), clock.now())  # it must count
    ((sql, params),) = [(sql, p) for sql, p in sent if sql.lstrip().startswith("SELECT count")]
    plan = session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    assert [row[-1] for row in plan if "COVERING INDEX" not in row[-1]] == [], plan


def test_postgresql_text_search_can_use_trigram_indexes(pg_url, clock, settings, lot_data):
    eng = make_engine(pg_url)
    with eng.connect() as conn:
        if conn.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")) == 0:
            eng.dispose()
            pytest.skip("pg_trgm could not be created here: text search scans (the fallback)")
    for table, names in TRIGRAM_INDEXES.items():
        assert names <= {ix["name"] for ix in inspect(eng).get_indexes(table)}
    sent: list[tuple] = []
    event.listen(
        eng, "before_cursor_execute", lambda _c, _cur, sql, params, *_: sent.append((sql, params))
    )
    with session_factory(eng)() as session:
        engine.create_lot(session, lot_data(), clock.now(), settings)
        session.commit()
        sent.clear()
        search_lots(session, LotQuery(q="华夏路", page_size=1), clock.now())
        ((sql, params),) = [(sql, p) for sql, p in sent if sql.lstrip().startswith("SELECT count")]
        session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: force the choice
        plan = "\n".join(
            r[0] for r in session.connection().exec_driver_sql(f"EXPLAIN {sql}", params)
        )
    eng.dispose()
    assert "BitmapOr" in plan and "ix_auction_lots_title_trgm" in plan, plan
