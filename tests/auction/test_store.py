"""The auction tables as migrated (Alembic branch ``auction``) match the SQLAlchemy models, on
SQLite and PostgreSQL; money columns are BIGINT fen and times aware UTC."""

from __future__ import annotations

from sqlalchemy import BigInteger

from auction import attachments, follows, store
from fapai.db import Base, UTCDateTime

AUCTION_TABLES = {
    m.__tablename__
    for m in (
        store.User,
        store.ApiToken,
        store.Case,
        store.Lot,
        store.Round,
        store.PriorityHolder,
        store.Registration,
        store.Bid,
        store.IdempotencyKey,
        store.Event,
        attachments.Attachment,
        follows.Follow,
        follows.Reminder,
        follows.Contact,
    )
}


def test_migration_matches_the_models(migration_drift):
    # pg_trgm indexes exist only where the extension could be created (a0003).
    assert migration_drift(AUCTION_TABLES, skip_index=lambda name: name.endswith("_trgm")) == []


def test_money_is_integer_fen_and_times_are_utc():
    money = {"reference_price", "start_price", "deposit", "increment", "current_price", "amount"}
    for name in AUCTION_TABLES:
        for col in Base.metadata.tables[name].columns:
            if col.name in money:
                assert isinstance(col.type, BigInteger), (name, col.name)
            if col.name.endswith("_at") or col.name == "scheduled_end":
                assert isinstance(col.type, UTCDateTime), (name, col.name)
