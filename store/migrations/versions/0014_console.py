"""the console's sessions, the notices outbox and the users' notices setting (SPEC §14)

Revision ID: 0014_console
Revises: 0013_privacy
Create Date: 2026-12-03 17:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.models.base

revision = '0014_console'
down_revision = '0013_privacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_console_sessions_token_hash', 'console_sessions', ['token_hash'])
    op.create_index('ix_console_sessions_expires_at', 'console_sessions', ['expires_at'])
    op.create_table(
        'notices',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('received_message_id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('to_address', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('in_reply_to', sa.String(length=998), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('lease_until', store.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', store.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', store.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['received_message_id'], ['received_messages.id'],
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('received_message_id'),
    )
    op.create_index('ix_notices_status_due', 'notices', ['status', 'next_attempt_at'])
    op.create_index('ix_notices_user_id', 'notices', ['user_id'])
    # A plain ADD COLUMN (SQLite's batch mode would copy the table the others refer to).
    op.add_column('users', sa.Column('notices', sa.Boolean(), server_default=sa.true(),
                                     nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('notices')
    op.drop_table('notices')
    op.drop_table('console_sessions')
