"""RFC 9457 problem documents: the one middleware that turns every error into problem+json.

Expected errors (`store.errors`) and aiohttp's HTTP errors keep their status and
get a stable `type` URI; anything unexpected is logged and answered 500 without internals.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from sqlalchemy.exc import IntegrityError

from store.database import is_store_outage
from store.errors import (
    BlindcopyError,
    Conflict,
    FieldError,
    Forbidden,
    InsufficientScope,
    Invalid,
    NotFound,
    Unauthorized,
    Unavailable,
)

PROBLEM_BASE = "https://blindcopy.dev/problems/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
log = logging.getLogger(__name__)

# Stable problem types by error class and by HTTP status: these URIs are API.
_ERROR_TYPES: dict[type[BlindcopyError], tuple[int, str, str]] = {
    Invalid: (422, "invalid-request", "Invalid request"),
    NotFound: (404, "not-found", "Not found"),
    # Before Forbidden, its base: the OAuth error code (RFC 6750 §3.1) as the type.
    InsufficientScope: (403, "insufficient_scope", "Insufficient scope"),
    Forbidden: (403, "forbidden", "Forbidden"),
    Unauthorized: (401, "unauthorized", "Unauthorized"),
    Conflict: (409, "conflict", "Conflict"),
    Unavailable: (503, "unavailable", "Service unavailable"),
}
_STATUS_TYPES: dict[int, str] = {
    400: "malformed-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
    405: "method-not-allowed", 408: "request-timeout", 409: "conflict", 413: "payload-too-large",
    415: "unsupported-media-type", 422: "invalid-request", 503: "unavailable",
}


def problem_response(
    status: int, slug: str, title: str, detail: str, errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """Return an application/problem+json response."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status,
                            "detail": detail}
    if errors is not None:
        body["errors"] = [{"field": e.field, "message": e.message} for e in errors]
    return web.Response(status=status, text=json.dumps(body), headers=headers,
                        content_type=PROBLEM_CONTENT_TYPE)


def _from_error(error: BlindcopyError) -> web.Response:
    status, slug, title = next(
        (spec for kind, spec in _ERROR_TYPES.items() if isinstance(error, kind)),
        (400, "bad-request", "Bad request"),
    )
    errors = error.errors if isinstance(error, Invalid) else None
    headers = {"WWW-Authenticate": 'Bearer realm="blindcopy"'} if status == 401 else None
    if isinstance(error, InsufficientScope):
        headers = {"WWW-Authenticate": 'Bearer realm="blindcopy", error="insufficient_scope", '
                                       f'scope="{" ".join(error.scopes)}"'}
    if isinstance(error, Unavailable):
        headers = {"Retry-After": str(error.retry_after)}
    return problem_response(status, slug, title, error.detail, errors, headers)


def _from_http(error: web.HTTPException) -> web.Response:
    status = error.status
    slug = _STATUS_TYPES.get(status, "server-error" if status >= 500 else "bad-request")
    detail = error.text if error.text and not error.text.startswith(f"{status}:") else error.reason
    headers = {k: v for k, v in error.headers.items() if k.lower() in ("allow", "www-authenticate")}
    return problem_response(status, slug, error.reason, detail or error.reason, None, headers)


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error of the handlers below as an RFC 9457 problem document."""
    if "\x00" in request.path or "\x00" in request.query_string:
        # PostgreSQL cannot compare text with NUL in it; no id, address or cursor has one.
        return problem_response(400, "malformed-request", "Bad Request",
                                "The path or query contains a NUL character.")
    try:
        return await handler(request)
    except BlindcopyError as error:
        return _from_error(error)
    except IntegrityError:
        return problem_response(409, "conflict", "Conflict",
                                "The request conflicts with existing data.")
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return _from_http(error)
    except Exception as error:
        if is_store_outage(error):
            # The store is busy or away (every pooled connection in use, SQLite's lock held
            # past the busy timeout, the database unreachable): the request may be repeated
            # as is, so say when, not a server error.
            log.warning("store unavailable answering %s %s: %s", request.method,
                        request.path, type(error).__name__)
            return _from_error(Unavailable("The store is unavailable; try again shortly."))
        log.exception("unexpected error answering %s %s", request.method, request.path)
        return problem_response(500, "server-error", "Internal server error",
                                "The server could not answer this request.")
