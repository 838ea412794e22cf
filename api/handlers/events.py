"""The events feed: what happened in the caller's projects, in commit order (SPEC §10).

`GET /v1/events?after=&type=&project_id=&limit=` pages forward from a cursor; `next` is
always the cursor to ask with next time (the same one when nothing new committed), so a
reader polls with it. A user sees the events of their projects only; an admin sees all,
events of no project (a message that names none) included.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import caller_project_ids, check_project_references
from api.pagination import encode_cursor, page_limit, position_cursor
from api.redaction import hide_private_events
from api.request_context import caller, in_unit_of_work, json_response
from store.errors import FieldError, Invalid
from store.events import EventType, FeedPosition, for_reader, list_events
from store.queries.interactions import private_interaction_users


def _query_list(request: web.Request, name: str) -> list[str]:
    """Return a repeatable, comma-separable query parameter's values."""
    return [v.strip() for value in request.query.getall(name, []) for v in value.split(",")
            if v.strip()]


def _types(request: web.Request) -> list[str]:
    types = _query_list(request, "type")
    unknown = [FieldError(f"type[{i}]", "must be one of " + ", ".join(EventType))
               for i, t in enumerate(types) if t not in set(EventType)]
    if unknown:
        raise Invalid(unknown)
    return types


async def list_all_events(request: web.Request) -> web.Response:
    """GET /v1/events → {items, next}: events after the cursor, oldest first."""
    limit, types = page_limit(request), _types(request)
    after = position_cursor(request, "after")
    asked_projects = _query_list(request, "project_id")
    who = caller(request)

    def listed(session: Session) -> dict[str, Any]:
        check_project_references(session, who, "project_id", asked_projects)
        mine = caller_project_ids(session, who)
        projects = asked_projects or mine
        page = list_events(session, after=FeedPosition(*after) if after else None,
                           types=types, project_ids=projects, limit=limit)
        last = page.items[-1] if page.items else None
        cursor = (encode_cursor(str(last.transaction_id), str(last.seq)) if last
                  else request.query.get("after"))
        items = [for_reader(event, mine) for event in page.items]
        private = private_interaction_users(session, [
            str(item["data"].get("id")) for item in items
            if item["type"].startswith("interaction.")])
        return {"items": hide_private_events(who, items, private), "next": cursor}

    return json_response(await in_unit_of_work(request, listed))
