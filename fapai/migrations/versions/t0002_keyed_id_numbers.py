"""trust: ID numbers as a keyed hash, phone numbers encrypted; the plain hash and plain phone go

A stored ``sha256(ID number)`` is reversed in seconds by trying every plausible number. Each
becomes ``HMAC(server key, sha256(number))`` (see :mod:`fapai.crypto`: the same value new
registrations store, so uniqueness still holds across old and new rows) and the sha256 column
is dropped. Old rows cannot get the encrypted full number (it was never kept): the court sees
their mask only. Phone numbers are encrypted with the server key.

Revision ID: t0002
Revises: t0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = "t0002"
down_revision = "t0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from fapai.crypto import keys
    from fapai.settings import Settings

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, id_number_hash, phone FROM auction_users "
        "WHERE id_number_hash IS NOT NULL OR phone IS NOT NULL"
    )).all()
    if rows:
        k = keys(Settings())
        for user_id, digest, phone in rows:
            bind.execute(
                sa.text("UPDATE auction_users SET id_number_hmac = :h, phone_encrypted = :p WHERE id = :i"),
                {
                    "h": k.lookup_of_digest(digest) if digest else None,
                    "p": k.encrypt(phone) if phone else None,
                    "i": user_id,
                },
            )
    with op.batch_alter_table("auction_users") as batch:
        batch.drop_constraint(op.f("uq_auction_users_id_number_hash"), type_="unique")
        batch.drop_column("id_number_hash")
        batch.drop_column("phone")


def downgrade() -> None:
    with op.batch_alter_table("auction_users") as batch:
        batch.add_column(sa.Column("id_number_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("phone", sa.String(20), nullable=True))
        batch.create_unique_constraint(op.f("uq_auction_users_id_number_hash"), ["id_number_hash"])
