"""privacy: capture level, private interactions, personal never-log, erasure tombstones

Revision ID: 0013_privacy
Revises: 0012_content
Create Date: 2026-12-03 17:00:00

SPEC §13. Projects choose what is captured (`capture_level`), interactions can be private,
users keep their own never-log lists, and an erased address leaves only a tombstone (its
keyed hash). Retention walks processed messages oldest first: an index on processed_at;
erasure deletes messages, whose interactions are found by message_ref: an index on it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013_privacy'
down_revision = '0012_content'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capture_level', sa.String(length=16),
                                      server_default='full', nullable=False))
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_index('ix_interactions_message_ref', ['message_ref'], unique=False)
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.create_index('ix_received_messages_processed_at', ['processed_at', 'id'],
                              unique=False)
    op.create_table(
        'personal_never_log_entries',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('address', sa.String(length=320), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE',
                                name=op.f('fk_personal_never_log_entries_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_personal_never_log_entries')),
        sa.UniqueConstraint('user_id', 'address',
                            name=op.f('uq_personal_never_log_entries_user_id')),
    )
    with op.batch_alter_table('personal_never_log_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_personal_never_log_entries_user_id'), ['user_id'],
                              unique=False)
    op.create_table(
        'erased_addresses',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('address_hash', sa.String(length=64), nullable=False),
        sa.Column('project_id', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_erased_addresses')),
        sa.UniqueConstraint('address_hash', 'project_id',
                            name=op.f('uq_erased_addresses_address_hash')),
    )
    with op.batch_alter_table('erased_addresses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erased_addresses_address_hash'), ['address_hash'],
                              unique=False)


def downgrade() -> None:
    op.drop_table('erased_addresses')
    op.drop_table('personal_never_log_entries')
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_received_messages_processed_at')
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_message_ref')
        batch_op.drop_column('private')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('capture_level')
