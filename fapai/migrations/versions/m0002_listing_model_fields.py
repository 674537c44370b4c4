"""market: the listing fields the price model reads (business circle, building type, metro)

Revision ID: m0002
Revises: m0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "m0002"
down_revision = "m0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("market_listings", sa.Column("bizcircle", sa.String(60), nullable=True))
    op.add_column("market_listings", sa.Column("building_type", sa.String(20), nullable=True))
    op.add_column("market_listings", sa.Column("near_metro", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_listings") as batch:
        batch.drop_column("near_metro")
        batch.drop_column("building_type")
        batch.drop_column("bizcircle")
