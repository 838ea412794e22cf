"""indexes for paging a project's contacts and a status's threads in id order

Without them each page sorted every contact of the project (every thread of the status)
before taking its 50.

Revision ID: 0006_paging_indexes
Revises: 0005_listing_indexes
Create Date: 2026-11-26 05:05:34.017754
"""
from __future__ import annotations

from alembic import op

revision = '0006_paging_indexes'
down_revision = '0005_listing_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_project_id', ['project_id', 'id'], unique=False)

    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_threads_status'))
        batch_op.create_index('ix_threads_status_id', ['status', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_index('ix_threads_status_id')
        batch_op.create_index(batch_op.f('ix_threads_status'), ['status'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_project_id')

