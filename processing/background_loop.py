"""An event loop in a thread of its own, for the asynchronous look-ups of synchronous code.

The processing steps are synchronous (a worker is a CPU-bound loop over claims), but sender
verification awaits DNS answers: a claim's look-ups run together on this loop. It starts on
first use, so a process that never verifies a sender never starts the thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    """Run coroutines to completion from any thread, on one loop in a daemon thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run the coroutine on the loop and return its result (or raise what it raised)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._running()).result()

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=_run, args=(loop,), name="blindcopy-dns",
                                 daemon=True).start()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        """Stop the loop; a coroutine still running on it is cancelled (its caller gets
        CancelledError rather than waiting for ever)."""
        with self._lock:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(_cancel_and_stop, self._loop)
                self._loop = None


def _run(loop: asyncio.AbstractEventLoop) -> None:
    """Run the loop until `close` stops it, then close it (its sockets and executor)."""
    try:
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()


def _cancel_and_stop(loop: asyncio.AbstractEventLoop) -> None:
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.stop()
