"""Crawled data in the real databases (SQLite file and PostgreSQL): results, listings, runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from crawlers import runs
from crawlers.storage import BatchWriter, Kind, engine_for, load_signatures
from fapai.clock import FrozenClock
from fapai.db import session_factory, session_scope
from valuation.auction_results import (
    AuctionResultError,
    AuctionResultRow,
    upsert_auction_results,
    validate_auction_result,
)
from valuation.schema import validate_listing
from valuation.store import ListingPrice, MarketListing

SOLD = {
    "source": "sf_taobao",
    "item_id": "805105669876",
    "title": "【一拍】广州市增城区…房产",
    "city": "广州市",
    "district": "增城区",
    "status": "sold",
    "round": 1,
    "appraisal_price_fen": 96_340_400,
    "start_price_fen": 53_950_700,
    "final_price_fen": 69_950_700,
    "bid_count": 5,
    "registrations": 6,
    "area_m2": 128.01,
    "end_at": datetime(2024, 7, 3, 2, 28, tzinfo=UTC),
}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"status": "done"}, "status:not_one_of"),
        ({"final_price_fen": None}, "final_price_fen:required"),
        ({"final_price_fen": 100}, "final_price_fen:below_start"),
        ({"start_price_fen": None}, "start_price_fen:required"),
        ({"round": 7}, "round:not_one_of"),
        ({"bid_count": -1}, "bid_count:not_a_count"),
        ({"district": "火星区"}, "district:unknown_district"),
        ({"end_at": "7月3日"}, "end_at:bad_datetime"),
        ({"item_id": ""}, "item_id:required"),
    ],
)
def test_auction_result_rules(change: dict, reason: str) -> None:
    with pytest.raises(AuctionResultError) as exc:
        validate_auction_result({**SOLD, **change})
    assert exc.value.reason == reason


def test_a_failed_lot_keeps_no_final_price() -> None:
    failed = validate_auction_result({**SOLD, "status": "failed", "bid_count": 0})
    assert failed.final_price_fen is None and failed.start_price_fen == 53_950_700


def test_auction_results_upsert(db_url: str, clock: FrozenClock) -> None:
    engine = engine_for(db_url)
    factory = session_factory(engine)
    first = validate_auction_result(SOLD)
    with session_scope(factory) as s:
        assert upsert_auction_results(
            s, [first], clock.now(), {(first.source, first.item_id): "a"}
        ) == (1, 0)
    later = clock.advance(3600)
    # A list-page-only view of the lot lacks the area: it must not erase it.
    again = validate_auction_result({**SOLD, "area_m2": None, "bid_count": 6})
    with session_scope(factory) as s:
        assert upsert_auction_results(s, [again], later, {(again.source, again.item_id): "b"}) == (
            0,
            1,
        )
    with session_scope(factory) as s:
        row = s.scalars(select(AuctionResultRow)).one()
        assert (row.area_m2, row.bid_count, row.final_price_fen) == (128.01, 6, 69_950_700)
        assert row.first_seen_at == clock.now() - timedelta(hours=1) and row.updated_at == later
        assert row.end_at == datetime(2024, 7, 3, 2, 28, tzinfo=UTC)
    assert load_signatures(engine, Kind.AUCTION, "sf_taobao") == {"805105669876": "b"}
    engine.dispose()


def test_batch_writer_writes_in_batches_and_keeps_price_history(
    db_url: str, clock: FrozenClock
) -> None:
    engine = engine_for(db_url)
    writer = BatchWriter(engine, size=2)
    base = {"source": "lianjia", "city": "广州市", "district": "天河区", "area_m2": 80}
    listings = [
        validate_listing({**base, "listing_id": str(i), "price_total": 3_000_000 + i})
        for i in range(3)
    ]
    assert writer.add(listings[0], "s0", clock.now()) is None
    batch = writer.add(listings[1], "s1", clock.now())
    assert batch is not None and batch.inserted == 2
    assert writer.add(listings[2], "s2", clock.now()) is None
    assert writer.flush(clock.now()).inserted == 1
    repriced = validate_listing({**base, "listing_id": "0", "price_total": 2_900_000})
    writer.add(repriced, "s0b", clock.advance(86400))
    counts = writer.flush(clock.now())
    assert (counts.inserted, counts.price_changed) == (0, 1)
    factory = session_factory(engine)
    with session_scope(factory) as s:
        assert s.scalar(select(func.count()).select_from(MarketListing)) == 3
        history = s.scalars(
            select(ListingPrice.price_total)
            .join(MarketListing)
            .where(MarketListing.listing_id == "0")
            .order_by(ListingPrice.observed_at)
        ).all()
        assert history == [3_000_000, 2_900_000]
    assert load_signatures(engine, Kind.LISTING, "lianjia")["0"] == "s0b"
    engine.dispose()


def test_fill_rates_and_what_counts_as_a_fall() -> None:
    stats = {
        "fill/list/items": 10,
        "fill/list/title": 10,
        "fill/list/area_m2": 9,
        "fill/detail/items": 2,
        "fill/detail/listed_at": 2,
    }
    rates = runs.fill_rates(stats)
    # Two detail pages are too few to measure anything.
    assert rates == {"list:area_m2": 0.9, "list:title": 1.0}
    previous = {
        "list:area_m2": 0.95,
        "list:title": 1.0,
        "list:community": 0.9,
        "detail:listed_at": 1.0,
    }
    assert runs.fallen_fields(previous, rates) == {"list:community": (0.9, 0.0)}
    assert runs.fallen_fields(previous, {**rates, "detail:listed_at": 0.5}) == {
        "list:community": (0.9, 0.0),
        "detail:listed_at": (1.0, 0.5),
    }


def test_previous_run_is_the_latest_of_the_same_spider_and_city(
    db_url: str, clock: FrozenClock
) -> None:
    engine = engine_for(db_url)
    factory = session_factory(engine)
    with session_scope(factory) as s:
        for i, (spider, scope) in enumerate(
            [("lianjia", "gz"), ("lianjia", "gz"), ("lianjia", "sz"), ("ke", "gz")]
        ):
            s.add(
                runs.CrawlRun(
                    spider=spider,
                    scope=scope,
                    finished_at=clock.advance(60),
                    pages=i,
                    items=i,
                    stored=i,
                    dropped={},
                    fill_rates={"list:title": i / 10},
                )
            )
    with session_scope(factory) as s:
        last = runs.previous_run(s, "lianjia", "gz")
        assert last is not None and last.pages == 1 and last.fill_rates == {"list:title": 0.1}
        assert runs.previous_run(s, "anjuke", "gz") is None
    engine.dispose()
