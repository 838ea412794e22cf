"""received messages' raw bytes in a table of their own

SQLite rewrites a whole row, overflow pages included, when any column changes: a claim or
a settle of a message wrote its raw bytes again. The bytes move to `received_raws`, one
row per received message, and every status change touches only the small row.

Revision ID: 0004_received_raws
Revises: 0003_thread_root_id
Create Date: 2026-11-26 04:52:03.296926
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_received_raws'
down_revision = '0003_thread_root_id'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('received_raws',
    sa.Column('received_message_id', sa.String(length=32), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['received_message_id'], ['received_messages.id'], name=op.f('fk_received_raws_received_message_id_received_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('received_message_id', name=op.f('pk_received_raws'))
    )
    op.execute("INSERT INTO received_raws (received_message_id, raw) "
               "SELECT id, raw FROM received_messages")
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_column('raw')


def downgrade() -> None:
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raw', sa.LargeBinary(), nullable=True))
    op.execute("UPDATE received_messages SET raw = (SELECT raw FROM received_raws "
               "WHERE received_raws.received_message_id = received_messages.id)")
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.alter_column('raw', existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table('received_raws')
