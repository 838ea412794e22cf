"""The API's access log and latency histogram: one JSON log line and one observation a request.

Each line carries the request id (the client's `X-Request-Id` when it is a short token, else a
new one, sent back in the answer's `X-Request-Id`), method, route (the path template, so ids
in paths do not become labels), status, duration and the caller's id. It never carries the
Authorization header, a query string or a body: a token is a password.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler

from api.caller import Caller
from api.keys import CALLER, METRICS

log = logging.getLogger("blindcopy.access")
REQUEST_ID_HEADER = "X-Request-Id"
# What a proxy's request id may look like to be kept (it goes into every log line).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
UNMATCHED_ROUTE = "unmatched"
SERVER_ERROR = 500


def request_id(request: web.Request) -> str:
    """Return the request's id: the client's well-formed `X-Request-Id`, or a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def route_of(request: web.Request) -> str:
    """Return the path template the request matched, or `unmatched`."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE


def caller_id(caller: Caller | None) -> str | None:
    """Return who called: a user id, `admin` for the bootstrap token, None when anonymous."""
    if caller is None or (caller.user_id is None and not caller.is_admin):
        return None
    return caller.actor


@web.middleware
async def access_log_middleware(request: web.Request, handler: Handler
                                ) -> web.StreamResponse:
    """Answer the request, then log it and observe its duration by route."""
    started = time.perf_counter()
    rid = request_id(request)
    status = SERVER_ERROR  # an exception that escapes every middleware answers 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[REQUEST_ID_HEADER] = rid
        return response
    except web.HTTPException as answer:  # the redirects the problem middleware lets through
        status = answer.status
        raise
    finally:
        seconds = time.perf_counter() - started
        route = route_of(request)
        request.app[METRICS].observe_request(request.method, route, seconds)
        log.info("request", extra={
            "request_id": rid, "method": request.method, "route": route, "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "caller_id": caller_id(request.get(CALLER))})
