"""A store written by an earlier release upgrades to the newest schema with its rows intact."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, Boolean, Connection, Integer, LargeBinary, MetaData, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import DateTime

from store.database import Store, create_engine
from store.models import (
    Base,
    Decision,
    Interaction,
    Message,
    ReceivedMessage,
    Thread,
    User,
)
from store.schema import alembic_config, migrate

RAW = b"From: bob@client.test\r\nSubject: kept\r\n\r\nThe upgrade keeps this.\r\n"
OFFER, PLAN = "<offer@acme.test>", "<plan@acme.test>"
# Two conversations, each row referring to the ones before it, so an upgrade that drops and
# rebuilds a table meets them all. Written before messages and threads belonged to a
# project: the offer's one message row is logged in two projects; the plan's thread is
# pending between them (its received message is the one waiting for the assignment).
ROWS: list[tuple[str, dict[str, object]]] = [
    ("projects", {"id": "project-1", "slug": "one"}),
    ("projects", {"id": "project-2", "slug": "two"}),
    # From revision 0008 on, threads and messages belong to a project.
    ("threads", {"id": "thread-1", "status": "open", "project_id": "project-1",
                 "root_id": OFFER}),
    ("threads", {"id": "thread-2", "status": "pending", "pending_message_ref": "message-2",
                 "project_id": "project-1", "root_id": PLAN,
                 "candidate_project_ids": ["project-1", "project-2"]}),
    ("messages", {"id": "message-1", "message_id": OFFER, "thread_id": "thread-1",
                  "project_id": "project-1"}),
    ("messages", {"id": "message-2", "message_id": PLAN, "thread_id": "thread-2",
                  "project_id": "project-1"}),
    ("contacts", {"id": "contact-1", "project_id": "project-1"}),
    ("contacts", {"id": "contact-2", "project_id": "project-2"}),
    ("interactions", {"id": "interaction-1", "project_id": "project-1",
                      "contact_id": "contact-1", "message_ref": "message-1",
                      "thread_id": "thread-1"}),
    ("interactions", {"id": "interaction-2", "project_id": "project-2",
                      "contact_id": "contact-2", "message_ref": "message-1",
                      "thread_id": "thread-1"}),
    ("received_messages", {"id": "received-1", "message_ref": "message-1", "raw": RAW,
                           "size": len(RAW), "status": "done"}),
    ("received_messages", {"id": "received-2", "message_ref": "message-2", "raw": RAW,
                           "size": len(RAW), "status": "done"}),
    ("decisions", {"id": "decision-1", "received_message_id": "received-1"}),
    ("decisions", {"id": "decision-2", "received_message_id": "received-2"}),
    # From revision 0004 on, the raw bytes have a table of their own.
    ("received_raws", {"received_message_id": "received-1", "raw": RAW}),
    ("received_raws", {"received_message_id": "received-2", "raw": RAW}),
]


# The first revision whose stores ROWS (written before messages and threads belonged to a
# project) no longer fit; every earlier one upgrades through all later migrations.
PER_PROJECT = "0008_project_messages"


def _revisions() -> list[str]:
    """Every revision before PER_PROJECT, newest first."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [revision.revision for revision in script.walk_revisions()]  # newest first
    return revisions[revisions.index(PER_PROJECT) + 1:]


def _revisions_from_0008() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    newest_first = [revision.revision for revision in script.walk_revisions()]
    return newest_first[1:newest_first.index(PER_PROJECT) + 1]  # but head


def _value(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, JSON):
        return []
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return 0
    if isinstance(kind, DateTime):
        return datetime(2026, 1, 1, tzinfo=UTC)
    if isinstance(kind, LargeBinary):
        return b""
    return "x"


def _write_rows(connection: Connection) -> None:
    tables = MetaData()
    tables.reflect(connection)
    for name, given in ROWS:
        if name not in tables.tables:
            continue
        table = tables.tables[name]
        row = {column.name: given.get(column.name, _value(column))
               for column in table.columns if not column.nullable or column.name in given}
        connection.execute(table.insert(), row)


