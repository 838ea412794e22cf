"""The open SMTP sessions of one gateway, and how they end when the service stops.

On SIGTERM the gateway stops accepting connections, then `drain`: a session waiting for a
command is answered `421 4.3.2` and closed at once (RFC 5321 §3.8: a server shutting down
says so before closing); a session in DATA may finish its message, whose reply (250 after
the spool's commit, or a refusal) is sent as usual, followed by `421 4.3.2` instead of
answering its next command. Sessions still in DATA when the grace period ends are answered
`421 4.3.2` and closed: their message is not stored, and the client sends it again.

Knows nothing of aiosmtpd: a session is anything with `in_data` and `close_for_shutdown()`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

log = logging.getLogger("blindcopy.smtp")


class StoppableSession(Protocol):
    """One SMTP connection, as the drain sees it."""

    @property
    def in_data(self) -> bool:
        """Whether a DATA exchange is under way (from the DATA command to its reply)."""

    def close_for_shutdown(self) -> None:
        """Answer 421 4.3.2 and close the connection."""


class OpenSessions:
    """The sessions open on one gateway; `drain` ends them all when the service stops."""

    def __init__(self) -> None:
        self.stopping = False
        self._open: set[StoppableSession] = set()
        self._none_open = asyncio.Event()
        self._none_open.set()

    def opened(self, session: StoppableSession) -> None:
        """Count a new connection; one accepted while stopping is told so and closed."""
        if self.stopping:
            session.close_for_shutdown()
            return
        self._open.add(session)
        self._none_open.clear()

    def closed(self, session: StoppableSession) -> None:
        """Forget a connection that ended."""
        self._open.discard(session)
        if not self._open:
            self._none_open.set()

    def after_data(self, session: StoppableSession) -> None:
        """End a session whose DATA exchange finished while stopping."""
        if self.stopping:
            session.close_for_shutdown()

    async def drain(self, grace_seconds: float) -> int:
        """Close idle sessions now, let DATA finish for `grace_seconds`; return how many were cut."""
        self.stopping = True
        for session in list(self._open):
            if not session.in_data:
                session.close_for_shutdown()
        if not self._open:
            return 0
        try:
            await asyncio.wait_for(self._none_open.wait(), grace_seconds)
            return 0
        except TimeoutError:
            cut = [session for session in self._open if session.in_data]
            for session in list(self._open):
                session.close_for_shutdown()
            if cut:
                log.warning("SMTP sessions still in DATA after the grace period were closed",
                            extra={"sessions": len(cut), "grace_seconds": grace_seconds})
            return len(cut)
