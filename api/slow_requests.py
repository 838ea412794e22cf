"""A deadline for a request's body: a client that sends it too slowly gets a 408 problem.

The body is read here, under `http_body_timeout`, after authentication (an unauthenticated
request's body is never read); handlers then get it from aiohttp's cache. The answer closes
the connection: the rest of a body that is still arriving is not worth waiting for.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Handler

from api.keys import SETTINGS
from api.problems import problem_response


@web.middleware
async def body_deadline_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Read the request's body within `http_body_timeout`, else answer 408 and close."""
    if request.body_exists:
        timeout = request.app[SETTINGS].http_body_timeout
        try:
            async with asyncio.timeout(timeout):
                await request.read()
        except TimeoutError:
            response = problem_response(
                408, "request-timeout", "Request Timeout",
                f"The request's body did not arrive within {timeout:g} seconds.")
            response.force_close()
            return response
    return await handler(request)
