"""Per-request access to the caller, the unit of work, the processing port and JSON bodies."""

from __future__ import annotations

import json
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from api.caller import Caller
from api.keys import CALLER, PROCESSING, SESSIONMAKER
from api.ports import ProcessingPort
from store.database import read_only_session
from store.queries.errors import Unavailable


def caller(request: web.Request) -> Caller:
    """Return the authenticated caller of the request."""
    return request[CALLER]


READING_METHODS = frozenset({"GET", "HEAD"})


def unit_of_work(request: web.Request) -> AbstractAsyncContextManager[AsyncSession]:
    """Return a session in a transaction committed when the block ends without error.

    A GET or HEAD only reads: its session is read-only (no write lock on SQLite).
    """
    if request.method in READING_METHODS:
        return read_only_session(request.app[SESSIONMAKER])
    return request.app[SESSIONMAKER].begin()


def reading(request: web.Request) -> AbstractAsyncContextManager[AsyncSession]:
    """Return a read-only session for a request that writes nothing with it."""
    return read_only_session(request.app[SESSIONMAKER])


def processing(request: web.Request) -> ProcessingPort:
    """Return the processing port, or raise Unavailable if this process has none."""
    port = request.app[PROCESSING]
    if port is None:
        raise Unavailable("Message processing is not available in this process.")
    return port


async def read_json(request: web.Request) -> Any:
    """Return the parsed JSON body; a malformed one is a 400 problem."""
    # Bytes, not request.text(): a body that is not UTF-8 (or names a charset Python does
    # not know) is a malformed request, not a server error. json.loads also catches
    # UnicodeDecodeError here, a subclass of ValueError. The reader recurses once per
    # nesting level: a body nested deeper than the interpreter's recursion limit raises
    # RecursionError, which is malformed input too.
    body = await request.read()
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise web.HTTPBadRequest(text="The request body is not valid JSON.") from None


def json_response(body: Any, status: int = 200) -> web.Response:
    """Return a JSON response."""
    return web.json_response(body, status=status)
