"""Load shedding for the synchronous capture routes (POST /v1/log, mailbox ingestion).

A capture costs tens of milliseconds of CPU; past saturation, queueing more only makes every
caller wait until the store's connection pool times out. This middleware asks the processing
port for a place *before* authentication and the body are handled, so a refused request costs
no store round trip and spools nothing: it is answered 503 with Retry-After (by the problem
middleware) and the client repeats it.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from api.handlers import capture, mailboxes
from api.keys import PROCESSING

CAPTURE_HANDLERS = frozenset({capture.log, mailboxes.ingest_message})


@web.middleware
async def admission_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Run a capture route only when the processing port has room for it."""
    port = request.app[PROCESSING]
    if port is None or request.match_info.handler not in CAPTURE_HANDLERS:
        return await handler(request)
    async with port.admit():
        return await handler(request)
