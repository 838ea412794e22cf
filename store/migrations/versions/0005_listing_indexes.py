"""indexes for listing received messages and finding them by their message

GET /v1/messages pages by (received_at, id), newest first: without an index every page
sorted the whole spool. Assigning a thread finds its received messages through
message_ref: without an index SQLite read every stored decision, inside the write
transaction.

Revision ID: 0005_listing_indexes
Revises: 0004_received_raws
Create Date: 2026-11-26 05:00:09.004475
"""
from __future__ import annotations

from alembic import op

revision = '0005_listing_indexes'
down_revision = '0004_received_raws'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_received_messages_message_ref'), ['message_ref'], unique=False)
        batch_op.create_index('ix_received_messages_received_at', ['received_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_received_messages_received_at')
        batch_op.drop_index(batch_op.f('ix_received_messages_message_ref'))

