"""Slow and greedy API clients: connection caps, and a deadline for a request's head.

aiohttp bounds a request's size but neither how long its head may take to arrive nor how
many connections a client may hold open. Every accepted connection's aiohttp protocol (the
runner's public `web.Server` protocol factory) is wrapped in `GuardedConnection`, which:

- refuses a connection past `http_max_connections_per_ip` or `http_max_connections` with a
  503 problem (Retry-After) and closes it, before aiohttp sees it;
- gives the client `http_header_timeout` to deliver a request's line and headers, counted
  from the connection's start, or from its first byte after a response (a client idle
  between requests is aiohttp's keep-alive business); past it, a 408 problem, then close.

`request_phase_middleware` tells the guard when aiohttp has a whole head (a handler is
about to run) and when the handler is done. Bodies are bounded by
`api.slow_requests.body_deadline_middleware`. Nothing here reads or parses HTTP.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from api.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

RETRY_AFTER_SECONDS = 5

def raw_problem(status: int, reason: str, slug: str, detail: str,
                headers: tuple[str, ...] = ()) -> bytes:
    """Return a whole HTTP/1.1 problem response that closes the connection."""
    body = json.dumps({"type": PROBLEM_BASE + slug, "title": reason, "status": status,
                       "detail": detail}).encode()
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {PROBLEM_CONTENT_TYPE}",
            f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The caps and the head deadline of one listening API."""

    max_connections: int
    max_connections_per_ip: int  # 0: none
    header_timeout: float


class ConnectionGuard:
    """Counts the API's open connections and knows each one by its transport."""

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        self._per_ip: dict[str, int] = defaultdict(int)
        self._open: dict[asyncio.BaseTransport, GuardedConnection] = {}

    def wrap(self, inner: asyncio.Protocol) -> GuardedConnection:
        """Return a protocol that guards the connection `inner` serves."""
        return GuardedConnection(self, inner)

    def admit(self, ip: str) -> bytes | None:
        """Count a new connection from `ip`; return the 503 refusing it past a cap."""
        per_ip = self.limits.max_connections_per_ip
        if len(self._open) >= self.limits.max_connections:
            return _BUSY
        if per_ip and self._per_ip[ip] >= per_ip:
            return _BUSY_FROM_YOU
        self._per_ip[ip] += 1
        return None

    def opened(self, transport: asyncio.BaseTransport, connection: GuardedConnection) -> None:
        """Register an admitted connection."""
        self._open[transport] = connection

    def closed(self, transport: asyncio.BaseTransport, ip: str) -> None:
        """Forget a closed connection."""
        self._open.pop(transport, None)
        self._per_ip[ip] -= 1
        if self._per_ip[ip] <= 0:
            del self._per_ip[ip]

    def connection(self, transport: Any) -> GuardedConnection | None:
        """Return the guarded connection a request arrived on (None if unguarded)."""
        return self._open.get(transport)


class GuardedConnection(asyncio.Protocol):
    """One API connection: aiohttp's protocol inside, the caps and the head deadline around."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.ip = ""
        self.admitted = False
        self.in_request = False
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.ip = str(peer[0]) if isinstance(peer, tuple) else ""
        refusal = self.guard.admit(self.ip)
        if refusal is not None:
            # Written before the client's request is read: HTTP lets a server answer early.
            transport.write(refusal)
            transport.close()
            return
        self.admitted = True
        self.guard.opened(transport, self)
        self.inner.connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return
        if not self.in_request and self._deadline is None:
            self._arm()
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self.admitted and self.transport is not None:
            self.guard.closed(self.transport, self.ip)
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self.admitted:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.admitted:
            self.inner.resume_writing()

    def request_started(self) -> None:
        """A whole head arrived and a handler runs: the head deadline is met."""
        self.in_request = True
        self._disarm()

    def request_finished(self) -> None:
        """The handler is done; the next bytes start the next head's deadline."""
        self.in_request = False

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self.guard.limits.header_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        transport = self.transport
        if self.in_request or transport is None or transport.is_closing():
            return
        # A response still being written (to a client that reads slowly while it sends
        # its next head) must not be cut by a 408 in its middle: just close.
        if transport.get_write_buffer_size() == 0:
            transport.write(_TIMED_OUT)
        transport.close()


CONNECTION_GUARD = web.AppKey("connection_guard", ConnectionGuard)


@web.middleware
async def request_phase_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tell the app's guard when a request's handler runs and when it is done."""
    connection = request.app[CONNECTION_GUARD].connection(request.transport)
    if connection is None:
        return await handler(request)
    connection.request_started()
    try:
        return await handler(request)
    finally:
        connection.request_finished()


_BUSY = raw_problem(503, "Service Unavailable", "unavailable",
                    "Too many connections; try again shortly.",
                    (f"Retry-After: {RETRY_AFTER_SECONDS}",))
_BUSY_FROM_YOU = raw_problem(503, "Service Unavailable", "unavailable",
                             "Too many connections from your address; try again shortly.",
                             (f"Retry-After: {RETRY_AFTER_SECONDS}",))
_TIMED_OUT = raw_problem(408, "Request Timeout", "request-timeout",
                         "The request's line and headers did not arrive in time.")
