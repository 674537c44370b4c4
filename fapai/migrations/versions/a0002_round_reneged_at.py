"""auction: when a round's buyer reneged

Revision ID: a0002
Revises: a0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

import fapai.db

revision = "a0002"
down_revision = "a0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("auction_rounds", sa.Column("reneged_at", fapai.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auction_rounds") as batch:
        batch.drop_column("reneged_at")
