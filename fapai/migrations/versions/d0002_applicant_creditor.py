"""disposal: the applicant creditor of a lot and its claim (拍卖规定 第十七条)

Revision ID: d0002
Revises: d0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "d0002"
down_revision = "d0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auction_lots") as batch:
        batch.add_column(sa.Column("creditor_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("creditor_claim", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            "fk_auction_lots_creditor_id_auction_users", "auction_users", ["creditor_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("auction_lots") as batch:
        batch.drop_constraint("fk_auction_lots_creditor_id_auction_users", type_="foreignkey")
        batch.drop_column("creditor_claim")
        batch.drop_column("creditor_id")
