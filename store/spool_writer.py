"""Group commit for the spool: messages from concurrent SMTP sessions share transactions.

Every SMTP session's DATA waits for the commit of its own message before it answers 250;
with one transaction per message, twenty sessions queue twenty times for SQLite's single
write lock (and PostgreSQL's commit flush). The writer commits everything that arrived while
the previous commit ran in one transaction, and each session still answers only after the
transaction holding its message committed. A batch the store refuses for its data (a
constraint, a trigger) is written again one message at a time, so only the message at
fault is refused; a store outage refuses the whole batch at once (every sender retries).
The commits run in one thread of the writer's own, with its own connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from store import spool
from store.database import Store, is_store_outage
from store.models import ReceivedMessage

log = logging.getLogger("blindcopy.spool")
# Messages per transaction: bounds the transaction's size (10 KB–30 MB each) and how long
# the write lock is held at once.
MAX_BATCH_MESSAGES = 64

# One message: its rows (one per channel), committed together or not at all.
_Entry = tuple[list[ReceivedMessage], "asyncio.Future[None]"]


class SpoolWriter:
    """Commit spooled messages, grouping the ones that arrive together."""

    def __init__(self, store: Store, max_batch: int = MAX_BATCH_MESSAGES) -> None:
        self.store = store
        self.max_batch = max_batch
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="spool-writer")
        self._waiting: list[_Entry] = []
        self._committing: asyncio.Task[None] | None = None

    async def write(self, rows: list[ReceivedMessage]) -> None:
        """Return once the message's rows are committed; raise what the store raised."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, future))
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_waiting())
        try:
            # A session that goes away (timeout, disconnect) cancels no one else's commit.
            await asyncio.shield(future)
        except asyncio.CancelledError:
            future.add_done_callback(_retrieve)
            raise

    async def _commit_waiting(self) -> None:
        while self._waiting:
            batch = self._waiting[: self.max_batch]
            del self._waiting[: self.max_batch]
            await self._commit_batch(batch)

    async def _commit_batch(self, batch: Sequence[_Entry]) -> None:
        try:
            await self._insert([row for rows, _ in batch for row in rows])
        except Exception as error:  # noqa: BLE001 - every waiting session gets its answer
            if len(batch) == 1 or is_store_outage(error):
                _settle(batch, error)
                return
            log.warning("spool batch refused; writing its messages one by one",
                        extra={"messages": len(batch)})
            for entry in batch:
                await self._commit_batch([entry])
            return
        _settle(batch, None)

    async def _insert(self, rows: list[ReceivedMessage]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._commit, rows)

    def _commit(self, rows: list[ReceivedMessage]) -> None:
        with self.store.write() as session:
            spool.insert_queued(session, rows)

    def close(self) -> None:
        """Wait for a commit under way, then stop the writer's thread."""
        self._thread.shutdown(wait=True)


def _settle(batch: Sequence[_Entry], error: BaseException | None) -> None:
    for _rows, future in batch:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def _retrieve(future: asyncio.Future[None]) -> None:
    """Read the outcome nobody waits for any more (asyncio would log it as lost)."""
    if not future.cancelled():
        future.exception()
