"""Health handlers: liveness (always 200), readiness (the spool can commit), metrics."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from api.keys import METRICS, SETTINGS, STORE
from api.request_context import caller, json_response
from metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from store import spool
from store.errors import Forbidden, Unavailable
from store.readiness import spool_refusal

READINESS_TIMEOUT_SECONDS = 5.0
# Free space the spool keeps for a message, in largest messages: one in SQLite's WAL, one
# in the database file when the WAL is checkpointed.
RESERVED_MESSAGES = 2


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the process is up."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: 200 when the spool can commit a message, else a 503 problem.

    A store that answers but takes no writes (a full disk, a read-only database) makes
    every DATA answer 451: a load balancer should send the mail elsewhere.
    """
    reserve = RESERVED_MESSAGES * request.app[SETTINGS].max_message_size
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            refusal = await request.app[STORE].run_read(spool_refusal, reserve)
    except (SQLAlchemyError, OSError, TimeoutError):
        raise Unavailable("The store is not reachable.") from None
    if refusal is not None:
        raise Unavailable(refusal)
    return json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    """GET /metrics: this process's metrics and the store's queue depth, Prometheus text.

    Public when the `metrics_public` setting is on (a scraper on a private network);
    otherwise the caller must be an admin.
    """
    if not request.app[SETTINGS].metrics_public and not caller(request).is_admin:
        raise Forbidden("Metrics are for admins (or set metrics_public).")
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            depth = await request.app[STORE].run_read(spool.queue_depth)
    except (SQLAlchemyError, OSError, TimeoutError):
        raise Unavailable("The store is not reachable.") from None
    body = request.app[METRICS].render(depth)
    response = web.Response(body=body)
    response.content_type = METRICS_CONTENT_TYPE.split(";")[0]
    response.headers["Content-Type"] = METRICS_CONTENT_TYPE
    return response
