"""The store's connections: a burst opens them once, not per use; SQLite syncs each commit."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from store.database import POOL_SIZE, create_engine, create_sessionmaker, read_only_session


async def test_bursts_reuse_the_pooled_connections(database_url: str) -> None:
    engine = create_engine(database_url)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda connection, _record: opened.append(1))
    sessionmaker = create_sessionmaker(engine)

    async def one_read() -> None:
        async with read_only_session(sessionmaker) as session:
            await session.execute(text("SELECT 1"))
            await asyncio.sleep(0.01)  # all of the burst hold a connection at once

    for _burst in range(3):
        await asyncio.gather(*(one_read() for _ in range(POOL_SIZE + 5)))
    await engine.dispose()
    # SQLAlchemy's default pool closed every overflow connection when it was returned.
    assert len(opened) == POOL_SIZE


async def test_sqlite_commits_are_on_disk_before_they_return(database_url: str) -> None:
    """A spool commit answered with 250 survives a power loss: SQLite syncs every commit."""
    engine = create_engine(database_url)
    if engine.dialect.name != "sqlite":
        await engine.dispose()
        pytest.skip("PostgreSQL syncs commits unless its server is told otherwise")
    sessionmaker = create_sessionmaker(engine)
    levels = []
    for _ in range(3):
        async with sessionmaker.begin() as session:
            levels.append(await session.scalar(text("PRAGMA synchronous")))
            levels.append(await session.scalar(text("PRAGMA journal_mode")))
    await engine.dispose()
    assert levels == [2, "wal"] * 3  # 2 = FULL
