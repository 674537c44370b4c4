from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from fapai.db import make_engine, session_factory, session_scope
from valuation.data import known_signatures, upsert_listings
from valuation.schema import validate_listing
from valuation.store import ListingPrice, MarketListing

T0 = datetime(2026, 5, 1, tzinfo=UTC)


def _li(lid, price, **kw):
    return validate_listing(
        dict(
            source="lianjia",
            listing_id=lid,
            city="广州",
            district="海珠",
            area_m2=80,
            price_total=price,
            **kw,
        )
    )


def test_upsert_keeps_price_history(db_url):
    factory = session_factory(make_engine(db_url))
    with session_scope(factory) as s:
        st = upsert_listings(
            s, [_li("a", 2_000_000), _li("b", 3_000_000)], T0, signatures={("lianjia", "a"): "sig1"}
        )
        assert (st.inserted, st.updated) == (2, 0)
    with session_scope(factory) as s:
        st = upsert_listings(s, [_li("a", 1_900_000), _li("b", 3_000_000)], T0 + timedelta(days=7))
        assert (st.inserted, st.price_changed, st.unchanged) == (0, 1, 1)
    with session_scope(factory) as s:
        a = s.scalars(select(MarketListing).where(MarketListing.listing_id == "a")).one()
        hist = s.scalars(
            select(ListingPrice)
            .where(ListingPrice.listing_pk == a.id)
            .order_by(ListingPrice.observed_at)
        ).all()
        assert [h.price_total for h in hist] == [2_000_000, 1_900_000]
        assert a.price_total == 1_900_000 and a.first_seen_at == T0
        assert known_signatures(s, "lianjia") == {"a": "sig1"}
