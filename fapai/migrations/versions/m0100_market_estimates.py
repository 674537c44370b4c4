"""fapai's market estimate of each auction lot (fen), with the model versions and when

Revision ID: m0100
Revises: m0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "m0100"
down_revision = "m0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "market_estimates",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(80), nullable=False),
        sa.Column("outcome_model_version", sa.String(80), nullable=False),
        sa.Column("start_price", sa.BigInteger(), nullable=False),
        sa.Column("estimate", sa.BigInteger()),
        sa.Column("low80", sa.BigInteger()),
        sa.Column("high80", sa.BigInteger()),
        sa.Column("low90", sa.BigInteger()),
        sa.Column("high90", sa.BigInteger()),
        sa.Column("expected_final", sa.BigInteger()),
        sa.Column("refused", sa.String(60)),
        sa.Column("reason", sa.Text()),
        sa.UniqueConstraint("lot_id", name="uq_market_estimates_lot_id"),
    )


def downgrade() -> None:
    op.drop_table("market_estimates")
