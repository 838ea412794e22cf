"""attachment contents kept once per sha256; meetings; the meeting a message is about

Revision ID: 0012_content
Revises: 0011_companies_deals
Create Date: 2026-12-03 17:00:00

SPEC §12: attachment bytes are stored once per content (up to max_attachment_bytes) and
served through an interaction whose message lists them; a calendar invitation (REQUEST,
CANCEL) is a meeting of its project, found again by UID. Additive: two new tables and one
nullable column on messages.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.models.base import UTCDateTime

revision = '0012_content'
down_revision = '0011_companies_deals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'attachment_contents',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_attachment_contents')),
    )
    op.create_table(
        'meetings',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('project_id', sa.String(length=32), nullable=False),
        sa.Column('uid', sa.String(length=998), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('start', sa.String(length=64), nullable=True),
        sa.Column('end', sa.String(length=64), nullable=True),
        sa.Column('timezone', sa.String(length=128), nullable=True),
        sa.Column('location', sa.Text(), nullable=False),
        sa.Column('organizer', sa.String(length=320), nullable=False),
        sa.Column('attendees', sa.JSON(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_meetings_project_id_projects'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings')),
        sa.UniqueConstraint('project_id', 'uid', name=op.f('uq_meetings_project_id')),
    )
    with op.batch_alter_table('messages') as batch:
        batch.add_column(sa.Column('meeting_uid', sa.String(length=998), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('messages') as batch:
        batch.drop_column('meeting_uid')
    op.drop_table('meetings')
    op.drop_table('attachment_contents')
