"""The store's connection pool keeps its connections: a burst opens them once, not per use."""

from __future__ import annotations

import asyncio

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
