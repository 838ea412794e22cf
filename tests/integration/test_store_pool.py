"""The store's connections: a burst opens them once, not per use; SQLite syncs each commit."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from store.database import POOL_SIZE, Store, create_engine


async def test_bursts_reuse_the_pooled_connections(database_url: str) -> None:
    store = Store(create_engine(database_url))
    opened: list[object] = []
    event.listen(store.engine, "connect", lambda connection, _record: opened.append(1))
    # Every unit of work of a generation holds its connection until all of them have one.
    together = threading.Barrier(POOL_SIZE, timeout=30)

    def one_read(session: Session) -> None:
        session.execute(text("SELECT 1"))
        together.wait()

    for _burst in range(3):
        await asyncio.gather(*(store.run_read(one_read) for _ in range(2 * POOL_SIZE)))
    store.close()
    # Each connection was kept when returned, and used again by the next units of work.
    assert len(opened) == POOL_SIZE


def test_sqlite_commits_are_on_disk_before_they_return(database_url: str) -> None:
    """A spool commit answered with 250 survives a power loss: SQLite syncs every commit."""
    store = Store(create_engine(database_url))
    if not store.is_sqlite:
        store.close()
        pytest.skip("PostgreSQL syncs commits unless its server is told otherwise")
    levels = []
    for _ in range(3):
        with store.write() as session:
            levels.append(session.scalar(text("PRAGMA synchronous")))
            levels.append(session.scalar(text("PRAGMA journal_mode")))
    store.close()
    assert levels == [2, "wal"] * 3  # 2 = FULL