@pytest.mark.parametrize("revision", _revisions())
def test_store_of_an_earlier_revision_upgrades_with_its_rows(
        database_url: str, revision: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        _write_rows(connection)

    migrate(engine)

    store = Store(engine)
    try:
        with store.read() as session:
            _check_received(session)
            # Rows written before messages belonged to a project are split by 0008.
            if revision < "0008":
                _check_logged_in_each_project(session)
                _check_pending_in_each_candidate(session)
    finally:
        store.close()


def _check_received(session: Session) -> None:
    """The received messages keep their bytes and decisions."""
    for received_id in ("received-1", "received-2"):
        received = session.get(ReceivedMessage, received_id)
        assert received is not None and received.raw == RAW
        assert received.size == len(RAW)
    assert sorted(session.scalars(select(Decision.received_message_id)).all()) == [
        "received-1", "received-2"]


def _check_logged_in_each_project(session: Session) -> None:
    """The offer, logged in two projects, is a message and a thread in each (SPEC §9).

    The message keeps the capture that recorded it (the received message's `message_ref`,
    gone since 0008): its decision is the one told when the Message-ID is reused.
    """
    message = session.get(Message, "message-1")
    assert message is not None
    assert (message.project_id, message.thread_id, message.received_id, message.fingerprint
            ) == ("project-1", "thread-1", "received-1", None)
    thread = session.get(Thread, "thread-1")
    assert thread is not None and (thread.project_id, thread.root_id) == ("project-1", OFFER)
    [copy] = session.scalars(select(Message).where(Message.message_id == OFFER,
                                                   Message.project_id == "project-2")).all()
    assert copy.received_id == "received-1"
    copy_thread = session.get(Thread, copy.thread_id)
    assert copy_thread is not None
    assert (copy_thread.project_id, copy_thread.root_id) == ("project-2", OFFER)
    assert thread.pending_received_ids == copy_thread.pending_received_ids == []
    interactions = {i.id: (i.project_id, i.message_ref, i.thread_id)
                    for i in session.scalars(select(Interaction))}
    assert interactions == {"interaction-1": ("project-1", "message-1", "thread-1"),
                            "interaction-2": ("project-2", copy.id, copy.thread_id)}


def _check_pending_in_each_candidate(session: Session) -> None:
    """The plan's pending thread is a sibling in each candidate project, waiting for the
    received message that made it pending."""
    threads = session.scalars(select(Thread).where(Thread.root_id == PLAN)
                              .order_by(Thread.project_id)).all()
    assert [(t.project_id, t.status, t.pending_received_ids) for t in threads] == [
        ("project-1", "pending", ["received-2"]), ("project-2", "pending", ["received-2"])]
    assert threads[0].id == "thread-2"
    assert all(sorted(t.candidate_project_ids) == ["project-1", "project-2"] for t in threads)
    messages = session.scalars(select(Message).where(Message.message_id == PLAN)
                               .order_by(Message.project_id)).all()
    assert [(m.project_id, m.thread_id) for m in messages] == [
        (t.project_id, t.id) for t in threads]


def test_a_per_project_store_gains_companies_deals_and_message_headers(
        database_url: str) -> None:
    """0011 (SPEC §12): existing rows keep their values; the new columns start empty."""
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), PER_PROJECT)
        tables = MetaData()
        tables.reflect(connection)
        for name, given in [
                ("projects", {"id": "project-1", "slug": "one"}),
                ("threads", {"id": "thread-1", "project_id": "project-1", "root_id": OFFER}),
                ("messages", {"id": "message-1", "project_id": "project-1",
                              "message_id": OFFER, "thread_id": "thread-1"}),
                ("contacts", {"id": "contact-1", "project_id": "project-1"})]:
            table = tables.tables[name]
            connection.execute(table.insert(), {
                column.name: given.get(column.name, _value(column))
                for column in table.columns if not column.nullable or column.name in given})

    migrate(engine)

    with engine.connect() as connection:
        tables = MetaData()
        tables.reflect(connection)
        assert connection.execute(select(tables.tables["projects"].c.deal_association)
                                  ).scalar_one() == "none"
        assert connection.execute(select(tables.tables["contacts"].c.company_id)
                                  ).scalar_one() is None
        messages = tables.tables["messages"].c
        assert connection.execute(select(messages.html, messages.headers)).one() == (None, [])
    engine.dispose()


@pytest.mark.parametrize("revision", _revisions_from_0008())
def test_store_from_0008_upgrades_with_its_rows(database_url: str, revision: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
        tables = MetaData()
        tables.reflect(connection)
        for name, given in [("users", {"id": "user-1", "email": "alice@acme.test"}),
                            *ROWS[-6:]]:  # received messages, decisions, raws
            table = tables.tables[name]
            connection.execute(table.insert(), {
                column.name: given.get(column.name, _value(column)) for column in table.columns
                if not column.nullable or column.name in given})

    migrate(engine)

    store = Store(engine)
    try:
        with store.read() as session:
            _check_received(session)
            user = session.get(User, "user-1")
            assert user is not None and user.email == "alice@acme.test"
    finally:
        store.close()


def test_the_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    """A change to the models without its migration would reach no existing store."""
    engine = create_engine(database_url)
    migrate(engine)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert list(compare_metadata(context, Base.metadata)) == []
    engine.dispose()
