"""companies and deals of a project, and what each interaction is filed under (SPEC §12)

Revision ID: 0011_companies_deals
Revises: 0010_tokens
Create Date: 2026-12-03 17:10:00

New tables: companies and their domains, deals and their contacts, interaction_companies
and interaction_deals. Added columns: contacts.company_id, projects.deal_association
('none' for existing projects), messages.html and messages.headers (empty for messages
recorded before: their HTML was never kept).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011_companies_deals'
down_revision = '0010_tokens'
branch_labels = None
depends_on = None


def _create_companies() -> None:
    op.create_table(
        'companies',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('project_id', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_companies_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_companies')),
        sa.UniqueConstraint('project_id', 'external_id', name=op.f('uq_companies_project_id')),
    )
    op.create_index('ix_companies_project_id', 'companies', ['project_id', 'id'])
    op.create_table(
        'company_domains',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('company_id', sa.String(length=32), nullable=False),
        sa.Column('project_id', sa.String(length=32), nullable=False),
        sa.Column('domain', sa.String(length=253), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_domains_company_id_companies'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_company_domains_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_company_domains')),
    )
    op.create_index(op.f('ix_company_domains_company_id'), 'company_domains', ['company_id'])
    op.create_index('ix_company_domains_project_domain', 'company_domains',
                    ['project_id', 'domain'])


def _create_deals() -> None:
    op.create_table(
        'deals',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('project_id', sa.String(length=32), nullable=False),
        sa.Column('external_id', sa.String(length=200), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('company_id', sa.String(length=32), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_deals_company_id_companies'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_deals_project_id_projects'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
        sa.UniqueConstraint('project_id', 'external_id', name=op.f('uq_deals_project_id')),
    )
    op.create_index('ix_deals_project_id', 'deals', ['project_id', 'id'])
    op.create_table(
        'deal_contacts',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('deal_id', sa.String(length=32), nullable=False),
        sa.Column('contact_id', sa.String(length=32), nullable=False),
        sa.Column('project_id', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'],
                                name=op.f('fk_deal_contacts_contact_id_contacts'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'],
                                name=op.f('fk_deal_contacts_deal_id_deals'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_deal_contacts_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal_contacts')),
        sa.UniqueConstraint('deal_id', 'contact_id', name=op.f('uq_deal_contacts_deal_id')),
    )
    op.create_index('ix_deal_contacts_contact_status_updated', 'deal_contacts',
                    ['contact_id', 'status', 'updated_at'])


def _create_associations() -> None:
    for table, column, parent in (('interaction_companies', 'company_id', 'companies'),
                                  ('interaction_deals', 'deal_id', 'deals')):
        op.create_table(
            table,
            sa.Column('interaction_id', sa.String(length=32), nullable=False),
            sa.Column(column, sa.String(length=32), nullable=False),
            sa.Column('project_id', sa.String(length=32), nullable=False),
            sa.Column('logged_at', sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint([column], [f'{parent}.id'],
                                    name=op.f(f'fk_{table}_{column}_{parent}'),
                                    ondelete='CASCADE'),
            sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'],
                                    name=op.f(f'fk_{table}_interaction_id_interactions'),
                                    ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('interaction_id', column, name=op.f(f'pk_{table}')),
        )
    op.create_index('ix_interaction_companies_company_logged', 'interaction_companies',
                    ['company_id', 'logged_at', 'interaction_id'])
    op.create_index('ix_interaction_deals_deal_logged', 'interaction_deals',
                    ['deal_id', 'logged_at', 'interaction_id'])


def upgrade() -> None:
    _create_companies()
    _create_deals()
    _create_associations()
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('company_id', sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contacts_company_id_companies'), 'companies',
                                    ['company_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deal_association', sa.String(length=32),
                                      server_default='none', nullable=False))
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.alter_column('deal_association', server_default=None)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))
    op.execute("UPDATE messages SET headers = '[]' WHERE headers IS NULL")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.alter_column('headers', existing_type=sa.JSON(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('headers')
        batch_op.drop_column('html')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('deal_association')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint('fk_contacts_company_id_companies', type_='foreignkey')
        batch_op.drop_column('company_id')
    for table in ('interaction_deals', 'interaction_companies', 'deal_contacts', 'deals',
                  'company_domains', 'companies'):
        op.drop_table(table)
