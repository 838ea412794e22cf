"""Health handlers: liveness (always 200) and readiness (the store answers SELECT 1)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.keys import SESSIONMAKER
from api.request_context import json_response
from store.queries.errors import Unavailable

READINESS_TIMEOUT_SECONDS = 5.0


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz: the process is up."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """GET /readyz: 200 when the store is reachable, else a 503 problem."""
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            async with request.app[SESSIONMAKER]() as session:
                await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError):
        raise Unavailable("The store is not reachable.") from None
    return json_response({"status": "ready"})
