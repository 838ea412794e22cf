"""Ignored-address and never-log-address handlers of a project."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.access import visible_project
from api.request_context import caller, json_response, read_json, unit_of_work
from api.schemas import read_ignored_pattern, read_never_log_address
from store.models import IgnoredEntry, NeverLogEntry
from store.queries import address_lists


def ignored_json(entry: IgnoredEntry) -> dict[str, Any]:
    """Return the API representation of an ignored address or domain."""
    return {"id": entry.id, "pattern": entry.pattern, "created_at": entry.created_at.isoformat()}


def never_log_json(entry: NeverLogEntry) -> dict[str, Any]:
    """Return the API representation of a never-log address."""
    return {"id": entry.id, "address": entry.address, "created_at": entry.created_at.isoformat()}


async def add_ignored(request: web.Request) -> web.Response:
    """POST /v1/projects/{pid}/ignored: `{pattern}` → 201 the entry."""
    pattern = read_ignored_pattern(await read_json(request))
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        entry = await address_lists.add_ignored(session, project.id, pattern)
    return json_response(ignored_json(entry), status=201)


async def list_ignored(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/ignored → {items}."""
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        entries = await address_lists.list_ignored(session, project.id)
        return json_response({"items": [ignored_json(e) for e in entries]})


async def delete_ignored(request: web.Request) -> web.Response:
    """DELETE /v1/projects/{pid}/ignored/{id} → 204."""
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        await address_lists.delete_ignored(session, project.id, request.match_info["id"])
    return web.Response(status=204)


async def add_never_log(request: web.Request) -> web.Response:
    """POST /v1/projects/{pid}/never-log: `{address}` → 201 the entry."""
    address = read_never_log_address(await read_json(request))
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        entry = await address_lists.add_never_log(session, project.id, address)
    return json_response(never_log_json(entry), status=201)


async def list_never_log(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/never-log → {items}."""
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        entries = await address_lists.list_never_log(session, project.id)
        return json_response({"items": [never_log_json(e) for e in entries]})


async def delete_never_log(request: web.Request) -> web.Response:
    """DELETE /v1/projects/{pid}/never-log/{id} → 204."""
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        await address_lists.delete_never_log(session, project.id, request.match_info["id"])
    return web.Response(status=204)
