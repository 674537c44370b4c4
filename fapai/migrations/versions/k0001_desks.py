"""desks: documents and photos of a lot, follows (关注), reminders, reminder e-mail addresses

Revision ID: k0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "k0001"
down_revision = None
branch_labels = ("desk",)
depends_on = "a0003"


def upgrade() -> None:
    op.create_table(
        "auction_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["auction_lots.id"],
            name=op.f("fk_auction_attachments_lot_id_auction_lots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by"],
            ["auction_users.id"],
            name=op.f("fk_auction_attachments_uploaded_by_auction_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_attachments")),
    )
    op.create_index(
        op.f("ix_auction_attachments_lot_id"), "auction_attachments", ["lot_id"], unique=False
    )
    op.create_table(
        "auction_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["auction_lots.id"],
            name=op.f("fk_auction_follows_lot_id_auction_lots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auction_users.id"],
            name=op.f("fk_auction_follows_user_id_auction_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_follows")),
        sa.UniqueConstraint("user_id", "lot_id", name=op.f("uq_auction_follows_user_id")),
    )
    op.create_index(op.f("ix_auction_follows_lot_id"), "auction_follows", ["lot_id"], unique=False)
    op.create_table(
        "auction_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivery", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["lot_id"],
            ["auction_lots.id"],
            name=op.f("fk_auction_reminders_lot_id_auction_lots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auction_users.id"],
            name=op.f("fk_auction_reminders_user_id_auction_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_reminders")),
        sa.UniqueConstraint(
            "user_id", "round_id", "kind", name=op.f("uq_auction_reminders_user_id")
        ),
    )
    op.create_index(
        op.f("ix_auction_reminders_user_id"), "auction_reminders", ["user_id"], unique=False
    )
    op.create_table(
        "auction_contacts",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["auction_users.id"],
            name=op.f("fk_auction_contacts_user_id_auction_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_auction_contacts")),
    )


def downgrade() -> None:
    op.drop_table("auction_contacts")
    op.drop_index(op.f("ix_auction_reminders_user_id"), table_name="auction_reminders")
    op.drop_table("auction_reminders")
    op.drop_index(op.f("ix_auction_follows_lot_id"), table_name="auction_follows")
    op.drop_table("auction_follows")
    op.drop_index(op.f("ix_auction_attachments_lot_id"), table_name="auction_attachments")
    op.drop_table("auction_attachments")
