"""received messages' size in bytes, for the claim's byte budget (claim_bytes)

Revision ID: 0007_received_size
Revises: 0006_paging_indexes
Create Date: 2026-11-26 06:05:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007_received_size'
down_revision = '0006_paging_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('size', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE received_messages SET size = (SELECT length(raw) FROM received_raws "
               "WHERE received_raws.received_message_id = received_messages.id)")


def downgrade() -> None:
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_column('size')
