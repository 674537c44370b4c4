"""disposal: suspend/withdraw, balance payment, renege accounting, notice contents, audit chain

Lots get the reference price's validity (参考价规定 第二十七条), the balance deadline (拍卖规定
第二十五条), why they were halted (第二十八条), the notice's contents (第十三条、第十四条、
第三十条) and the head of their audit hash chain; rounds get the balance and the forfeited
deposit's accounting (第二十四条); ``auction_events`` is the append-only audit trail. The
status column widens to 20 characters (``sale_bidding``).

Revision ID: d0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

import fapai.db

revision = "d0001"
down_revision = None
branch_labels = ("disposal",)
depends_on = "a0003"

UTC = fapai.db.UTCDateTime(timezone=True)
LOT_COLUMNS = [
    ("reference_valid_until", UTC),
    ("balance_due_at", UTC),
    ("halt_reason", sa.Text()),
    ("halt_article", sa.String(60)),
    ("defects", sa.Text()),
    ("occupancy", sa.Text()),
    ("encumbrances", sa.Text()),
    ("taxes_borne_by", sa.Text()),
    ("viewing", sa.Text()),
    ("purchase_restrictions", sa.Text()),
    ("special_conditions", sa.Text()),
    ("chain_head", sa.String(64)),
]
ROUND_COLUMNS = [
    ("balance_due_at", UTC),
    ("paid_at", UTC),
    ("forfeited", sa.BigInteger()),
    ("renege_costs", sa.BigInteger()),
    ("forfeit_use", sa.Text()),
]


def upgrade() -> None:
    with op.batch_alter_table("auction_lots") as batch:
        batch.alter_column("status", type_=sa.String(20), existing_type=sa.String(10))
        for name, type_ in LOT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("event_count", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("auction_rounds") as batch:
        for name, type_ in ROUND_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("balance_paid", sa.BigInteger(), nullable=False, server_default="0"))
    op.create_index("ix_auction_lots_status_balance_due_at", "auction_lots", ["status", "balance_due_at"])
    op.create_table(
        "auction_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), sa.ForeignKey("auction_lots.id", ondelete="CASCADE", name="fk_auction_events_lot_id_auction_lots"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("actor_role", sa.String(10), nullable=False),
        sa.Column("article", sa.String(60), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auction_events"),
        sa.UniqueConstraint("lot_id", "seq", name="uq_auction_events_lot_id"),
    )


def downgrade() -> None:
    op.drop_table("auction_events")
    op.drop_index("ix_auction_lots_status_balance_due_at", "auction_lots")
    with op.batch_alter_table("auction_rounds") as batch:
        for name, _ in ROUND_COLUMNS:
            batch.drop_column(name)
        batch.drop_column("balance_paid")
    with op.batch_alter_table("auction_lots") as batch:
        for name, _ in LOT_COLUMNS:
            batch.drop_column(name)
        batch.drop_column("event_count")
