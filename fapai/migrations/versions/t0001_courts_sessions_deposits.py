"""trust: courts as records (users, lots and inquiries belong to one), web sessions, token
expiry and revocation, deposits pending until the court confirms them, refunds recorded

Existing data: a court is made for every court name the cases carry (codes C0001, C0002… in
name order), lots belong to their case's court, a court user to the court of the first lot it
published (else to the court ``UNASSIGNED``, for an administrator to move), an inquiry to the
court of the first lot published from it (else to none: no court sees it).

Revision ID: t0001
Revises:
Create Date: 2026-11-30
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from fapai.db import UTCDateTime

revision = "t0001"
down_revision = None
branch_labels = ("trust",)
depends_on = ("a0003", "i0001")

UNASSIGNED = ("UNASSIGNED", "未指定法院")


def _insert_court() -> sa.TextClause:
    return sa.text(
        "INSERT INTO auction_courts (code, name, created_at) VALUES (:c, :n, :t)"
    ).bindparams(sa.bindparam("t", type_=UTCDateTime()))


def _data() -> None:
    bind = op.get_bind()
    names = [r[0] for r in bind.execute(sa.text("SELECT DISTINCT court FROM auction_cases ORDER BY court"))]
    for i, name in enumerate(names, start=1):
        bind.execute(
            _insert_court(),
            {"c": f"C{i:04d}", "n": name, "t": datetime.now(UTC)},
        )
    bind.execute(sa.text(
        "UPDATE auction_lots SET court_id = (SELECT auction_courts.id FROM auction_courts "
        "JOIN auction_cases ON auction_cases.court = auction_courts.name "
        "WHERE auction_cases.id = auction_lots.case_id)"
    ))
    bind.execute(sa.text(
        "UPDATE auction_users SET court_id = (SELECT l.court_id FROM auction_lots l "
        "WHERE l.created_by = auction_users.id ORDER BY l.id LIMIT 1) WHERE role = 'court'"
    ))
    orphans = bind.execute(sa.text(
        "SELECT count(*) FROM auction_users WHERE role = 'court' AND court_id IS NULL"
    )).scalar()
    if orphans:
        bind.execute(
            _insert_court(),
            {"c": UNASSIGNED[0], "n": UNASSIGNED[1], "t": datetime.now(UTC)},
        )
        bind.execute(sa.text(
            "UPDATE auction_users SET court_id = (SELECT id FROM auction_courts WHERE code = :c) "
            "WHERE role = 'court' AND court_id IS NULL"
        ), {"c": UNASSIGNED[0]})
    bind.execute(sa.text(
        "UPDATE inquiries SET court_id = (SELECT l.court_id FROM auction_lots l "
        "WHERE l.inquiry_id = inquiries.id ORDER BY l.id LIMIT 1)"
    ))
    bind.execute(sa.text("UPDATE auction_registrations SET registered_at = paid_at"))


def upgrade() -> None:
    op.create_table(
        "auction_courts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_courts")),
        sa.UniqueConstraint("code", name=op.f("uq_auction_courts_code")),
        sa.UniqueConstraint("name", name=op.f("uq_auction_courts_name")),
    )
    op.create_table(
        "auction_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["auction_users.id"], ondelete="CASCADE",
            name=op.f("fk_auction_sessions_user_id_auction_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auction_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_auction_sessions_key_hash")),
    )
    op.create_index(op.f("ix_auction_sessions_user_id"), "auction_sessions", ["user_id"])
    with op.batch_alter_table("auction_users") as batch:
        batch.add_column(sa.Column("court_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("id_number_hmac", sa.String(64), nullable=True))
        batch.add_column(sa.Column("id_number_encrypted", sa.Text(), nullable=True))
        batch.add_column(sa.Column("phone_encrypted", sa.Text(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_auction_users_court_id_auction_courts"), "auction_courts", ["court_id"], ["id"]
        )
        batch.create_unique_constraint(op.f("uq_auction_users_id_number_hmac"), ["id_number_hmac"])
    op.create_index(op.f("ix_auction_users_court_id"), "auction_users", ["court_id"])
    with op.batch_alter_table("auction_lots") as batch:
        batch.add_column(sa.Column("court_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_auction_lots_court_id_auction_courts"), "auction_courts", ["court_id"], ["id"]
        )
    op.create_index("ix_auction_lots_court_id_id", "auction_lots", ["court_id", "id"])
    with op.batch_alter_table("inquiries") as batch:
        batch.add_column(sa.Column("court_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_inquiries_court_id"), "inquiries", ["court_id"])
    with op.batch_alter_table("auction_tokens") as batch:
        batch.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("revoked_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("auction_registrations") as batch:
        batch.alter_column("bidder_code", existing_type=sa.String(12), nullable=True)
        batch.alter_column("paid_at", existing_type=UTCDateTime(), nullable=True)
        batch.add_column(sa.Column("registered_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("refunded_at", UTCDateTime(), nullable=True))
    op.create_index(
        op.f("ix_auction_registrations_payment_reference"),
        "auction_registrations",
        ["payment_reference"],
    )
    _data()


def downgrade() -> None:
    op.drop_index(op.f("ix_auction_registrations_payment_reference"), "auction_registrations")
    with op.batch_alter_table("auction_registrations") as batch:
        batch.drop_column("refunded_at")
        batch.drop_column("registered_at")
    with op.batch_alter_table("auction_tokens") as batch:
        batch.drop_column("revoked_at")
        batch.drop_column("expires_at")
    op.drop_index(op.f("ix_inquiries_court_id"), "inquiries")
    with op.batch_alter_table("inquiries") as batch:
        batch.drop_column("court_id")
    op.drop_index("ix_auction_lots_court_id_id", "auction_lots")
    with op.batch_alter_table("auction_lots") as batch:
        batch.drop_constraint(op.f("fk_auction_lots_court_id_auction_courts"), type_="foreignkey")
        batch.drop_column("court_id")
    op.drop_index(op.f("ix_auction_users_court_id"), "auction_users")
    with op.batch_alter_table("auction_users") as batch:
        batch.drop_constraint(op.f("uq_auction_users_id_number_hmac"), type_="unique")
        batch.drop_constraint(op.f("fk_auction_users_court_id_auction_courts"), type_="foreignkey")
        batch.drop_column("phone_encrypted")
        batch.drop_column("id_number_encrypted")
        batch.drop_column("id_number_hmac")
        batch.drop_column("court_id")
    op.drop_table("auction_sessions")
    op.drop_table("auction_courts")
