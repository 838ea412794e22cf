"""CORS for the listed origins only (SPEC §11): browser extensions and web add-ins.

`cors_origins` lists exact origins. A preflight (`OPTIONS` with `Origin` and
`Access-Control-Request-Method`) to a `/v1` path from a listed origin is answered 204 here,
before authentication: a browser never sends credentials on a preflight. Every other answer
to a listed origin, errors included, carries `Access-Control-Allow-Origin` (added as the
answer's headers are sent, so problem documents and streamed bodies get it too). An origin
that is not listed gets no CORS header at all, and its preflight is treated like any other
unauthenticated request.

aiohttp-cors was considered and not used: its preflight answers 200 (the contract says 204),
it refuses an unlisted origin's preflight with 403 rather than leaving it alone, it adds no
`Vary: Origin`, and every route must be registered with it — while routes are added in one
table by several hands and must all be reachable.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from config.settings import origin_list

API_PREFIX = "/v1/"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOWED_HEADERS = "Authorization, Content-Type"
# Headers a page may read from an answer besides the CORS-safelisted ones.
EXPOSED_HEADERS = "Retry-After, WWW-Authenticate, X-Request-Id"
# Seconds a browser may cache a preflight (Chromium caps it at 7200).
PREFLIGHT_MAX_AGE = "7200"
CORS_ORIGINS = web.AppKey("cors_origins", frozenset)


def configure_cors(app: web.Application, cors_origins: str) -> None:
    """Install CORS on the app for the comma-separated `cors_origins` (none: nothing)."""
    origins = frozenset(origin_list(cors_origins))
    app[CORS_ORIGINS] = origins
    if origins:
        app.on_response_prepare.append(_add_origin_headers)


def _allowed_origin(request: web.Request) -> str | None:
    origin = request.headers.get(hdrs.ORIGIN)
    return origin if origin is not None and origin in request.app[CORS_ORIGINS] else None


def is_preflight(request: web.Request) -> bool:
    """Tell whether the request is a CORS preflight to the API from a listed origin."""
    return (request.method == hdrs.METH_OPTIONS
            and hdrs.ACCESS_CONTROL_REQUEST_METHOD in request.headers
            and request.path.startswith(API_PREFIX)
            and _allowed_origin(request) is not None)


@web.middleware
async def preflight_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a listed origin's preflight with 204; pass everything else on."""
    if not is_preflight(request):
        return await handler(request)
    return web.Response(status=204, headers={
        hdrs.ACCESS_CONTROL_ALLOW_METHODS: ALLOWED_METHODS,
        hdrs.ACCESS_CONTROL_ALLOW_HEADERS: ALLOWED_HEADERS,
        hdrs.ACCESS_CONTROL_MAX_AGE: PREFLIGHT_MAX_AGE,
    })


async def _add_origin_headers(request: web.Request, response: web.StreamResponse) -> None:
    # Whether an answer carries CORS headers depends on Origin: caches must know.
    response.headers.add(hdrs.VARY, hdrs.ORIGIN)
    origin = _allowed_origin(request)
    if origin is not None:
        response.headers[hdrs.ACCESS_CONTROL_ALLOW_ORIGIN] = origin
        response.headers[hdrs.ACCESS_CONTROL_EXPOSE_HEADERS] = EXPOSED_HEADERS
