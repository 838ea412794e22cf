"""SQLite statements through one-hop cursors behave as SQLAlchemy's stock aiosqlite cursors,
and only what can wait on a lock takes a hop into aiosqlite's thread.

Always on a SQLite file (whatever BLINDCOPY_TEST_DATABASE_URL says): the one-hop cursor is
SQLite's alone. The rest of the suite runs on it too when the tests run on SQLite.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
import sqlalchemy.connectors.asyncio as sqlalchemy_asyncio
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from store import sqlite_one_hop
from store.database import create_engine, create_sessionmaker, read_only_session
from store.sqlite_one_hop import (
    IN_THREAD,
    INLINE_PARAMETER_BYTES,
    SUPPORTED,
    OneHopConnection,
    use_one_hop_cursors,
)


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


ITEMS = "CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT)"


async def _store_with(path: Path, table: str
                      ) -> tuple[AsyncEngine, async_sessionmaker[AsyncSession]]:
    """Return an engine and session factory on a new SQLite file holding `table` (DDL)."""
    engine = create_engine(f"sqlite:///{path}")
    async with engine.begin() as connection:
        await connection.exec_driver_sql(table)
    return engine, create_sessionmaker(engine)


def _count_hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record each call aiosqlite's thread runs (its function, and its SQL if any)."""
    hops: list[str] = []
    run_in_thread = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        # The one-hop cursor runs its calls wrapped: (state, call, *call's arguments).
        call, call_args = (args[1], args[2:]) if fn.__name__ == "_ended_hop" else (fn, args)
        sql = call_args[1] if len(call_args) > 1 and isinstance(call_args[1], str) else ""
        hops.append(f"{call.__name__} {sql}".strip())
        return await run_in_thread(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return hops


async def test_reads_and_statements_under_the_write_lock_take_no_hop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, sessions = await _store_with(tmp_path / "inline.db", ITEMS)
    hops = _count_hops(monkeypatch)
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO item (name) VALUES ('a'), ('b')"))
        await session.execute(text("UPDATE item SET name = 'c' WHERE id = 2"))
        assert (await session.scalar(text("SELECT count(*) FROM item"))) == 2
    # The write lock was free, so BEGIN IMMEDIATE took it at once; COMMIT may checkpoint.
    assert hops == ["commit"]
    hops.clear()
    async with read_only_session(sessions) as session:
        names = (await session.scalars(text("SELECT name FROM item ORDER BY id"))).all()
    assert names == ["a", "c"]
    assert hops == []
    await engine.dispose()


async def test_an_inline_statement_switches_to_the_event_loop_once(
        sqlite_engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    # SQLAlchemy's adapter awaits each cursor call by switching to the loop's greenlet:
    # making the cursor, executing and closing it. One-hop cursors await the execution only.
    awaits: list[str] = []
    stock_await = sqlalchemy_asyncio.await_

    def counted(awaitable: Any) -> Any:
        awaits.append(getattr(awaitable, "__qualname__", type(awaitable).__name__))
        return stock_await(awaitable)

    one_hop = type(await _raw_connection(sqlite_engine)) is OneHopConnection
    monkeypatch.setattr(sqlalchemy_asyncio, "await_", counted)
    sessions = create_sessionmaker(sqlite_engine)
    async with read_only_session(sessions) as session:
        def read(sync_session: Any) -> list[Any]:
            connection = sync_session.connection()
            awaits.clear()
            return [connection.execute(text("SELECT count(*) FROM item")).scalar()
                    for _ in range(5)]
        assert await session.run_sync(read) == [0] * 5
    executions = [name for name in awaits if name.endswith("._execute_async")]
    assert len(executions) == 5
    assert len(awaits) == 5 if one_hop else len(awaits) >= 15, awaits


async def _raw_connection(engine: AsyncEngine) -> Any:
    async with engine.connect() as connection:
        return (await connection.get_raw_connection()).dbapi_connection


async def test_large_values_and_statements_marked_in_thread_take_their_hop(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine, sessions = await _store_with(tmp_path / "hop.db",
                                         "CREATE TABLE blob (id INTEGER PRIMARY KEY, raw BLOB)")
    hops = _count_hops(monkeypatch)
    raw = bytes(range(256)) * (INLINE_PARAMETER_BYTES // 256 + 1)
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO blob (raw) VALUES (:raw)"), {"raw": raw})
        await session.execute(text("SELECT count(*) FROM blob").execution_options(
            **{IN_THREAD: True}))
    assert hops == ["_run INSERT INTO blob (raw) VALUES (?)", "_run SELECT count(*) FROM blob",
                    "commit"]
    async with read_only_session(sessions) as session:
        assert (await session.scalar(text("SELECT raw FROM blob"))) == raw
    await engine.dispose()


async def test_waiting_for_the_write_lock_leaves_the_event_loop_free(tmp_path: Path) -> None:
    # A coroutine holds the write lock across an await; another begins a write meanwhile.
    # Were its BEGIN IMMEDIATE to wait in the loop's thread, the holder could never commit.
    engine, sessions = await _store_with(tmp_path / "wait.db", ITEMS)
    events: list[str] = []
    holding = asyncio.Event()

    async def holder() -> None:
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO item (name) VALUES ('first')"))
            holding.set()
            await asyncio.sleep(0.2)
            events.append("holder commits")

    async def waiter() -> None:
        await holding.wait()
        async with sessions.begin() as session:  # BEGIN IMMEDIATE comes with the INSERT
            await session.execute(text("INSERT INTO item (name) VALUES ('second')"))
            events.append("waiter wrote")

    async def reader() -> None:
        await holding.wait()
        async with read_only_session(sessions) as session:
            count = await session.scalar(text("SELECT count(*) FROM item"))
        events.append(f"reader saw {count}")  # a WAL reader does not wait for the writer

    await asyncio.wait_for(asyncio.gather(holder(), waiter(), reader()), timeout=10)
    assert events == ["reader saw 0", "holder commits", "waiter wrote"]
    async with read_only_session(sessions) as session:
        names = (await session.scalars(text("SELECT name FROM item ORDER BY id"))).all()
    assert names == ["first", "second"]
    await engine.dispose()


@pytest.mark.parametrize("held_seconds, hops_expected", [
    (0.1, ["commit"]),  # polled from the loop: BEGIN IMMEDIATE takes no hop
    (0.4, ["_run BEGIN IMMEDIATE", "commit"]),  # past the poll limit: it waits in the thread
])
async def test_a_write_lock_held_elsewhere_is_polled_for_then_waited_for_in_the_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, held_seconds: float,
        hops_expected: list[str]) -> None:
    path = tmp_path / "polled.db"
    engine, sessions = await _store_with(path, ITEMS)
    monkeypatch.setattr(sqlite_one_hop, "BUSY_POLL_LIMIT_SECONDS", 0.2)
    hops = _count_hops(monkeypatch)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO item (name) VALUES ('first')")
    asyncio.get_running_loop().call_later(held_seconds, holder.commit)
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO item (name) VALUES ('second')"))
    holder.close()
    assert hops == hops_expected
    async with read_only_session(sessions) as session:
        names = (await session.scalars(text("SELECT name FROM item ORDER BY id"))).all()
    assert names == ["first", "second"]
    await engine.dispose()


@pytest.mark.parametrize("poll_limit", [1.0, 0.05], ids=["while polling", "in the thread"])
async def test_a_cancelled_wait_for_the_write_lock_leaves_the_event_loop_free(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, poll_limit: float) -> None:
    # Another connection holds the write lock; a write session's BEGIN IMMEDIATE waits for
    # it (polling from the loop, then in aiosqlite's thread; never blocking the loop, which
    # would stall until the lock is free) and is cancelled. The store works on once the
    # lock is free.
    path = tmp_path / "cancel.db"
    engine, sessions = await _store_with(path, ITEMS)
    monkeypatch.setattr(sqlite_one_hop, "BUSY_POLL_LIMIT_SECONDS", poll_limit)
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    loop.call_later(1.0, holder.rollback)
    gaps: list[float] = []

    async def ticker() -> None:
        last, end = loop.time(), loop.time() + 1.5
        while last < end:
            await asyncio.sleep(0.01)
            gaps.append(loop.time() - last)
            last = loop.time()

    async def writer() -> None:
        async with sessions.begin() as session:
            await session.execute(text("INSERT INTO item (name) VALUES ('never')"))

    ticking = asyncio.create_task(ticker())
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(writer(), timeout=0.2)
    await ticking
    holder.close()
    assert max(gaps) < 0.5  # blocked, the loop would have stalled until the lock was free
    async with sessions.begin() as session:
        await session.execute(text("INSERT INTO item (name) VALUES ('later')"))
    async with read_only_session(sessions) as session:
        names = (await session.scalars(text("SELECT name FROM item"))).all()
    assert names == ["later"]
    await engine.dispose()
