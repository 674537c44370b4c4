"""auction: users and tokens, cases, lots, rounds, priority holders, registrations, bids,
idempotency keys

Revision ID: a0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

import fapai.db

revision = "a0001"
down_revision = None
branch_labels = ("auction",)
depends_on = None


def upgrade() -> None:
    op.create_table('auction_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=60), nullable=False),
    sa.Column('court', sa.String(length=100), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_cases')),
    sa.UniqueConstraint('case_number', 'court', name=op.f('uq_auction_cases_case_number'))
    )
    op.create_table('auction_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('id_number_hash', sa.String(length=64), nullable=True),
    sa.Column('id_number_masked', sa.String(length=18), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('created_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_users')),
    sa.UniqueConstraint('id_number_hash', name=op.f('uq_auction_users_id_number_hash'))
    )
    op.create_table('auction_lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('property_type', sa.String(length=20), nullable=False),
    sa.Column('city', sa.String(length=20), nullable=False),
    sa.Column('district', sa.String(length=30), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('area_m2', sa.Float(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('reference_price', sa.BigInteger(), nullable=False),
    sa.Column('reference_method', sa.String(length=20), nullable=False),
    sa.Column('inquiry_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('round', sa.String(length=5), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('start_price', sa.BigInteger(), nullable=False),
    sa.Column('deposit', sa.BigInteger(), nullable=False),
    sa.Column('increment', sa.BigInteger(), nullable=False),
    sa.Column('published_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('starts_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('current_price', sa.BigInteger(), nullable=False),
    sa.Column('bid_count', sa.Integer(), nullable=False),
    sa.Column('leading_bid_id', sa.Integer(), nullable=True),
    sa.Column('registration_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['auction_cases.id'], name=op.f('fk_auction_lots_case_id_auction_cases')),
    sa.ForeignKeyConstraint(['created_by'], ['auction_users.id'], name=op.f('fk_auction_lots_created_by_auction_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_lots'))
    )
    op.create_index('ix_auction_lots_city_district', 'auction_lots', ['city', 'district'], unique=False)
    op.create_index('ix_auction_lots_price', 'auction_lots', ['current_price'], unique=False)
    op.create_index(op.f('ix_auction_lots_property_type'), 'auction_lots', ['property_type'], unique=False)
    op.create_index('ix_auction_lots_status_ends_at', 'auction_lots', ['status', 'ends_at'], unique=False)
    op.create_table('auction_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['auction_users.id'], name=op.f('fk_auction_tokens_user_id_auction_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_auction_tokens_token_hash'))
    )
    op.create_table('auction_priority_holders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('added_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['auction_lots.id'], name=op.f('fk_auction_priority_holders_lot_id_auction_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['auction_users.id'], name=op.f('fk_auction_priority_holders_user_id_auction_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_priority_holders')),
    sa.UniqueConstraint('lot_id', 'user_id', name=op.f('uq_auction_priority_holders_lot_id'))
    )
    op.create_table('auction_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('start_price', sa.BigInteger(), nullable=False),
    sa.Column('deposit', sa.BigInteger(), nullable=False),
    sa.Column('increment', sa.BigInteger(), nullable=False),
    sa.Column('published_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('starts_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scheduled_end', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', fapai.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('final_price', sa.BigInteger(), nullable=True),
    sa.Column('bid_count', sa.Integer(), nullable=False),
    sa.Column('winner_registration_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['auction_lots.id'], name=op.f('fk_auction_rounds_lot_id_auction_lots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_rounds')),
    sa.UniqueConstraint('lot_id', 'seq', name=op.f('uq_auction_rounds_lot_id'))
    )
    op.create_index(op.f('ix_auction_rounds_closed_at'), 'auction_rounds', ['closed_at'], unique=False)
    op.create_table('auction_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('bidder_code', sa.String(length=12), nullable=False),
    sa.Column('priority_rank', sa.Integer(), nullable=True),
    sa.Column('deposit', sa.BigInteger(), nullable=False),
    sa.Column('deposit_status', sa.String(length=12), nullable=False),
    sa.Column('payment_reference', sa.String(length=100), nullable=True),
    sa.Column('paid_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refund_due_by', fapai.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['lot_id'], ['auction_lots.id'], name=op.f('fk_auction_registrations_lot_id_auction_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['auction_rounds.id'], name=op.f('fk_auction_registrations_round_id_auction_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['auction_users.id'], name=op.f('fk_auction_registrations_user_id_auction_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_registrations')),
    sa.UniqueConstraint('lot_id', 'bidder_code', name=op.f('uq_auction_registrations_lot_id')),
    sa.UniqueConstraint('round_id', 'user_id', name=op.f('uq_auction_registrations_round_id'))
    )
    op.create_index(op.f('ix_auction_registrations_user_id'), 'auction_registrations', ['user_id'], unique=False)
    op.create_table('auction_bids',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('placed_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lot_id'], ['auction_lots.id'], name=op.f('fk_auction_bids_lot_id_auction_lots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['auction_registrations.id'], name=op.f('fk_auction_bids_registration_id_auction_registrations')),
    sa.ForeignKeyConstraint(['round_id'], ['auction_rounds.id'], name=op.f('fk_auction_bids_round_id_auction_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_bids'))
    )
    op.create_index('ix_auction_bids_lot_id_id', 'auction_bids', ['lot_id', 'id'], unique=False)
    op.create_table('auction_idempotency_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('lot_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('created_at', fapai.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['auction_bids.id'], name=op.f('fk_auction_idempotency_keys_bid_id_auction_bids'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['auction_users.id'], name=op.f('fk_auction_idempotency_keys_user_id_auction_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auction_idempotency_keys')),
    sa.UniqueConstraint('user_id', 'key', name=op.f('uq_auction_idempotency_keys_user_id'))
    )


def downgrade() -> None:
    for table in (
        "auction_idempotency_keys",
        "auction_bids",
        "auction_registrations",
        "auction_rounds",
        "auction_priority_holders",
        "auction_tokens",
        "auction_lots",
        "auction_users",
        "auction_cases",
    ):
        op.drop_table(table)
