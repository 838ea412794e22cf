"""The OpenAPI document handler (public)."""

from __future__ import annotations

from aiohttp import web

from api.openapi import build_document
from api.request_context import json_response


async def openapi_document(request: web.Request) -> web.Response:
    """GET /v1/openapi.json: the OpenAPI 3.1 document, operations named after handlers."""
    handlers = {(route.method, route.resource.canonical): route.handler
                for route in request.app.router.routes() if route.resource is not None}
    return json_response(build_document(handlers))
