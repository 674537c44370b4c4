"""inquiry reports and their sources

Revision ID: i0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "i0001"
down_revision = None
branch_labels = ("inquiry",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inquiries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("reference_price", sa.BigInteger(), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("city", sa.String(20)),
        sa.Column("district", sa.String(30)),
        sa.Column("area_m2", sa.Float()),
        sa.Column("report", sa.Text(), nullable=False),
    )
    op.create_table(
        "inquiry_sources",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "inquiry_id",
            sa.Integer(),
            sa.ForeignKey("inquiries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("platform", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_inquiry_sources_inquiry_id", "inquiry_sources", ["inquiry_id"])


def downgrade() -> None:
    op.drop_table("inquiry_sources")
    op.drop_table("inquiries")
