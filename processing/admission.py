"""Admission of synchronous captures (Log button, mailbox sync): a bounded gate.

Each synchronous capture holds store connections and CPU until its decision is recorded. Past
the point where the process is saturated, taking more only makes every caller wait (at 200
req/s on a 2-CPU machine, minutes) until the connection pool times out. The gate lets
`limit` captures run at once and `limit` more wait their turn; any further one is refused at
once with `Unavailable` (503 + Retry-After). The API asks before it authenticates or spools
anything, so the client repeats the request and nothing is half-done.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from store.errors import Unavailable

RETRY_AFTER_SECONDS = 1


class CaptureGate:
    """Let `limit` captures run at once and `limit` more wait; refuse the rest."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._running = asyncio.Semaphore(limit)
        self._admitted = 0

    @property
    def admitted(self) -> int:
        """Return how many captures are running or waiting."""
        return self._admitted

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        """Hold a place for one capture, or raise Unavailable when the queue is full."""
        if self._admitted >= 2 * self.limit:
            raise Unavailable("Too many messages are being logged right now; try again shortly.",
                              retry_after=RETRY_AFTER_SECONDS)
        self._admitted += 1
        try:
            async with self._running:
                yield
        finally:
            self._admitted -= 1
