"""Accept failures (out of file descriptors) logged once a second with a count.

When accept() fails for lack of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM), asyncio logs
the error with a traceback, and it tries up to 100 accepts per loop iteration: 1,200
connections at a 1,024-file limit wrote 116 MB of tracebacks in a minute. This handler of
the event loop's exceptions writes one line for the first failure and then at most one a
second saying how many more there were; everything else goes to the previous handler.
The connection caps (`blindcopy.open_files`) keep this from happening in the first place.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
from typing import Any

log = logging.getLogger("blindcopy")
RESOURCE_ERRNOS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
INTERVAL_SECONDS = 1.0


class AcceptFailureLog:
    """An event loop exception handler that summarises accept failures."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.previous = loop.get_exception_handler()
        self.unreported = 0
        self.last_error = ""
        self._report: asyncio.TimerHandle | None = None

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if not (isinstance(error, OSError) and error.errno in RESOURCE_ERRNOS
                and str(context.get("message", "")).startswith("socket.accept()")):
            self._pass_on(context)
            return
        self.last_error = os.strerror(error.errno or 0)
        if self._report is not None:
            self.unreported += 1
            return
        log.error("accepting a connection failed", extra={"failures": 1,
                                                           "error": self.last_error})
        self._report = loop.call_later(INTERVAL_SECONDS, self._report_unreported)

    def _report_unreported(self) -> None:
        self._report = None
        if not self.unreported:
            return
        log.error("accepting connections failed", extra={
            "failures": self.unreported, "seconds": INTERVAL_SECONDS, "error": self.last_error})
        self.unreported = 0
        self._report = self.loop.call_later(INTERVAL_SECONDS, self._report_unreported)

    def _pass_on(self, context: dict[str, Any]) -> None:
        if self.previous is not None:
            self.previous(self.loop, context)
        else:
            self.loop.default_exception_handler(context)


def summarise_accept_failures(loop: asyncio.AbstractEventLoop) -> None:
    """Install the summarising handler on `loop` (once)."""
    if not isinstance(loop.get_exception_handler(), AcceptFailureLog):
        loop.set_exception_handler(AcceptFailureLog(loop))
