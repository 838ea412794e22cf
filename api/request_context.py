"""Per-request access to the caller, the unit of work, the processing port and JSON bodies."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy.orm import Session

from api.caller import Caller
from api.keys import CALLER, PROCESSING, STORE
from api.ports import ProcessingPort
from store.errors import Unavailable

T = TypeVar("T")


def caller(request: web.Request) -> Caller:
    """Return the authenticated caller of the request."""
    return request[CALLER]


READING_METHODS = frozenset({"GET", "HEAD"})


async def in_unit_of_work(request: web.Request, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in the request's unit of work, in one of the store's threads.

    Committed when `work` returns; a GET or HEAD only reads (a read-only session: no write
    lock on SQLite). `work` is the request's whole use of the store: one thread hop.
    """
    store = request.app[STORE]
    if request.method in READING_METHODS:
        return await store.run_read(work)
    return await store.run_write(work)


async def reading(request: web.Request, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in a read-only session, for a request that writes nothing with it."""
    return await request.app[STORE].run_read(work)


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
