"""Ignored-address and never-log-address handlers of a project.

The two lists behave alike; `list_handlers` builds the add, list and delete handlers of one
from its store description, request reader and JSON field name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import require_admin, visible_project
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import read_ignored_pattern, read_never_log_address
from store.models import IgnoredEntry, NeverLogEntry
from store.queries import address_lists
from store.queries.address_lists import AddressList

Handler = Callable[[web.Request], Awaitable[web.Response]]


def entry_json(entry: IgnoredEntry | NeverLogEntry, field: str) -> dict[str, Any]:
    """Return the API representation of an entry: id, its value under `field`, created_at."""
    value = entry.pattern if isinstance(entry, IgnoredEntry) else entry.address
    return {"id": entry.id, field: value, "created_at": entry.created_at.isoformat()}


def list_handlers(kind: AddressList[Any], read_value: Callable[[object], str],
                  field: str) -> tuple[Handler, Handler, Handler]:
    """Return the (add, list, delete) handlers of one address list."""

    async def add(request: web.Request) -> web.Response:
        value = read_value(await read_json(request))
        who, project_id = caller(request), request.match_info["pid"]

        def added(session: Session) -> dict[str, Any]:
            project = visible_project(session, who, project_id)
            return entry_json(address_lists.add_entry(session, kind, project.id, value), field)

        return json_response(await in_unit_of_work(request, added), status=201)

    async def list_(request: web.Request) -> web.Response:
        who, project_id = caller(request), request.match_info["pid"]

        def listed(session: Session) -> list[dict[str, Any]]:
            project = visible_project(session, who, project_id)
            return [entry_json(e, field)
                    for e in address_lists.list_entries(session, kind, project.id)]

        return json_response({"items": await in_unit_of_work(request, listed)})

    async def delete(request: web.Request) -> web.Response:
        who, project_id, entry_id = (caller(request), request.match_info["pid"],
                                     request.match_info["id"])

        def deleted(session: Session) -> None:
            project = visible_project(session, who, project_id)
            address_lists.delete_entry(session, kind, project.id, entry_id)

        await in_unit_of_work(request, deleted)
        return web.Response(status=204)

    return add, list_, delete


# POST/GET /v1/projects/{pid}/ignored `{pattern}`, DELETE …/ignored/{id}.
add_ignored, list_ignored, delete_ignored = list_handlers(
    address_lists.IGNORED, read_ignored_pattern, "pattern")
# POST/GET /v1/projects/{pid}/never-log `{address}`, DELETE …/never-log/{id}.
add_never_log, list_never_log, delete_never_log = list_handlers(
    address_lists.NEVER_LOG, read_never_log_address, "address")


async def add_global_ignored(request: web.Request) -> web.Response:
    """POST /v1/ignored `{pattern}` (admin): ignore an address or domain in every project."""
    require_admin(caller(request))
    pattern = read_ignored_pattern(await read_json(request))
    entry = await in_unit_of_work(request, lambda session: entry_json(
        address_lists.add_entry(session, address_lists.IGNORED, None, pattern), "pattern"))
    return json_response(entry, status=201)


async def list_global_ignored(request: web.Request) -> web.Response:
    """GET /v1/ignored (admin): the addresses and domains ignored in every project."""
    require_admin(caller(request))
    entries = await in_unit_of_work(request, lambda session: [
        entry_json(e, "pattern")
        for e in address_lists.list_entries(session, address_lists.IGNORED, None)])
    return json_response({"items": entries})


async def delete_global_ignored(request: web.Request) -> web.Response:
    """DELETE /v1/ignored/{id} (admin)."""
    require_admin(caller(request))
    entry_id = request.match_info["id"]
    await in_unit_of_work(request, lambda session: address_lists.delete_entry(
        session, address_lists.IGNORED, None, entry_id))
    return web.Response(status=204)
