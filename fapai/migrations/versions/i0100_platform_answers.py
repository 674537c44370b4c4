"""inquiry sources record each platform asked: when, when it answered, flags; an inquiry may
have no legal reference price yet

Revision ID: i0100
Revises: i0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "i0100"
down_revision = "i0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inquiries") as batch:
        batch.alter_column("reference_price", existing_type=sa.BigInteger(), nullable=True)
    with op.batch_alter_table("inquiry_sources") as batch:
        batch.alter_column("price", existing_type=sa.BigInteger(), nullable=True)
        batch.add_column(sa.Column("asked_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("answered_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("inquiry_sources") as batch:
        batch.drop_column("confirmed")
        batch.drop_column("flagged")
        batch.drop_column("answered_at")
        batch.drop_column("asked_at")
        batch.alter_column("price", existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table("inquiries") as batch:
        batch.alter_column("reference_price", existing_type=sa.BigInteger(), nullable=False)
