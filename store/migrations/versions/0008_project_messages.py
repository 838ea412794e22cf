"""messages and threads belong to one project each; emails told apart by fingerprint

Revision ID: 0008_project_messages
Revises: 0007_received_size
Create Date: 2026-12-03 15:00:00

Until now one message row (and one thread) was shared by every project that logged a
Message-ID, so a capture in one project showed another's content (SPEC §9). Existing rows
are split: a message gets a row in each project that logged it (or where its pending thread
is pending), a thread a row in each project of its messages; a message no project logged is
dropped (its decision and raw bytes stay with the received message). Their fingerprints are
unknown (NULL): the next capture of such a Message-ID in that project is taken for the same
email and its fingerprint kept.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0008_project_messages'
down_revision = '0007_received_size'
branch_labels = None
depends_on = None


def _table(name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), autoload_with=op.get_bind())


def _split(connection: sa.Connection, rows: sa.Table, projects_of: dict[str, list[str]],
           repoint: list[tuple[sa.Table, str]]) -> None:
    """Give each row a project: the first in place, a copy for each other; drop the rest.

    `repoint`: (table, column) referring to the rows; a copy's referrers in its project are
    pointed at the copy.
    """
    for row in connection.execute(sa.select(rows)).mappings().all():
        projects = projects_of.get(row["id"], [])
        if not projects:
            connection.execute(rows.delete().where(rows.c.id == row["id"]))
            continue
        connection.execute(rows.update().where(rows.c.id == row["id"])
                           .values(project_id=projects[0]))
        for project_id in projects[1:]:
            copy = {**row, "id": uuid.uuid4().hex, "project_id": project_id}
            connection.execute(rows.insert().values(copy))
            for table, column in repoint:
                connection.execute(table.update().where(
                    table.c[column] == row["id"], table.c.project_id == project_id)
                    .values({column: copy["id"]}))


def _projects_of_messages(connection: sa.Connection) -> dict[str, list[str]]:
    interactions, messages, threads = _table('interactions'), _table('messages'), _table('threads')
    found: dict[str, set[str]] = defaultdict(set)
    for message_ref, project_id in connection.execute(
            sa.select(interactions.c.message_ref, interactions.c.project_id)):
        found[message_ref].add(project_id)
    pending = sa.select(messages.c.id, threads.c.candidate_project_ids).join(
        threads, threads.c.id == messages.c.thread_id).where(threads.c.status == 'pending')
    for message_ref, candidates in connection.execute(pending):
        found[message_ref].update(candidates or [])
    return {ref: sorted(projects) for ref, projects in found.items()}


def _split_rows(connection: sa.Connection) -> None:
    interactions, messages = _table('interactions'), _table('messages')
    _split(connection, messages, _projects_of_messages(connection),
           [(interactions, 'message_ref')])
    threads: dict[str, set[str]] = defaultdict(set)
    for thread_id, project_id in connection.execute(
            sa.select(messages.c.thread_id, messages.c.project_id)):
        threads[thread_id].add(project_id)
    _split(connection, _table('threads'), {t: sorted(p) for t, p in threads.items()},
           [(messages, 'thread_id'), (interactions, 'thread_id')])


def _carry_references(connection: sa.Connection) -> None:
    """Keep what received messages' message_ref told: first captures and pending ones."""
    received, messages, threads = (_table('received_messages'), _table('messages'),
                                   _table('threads'))
    by_message: dict[str, list[str]] = defaultdict(list)
    for received_id, message_ref in connection.execute(
            sa.select(received.c.id, received.c.message_ref)
            .where(received.c.message_ref.is_not(None)).order_by(received.c.received_at)):
        by_message[message_ref].append(received_id)
    rows = connection.execute(sa.select(
        messages.c.id, messages.c.message_id, threads.c.id, threads.c.status,
        threads.c.pending_message_ref, threads.c.root_id)
        .join(threads, threads.c.id == messages.c.thread_id)).all()
    for message_ref, message_id, thread_id, status, pending_ref, root_id in rows:
        # Before the split: the copies it makes keep these values.
        captures = by_message.get(message_ref, [])
        if captures:
            connection.execute(messages.update().where(messages.c.id == message_ref)
                               .values(received_id=captures[0]))
        values: dict[str, Any] = {}
        if root_id is None:
            values["root_id"] = message_id
        if status == 'pending' and pending_ref == message_ref:
            values["pending_received_ids"] = captures
        if values:
            connection.execute(threads.update().where(threads.c.id == thread_id).values(values))


def upgrade() -> None:
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('pending_received_ids', sa.JSON(), nullable=True))
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('fingerprint', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('received_id', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('original_verified', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.drop_constraint('uq_messages_message_id', type_='unique')
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_constraint('uq_threads_root_id', type_='unique')
    op.execute("UPDATE threads SET pending_received_ids = '[]' "
               "WHERE pending_received_ids IS NULL")
    connection = op.get_bind()
    _carry_references(connection)
    _split_rows(connection)
    with op.batch_alter_table('threads', schema=None) as batch_op:
        batch_op.drop_column('pending_message_ref')
        batch_op.alter_column('project_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('root_id', existing_type=sa.String(length=998), nullable=False)
        batch_op.alter_column('pending_received_ids', existing_type=sa.JSON(), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_threads_project_id_projects'), 'projects',
                                    ['project_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_threads_project_id'),
                                          ['project_id', 'root_id'])
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.alter_column('project_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('original_verified', server_default=None)
        batch_op.create_foreign_key(batch_op.f('fk_messages_project_id_projects'), 'projects',
                                    ['project_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_messages_project_id'),
                                          ['project_id', 'message_id', 'fingerprint'])
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_received_messages_message_ref')
        batch_op.drop_constraint('fk_received_messages_message_ref_messages', type_='foreignkey')
        batch_op.drop_column('message_ref')


def downgrade() -> None:
    # Rows split per project cannot be told apart again: this revision is one way.
    raise RuntimeError("0008 splits rows per project; restore a backup to go back")
