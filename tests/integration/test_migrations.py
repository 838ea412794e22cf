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
from sqlalchemy.sql.sqltypes import DateTime

from store.database import create_engine, create_sessionmaker
from store.models import Base, Decision, Message, ReceivedMessage, Thread
from store.schema import alembic_config, migrate

RAW = b"From: bob@client.test\r\nSubject: kept\r\n\r\nThe upgrade keeps this.\r\n"
# A thread, its message, the received message that logged it and its decision: each
# refers to the one before, so an upgrade that drops and rebuilds a table meets them all.
ROWS: dict[str, dict[str, object]] = {
    "threads": {"id": "thread-1"},
    "messages": {"id": "message-1", "thread_id": "thread-1"},
    "received_messages": {"id": "received-1", "message_ref": "message-1", "raw": RAW,
                          "status": "done"},
    "decisions": {"id": "decision-1", "received_message_id": "received-1"},
    # From revision 0004 on, the raw bytes have a table of their own.
    "received_raws": {"received_message_id": "received-1", "raw": RAW},
}


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return [revision.revision for revision in script.walk_revisions()][1:]  # all but head


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
    for name, given in ROWS.items():
        if name not in tables.tables:
            continue
        table = tables.tables[name]
        row = {column.name: given.get(column.name, _value(column))
               for column in table.columns if not column.nullable or column.name in given}
        connection.execute(table.insert(), row)


@pytest.mark.parametrize("revision", _revisions())
async def test_store_of_an_earlier_revision_upgrades_with_its_rows(
        database_url: str, revision: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(alembic_config(sync), revision))
        await connection.run_sync(_write_rows)

    await migrate(engine)

    async with create_sessionmaker(engine)() as session:
        received = await session.get(ReceivedMessage, "received-1")
        assert received is not None and received.raw == RAW
        assert received.size == len(RAW)
        assert received.message_ref == "message-1"
        message = await session.get(Message, "message-1")
        assert message is not None and message.thread_id == "thread-1"
        assert await session.get(Thread, "thread-1") is not None
        assert (await session.scalars(select(Decision.received_message_id))).all() == [
            "received-1"]
    await engine.dispose()


async def test_the_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    """A change to the models without its migration would reach no existing store."""
    engine = create_engine(database_url)
    await migrate(engine)

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []
    await engine.dispose()
