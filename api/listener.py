"""Listen for the API with every connection guarded (`api.connection_guard`).

An `AppRunner` whose listening socket wraps each connection aiohttp's server makes in the
app's guard: aiohttp's sites take the runner's protocol factory as it is, so the runner
opens the socket itself (loop.create_server) and closes it before aiohttp's own cleanup
closes the connections.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from api.connection_guard import CONNECTION_GUARD, GuardedConnection

# Seconds an idle keep-alive connection stays open between requests (aiohttp's 3.9
# default and nginx's; later aiohttp keeps one an hour, holding a place under the caps).
KEEPALIVE_SECONDS = 75.0
CLOSE_WAIT_SECONDS = 5.0


class GuardedAppRunner(web.AppRunner):
    """Run the app on one listening socket whose connections its guard wraps."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        kwargs.setdefault("keepalive_timeout", KEEPALIVE_SECONDS)
        super().__init__(app, **kwargs)
        self.listener: asyncio.Server | None = None

    async def listen(self, host: str, port: int, reuse_port: bool = False) -> None:
        """Start accepting on host:port (call after `setup()`)."""
        server = self.server
        assert server is not None, "setup() first"
        guard = self.app[CONNECTION_GUARD]

        def guarded() -> GuardedConnection:
            return guard.wrap(server())

        self.listener = await asyncio.get_running_loop().create_server(
            guarded, host, port, reuse_port=reuse_port)

    @property
    def addresses(self) -> list[Any]:
        """Return the addresses the API listens on."""
        return [sock.getsockname() for sock in self.listener.sockets] if self.listener else []

    async def cleanup(self) -> None:
        """Stop accepting, then let aiohttp close the connections and the app."""
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.close()
        await super().cleanup()
        if listener is not None:
            await asyncio.wait_for(listener.wait_closed(), CLOSE_WAIT_SECONDS)
