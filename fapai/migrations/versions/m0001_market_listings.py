"""market listings and their price history

Revision ID: m0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "m0001"
down_revision = None
branch_labels = ("market",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_listings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("listing_id", sa.String(120), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("city", sa.String(20)),
        sa.Column("district", sa.String(30)),
        sa.Column("community", sa.String(120)),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("area_m2", sa.Float()),
        sa.Column("rooms", sa.Integer()),
        sa.Column("halls", sa.Integer()),
        sa.Column("bathrooms", sa.Integer()),
        sa.Column("floor", sa.Integer()),
        sa.Column("floor_level", sa.String(4)),
        sa.Column("total_floors", sa.Integer()),
        sa.Column("orientation", sa.String(40)),
        sa.Column("decoration", sa.String(20)),
        sa.Column("build_year", sa.Integer()),
        sa.Column("elevator", sa.Boolean()),
        sa.Column("property_type", sa.String(20)),
        sa.Column("price_total", sa.BigInteger()),
        sa.Column("unit_price", sa.Integer()),
        sa.Column("listed_at", UTCDateTime()),
        sa.Column("dealt_at", UTCDateTime()),
        sa.Column("crawled_at", UTCDateTime()),
        sa.Column("signature", sa.String(64)),
        sa.Column("first_seen_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime()),
        sa.UniqueConstraint("source", "listing_id", name="uq_market_listings_source_listing_id"),
    )
    op.create_index("ix_market_listings_city_district", "market_listings", ["city", "district"])
    op.create_table(
        "listing_prices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "listing_pk",
            sa.Integer(),
            sa.ForeignKey("market_listings.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("price_total", sa.BigInteger()),
        sa.Column("unit_price", sa.Integer()),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_listing_prices_listing_pk", "listing_prices", ["listing_pk"])


def downgrade() -> None:
    op.drop_table("listing_prices")
    op.drop_table("market_listings")
