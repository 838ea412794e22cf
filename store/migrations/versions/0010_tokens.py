"""API tokens get a name, scopes and an expiry (SPEC §11)

Revision ID: 0010_tokens
Revises: 0009_events
Create Date: 2026-12-03 17:10:00

Tokens issued before this revision keep every power: all three scopes, no expiry.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010_tokens'
down_revision = '0009_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('scopes', sa.String(length=64),
                                      server_default='log read write', nullable=False))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
        batch_op.drop_column('scopes')
        batch_op.drop_column('name')
