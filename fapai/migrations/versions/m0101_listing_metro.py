"""market: the metro station a listing names and its stated distance (metres)

Revision ID: m0101
Revises: m0100
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "m0101"
down_revision = "m0100"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("market_listings", sa.Column("metro_station", sa.String(20), nullable=True))
    op.add_column("market_listings", sa.Column("metro_distance_m", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("market_listings") as batch:
        batch.drop_column("metro_distance_m")
        batch.drop_column("metro_station")
