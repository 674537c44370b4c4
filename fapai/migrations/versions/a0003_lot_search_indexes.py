"""auction: indexes for lot search at 100,000 lots

Composite indexes that match the filters and sorts of ``app.queries.search_lots`` (each
equality filter first, then the sort column, then ``id``, the sort's tie-break), so that the
``total`` count reads an index only and a page walks an index in order. Indexes that are a
prefix of a new one are dropped. On PostgreSQL, ``pg_trgm`` GIN indexes serve the ``q`` text
search (``LIKE``/``ILIKE '%…%'`` of three characters or more) when the extension can be created;
where it cannot (not installed, no privilege), search works as before, by a scan.

Revision ID: a0003
Revises: a0002
Create Date: 2026-11-25
"""

import logging

from alembic import op
from sqlalchemy import text

revision = "a0003"
down_revision = "a0002"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# name → columns; kept in step with ``auction.store.Lot.__table_args__``.
LOT_INDEXES = {
    "ix_auction_lots_status_ends_at_id": ["status", "ends_at", "id", "starts_at", "city"],
    "ix_auction_lots_status_starts_at": ["status", "starts_at"],
    "ix_auction_lots_status_city_starts_at": ["status", "city", "starts_at", "ends_at"],
    "ix_auction_lots_place_type_price": [
        "city",
        "district",
        "property_type",
        "current_price",
        "id",
    ],
    "ix_auction_lots_type_status_ends_at": ["property_type", "status", "ends_at", "id"],
    "ix_auction_lots_ends_at_id": ["ends_at", "id"],
    "ix_auction_lots_case_id": ["case_id"],
}
# Replaced by a new index that starts with the same columns.
OLD_INDEXES = {
    "ix_auction_lots_status_ends_at": ["status", "ends_at"],
    "ix_auction_lots_city_district": ["city", "district"],
    "ix_auction_lots_property_type": ["property_type"],
}
# PostgreSQL only: (table, column) → trigram index.
TRIGRAM_INDEXES = {
    "ix_auction_lots_title_trgm": ("auction_lots", "title"),
    "ix_auction_lots_address_trgm": ("auction_lots", "address"),
    "ix_auction_lots_description_trgm": ("auction_lots", "description"),
    "ix_auction_cases_case_number_trgm": ("auction_cases", "case_number"),
}


def _create_trigram_extension() -> bool:
    """``CREATE EXTENSION pg_trgm`` in a savepoint; False (and a warning) if it cannot be."""
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as exc:  # noqa: BLE001 - any refusal means: search by scan, as before
        log.warning("pg_trgm unavailable, lot text search will scan: %s", exc)
        return False
    return True


def upgrade() -> None:
    for name, columns in LOT_INDEXES.items():
        op.create_index(name, "auction_lots", columns)
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="auction_lots")
    if op.get_bind().dialect.name == "postgresql" and _create_trigram_extension():
        for name, (table, column) in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "auction_lots", columns)
    for name in LOT_INDEXES:
        op.drop_index(name, table_name="auction_lots")
