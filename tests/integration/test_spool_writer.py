"""Group commit: messages written together share one transaction; each waits for its commit."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from store.database import Store
from store.models import ReceivedMessage
from store.spool_writer import SpoolWriter
from tests.directory import email


def _rows(number: int) -> list[ReceivedMessage]:
    raw = email("alice@acme.test", "bob@client.test", f"Offer {number}",
                message_id=f"<writer-{number}@acme.test>")
    return [ReceivedMessage(channel="bcc", raw=raw, mail_from="alice@acme.test",
                            rcpt_to=["acme.x@in.blindcopy.test"], project_ids=[])]


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ReceivedMessage)) or 0)


async def test_messages_written_together_share_one_commit(engine: Engine, store: Store) -> None:
    commits: list[int] = []
    event.listen(engine, "commit", lambda _connection: commits.append(1))
    writer = SpoolWriter(store, max_batch=4)

    await asyncio.gather(*(writer.write(_rows(n)) for n in range(10)))
    writer.close()

    # 10 messages waiting at once, at most 4 per transaction: 3 commits, not 10.
    assert len(commits) == 3
    assert await store.run_read(_count) == 10


async def test_each_writer_returns_only_after_its_message_is_committed(store: Store) -> None:
    writer = SpoolWriter(store)
    seen: list[int] = []

    async def write_then_count(number: int) -> None:
        await writer.write(_rows(number))
        seen.append(await store.run_read(_count))

    await asyncio.gather(*(write_then_count(n) for n in range(5)))
    writer.close()

    # Whenever a writer returned, its message (and its batch) was already in the store.
    assert len(seen) == 5 and min(seen) >= 1 and await store.run_read(_count) == 5
