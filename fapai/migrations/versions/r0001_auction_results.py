"""crawled judicial auction results and the crawl run log

Revision ID: r0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "r0001"
down_revision = None
branch_labels = ("auction_results",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auction_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("item_id", sa.String(120), nullable=False),
        sa.Column("url", sa.Text()),
        sa.Column("title", sa.Text()),
        sa.Column("city", sa.String(20)),
        sa.Column("district", sa.String(30)),
        sa.Column("community", sa.String(120)),
        sa.Column("property_type", sa.String(20)),
        sa.Column("area_m2", sa.Float()),
        sa.Column("appraisal_price_fen", sa.BigInteger()),
        sa.Column("start_price_fen", sa.BigInteger()),
        sa.Column("final_price_fen", sa.BigInteger()),
        sa.Column("deposit_fen", sa.BigInteger()),
        sa.Column("status", sa.String(12)),
        sa.Column("round", sa.Integer()),
        sa.Column("bid_count", sa.Integer()),
        sa.Column("registrations", sa.Integer()),
        sa.Column("start_at", UTCDateTime()),
        sa.Column("end_at", UTCDateTime()),
        sa.Column("crawled_at", UTCDateTime()),
        sa.Column("signature", sa.String(64)),
        sa.Column("first_seen_at", UTCDateTime()),
        sa.Column("updated_at", UTCDateTime()),
        sa.UniqueConstraint("source", "item_id", name="uq_auction_results_source_item_id"),
    )
    op.create_table(
        "crawl_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("spider", sa.String(40), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("started_at", UTCDateTime()),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.JSON(), nullable=False),
        sa.Column("fill_rates", sa.JSON(), nullable=False),
        sa.Column("finish_reason", sa.String(40)),
    )
    op.create_index("ix_crawl_runs_spider", "crawl_runs", ["spider"])


def downgrade() -> None:
    op.drop_index("ix_crawl_runs_spider", table_name="crawl_runs")
    op.drop_table("crawl_runs")
    op.drop_table("auction_results")
