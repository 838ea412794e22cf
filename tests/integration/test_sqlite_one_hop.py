"""SQLite statements through one-hop cursors behave as SQLAlchemy's stock aiosqlite cursors.

Always on a SQLite file (whatever BLINDCOPY_TEST_DATABASE_URL says): the one-hop cursor is
SQLite's alone. The rest of the suite runs on it too when the tests run on SQLite.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from store.database import create_engine
from store.sqlite_one_hop import SUPPORTED, OneHopConnection, use_one_hop_cursors


@pytest.fixture(params=["one_hop", "stock"])
async def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path
                        ) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'one_hop.db'}")
    if request.param == "stock":
        event.remove(engine.sync_engine, "connect", use_one_hop_cursors)
    async with engine.begin() as connection:
        await connection.exec_driver_sql(
            "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
    yield engine
    await engine.dispose()


def test_the_installed_aiosqlite_takes_one_hop_cursors() -> None:
    # aiosqlite is pinned to the releases whose thread entry point this uses.
    assert SUPPORTED


async def test_engine_connections_use_one_hop_cursors(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'kind.db'}")
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert type(raw.dbapi_connection) is OneHopConnection
    await engine.dispose()


async def test_rows_counts_and_row_ids(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.begin() as connection:
        inserted = await connection.execute(
            text("INSERT INTO item (name) VALUES (:name)"), [{"name": "a"}, {"name": "b"}])
        assert inserted.rowcount == 2
        one = await connection.execute(text("INSERT INTO item (name) VALUES ('c')"))
        assert one.lastrowid == 3
        returned = await connection.execute(
            text("UPDATE item SET name = name || '!' WHERE id > 1 RETURNING id, name"))
        assert sorted(returned.all()) == [(2, "b!"), (3, "c!")]
        updated = await connection.execute(text("UPDATE item SET name = 'z' WHERE id = 99"))
        assert updated.rowcount == 0
    async with sqlite_engine.connect() as connection:
        rows = await connection.execute(text("SELECT id, name FROM item ORDER BY id"))
        assert list(rows.keys()) == ["id", "name"]
        assert rows.all() == [(1, "a"), (2, "b!"), (3, "c!")]
        assert (await connection.execute(text("SELECT name FROM item WHERE id = 99"))
                ).first() is None


async def test_errors_and_rollback(sqlite_engine: AsyncEngine) -> None:
    async with sqlite_engine.connect() as connection:
        with pytest.raises(OperationalError):
            await connection.execute(text("SELECT nope FROM item"))
    with pytest.raises(IntegrityError):
        async with sqlite_engine.begin() as connection:
            await connection.execute(text("INSERT INTO item (name) VALUES ('a')"))
            await connection.execute(text("INSERT INTO item (name) VALUES ('a')"))
    async with sqlite_engine.connect() as connection:
        count = await connection.scalar(text("SELECT count(*) FROM item"))
    assert count == 0
