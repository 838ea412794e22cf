"""Privacy handlers (SPEC §13): private interactions, personal never-log lists, erasure."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import require_admin, require_self_or_admin, visible_project
from api.keys import METRICS, SETTINGS, STORE
from api.request_context import caller, in_unit_of_work, json_response, read_json, reading
from api.schemas import read_erasure, read_never_log_address, read_privacy
from store.erasure import erase_address
from store.errors import Conflict, Forbidden, Invalid, NotFound
from store.events import EventType, emit, interaction_data
from store.models import Message, PersonalNeverLogEntry
from store.queries.interactions import get_interaction
from store.queries.personal_never_log import (
    add_personal_never_log,
    delete_personal_never_log,
    list_personal_never_log,
)
from store.queries.projects import existing_project_ids
from store.queries.users import addresses_in_use, get_user
from store.representations import interaction_json
from store.tombstones import address_hasher, erasure_key


async def patch_interaction(request: web.Request) -> web.Response:
    """PATCH /v1/interactions/{id} `{private}`: its user or an admin makes it private or not.

    Another member of the project gets 403; anyone else 404 (the interaction is not theirs
    to know of).
    """
    who, interaction_id = caller(request), request.match_info["id"]
    private = read_privacy(await read_json(request))

    def change(session: Session) -> dict[str, Any]:
        interaction = get_interaction(session, interaction_id)
        try:
            visible_project(session, who, interaction.project_id)
        except NotFound:
            raise NotFound(f"Interaction {interaction_id} does not exist.") from None
        if not who.is_admin and who.user_id != interaction.user_id:
            raise Forbidden("Only the interaction's user or an admin may change its privacy.")
        message = session.get(Message, interaction.message_ref)
        assert message is not None  # the interaction's foreign key
        if interaction.private != private:
            interaction.private = private
            emit(session, interaction.project_id, EventType.INTERACTION_UPDATED,
                 interaction_data(interaction, message))
        return interaction_json(interaction, message)

    return json_response(await in_unit_of_work(request, change))


def never_log_json(entry: PersonalNeverLogEntry) -> dict[str, Any]:
    """Return the API representation of a personal never-log entry."""
    return {"id": entry.id, "address": entry.address, "user_id": entry.user_id,
            "created_at": entry.created_at.isoformat()}


async def add_personal_entry(request: web.Request) -> web.Response:
    """POST /v1/users/{uid}/never-log `{address}`: 201 the entry (the user or an admin)."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)
    address = read_never_log_address(await read_json(request))

    def added(session: Session) -> dict[str, Any]:
        get_user(session, user_id)
        return never_log_json(add_personal_never_log(session, user_id, address))

    return json_response(await in_unit_of_work(request, added), status=201)


async def list_personal_entries(request: web.Request) -> web.Response:
    """GET /v1/users/{uid}/never-log: `{items}` by creation order."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)

    def listed(session: Session) -> dict[str, Any]:
        get_user(session, user_id)
        return {"items": [never_log_json(e) for e in list_personal_never_log(session, user_id)]}

    return json_response(await in_unit_of_work(request, listed))


async def delete_personal_entry(request: web.Request) -> web.Response:
    """DELETE /v1/users/{uid}/never-log/{id}: 204."""
    user_id, entry_id = request.match_info["uid"], request.match_info["id"]
    require_self_or_admin(caller(request), user_id)
    await in_unit_of_work(request, lambda session: delete_personal_never_log(
        session, user_id, entry_id))
    return web.Response(status=204)


async def create_erasure(request: web.Request) -> web.Response:
    """POST /v1/erasures `{address, project_id?}` (admin): 200 the removed counts.

    Runs in bounded batches (store.erasure); a user's own address cannot be erased (remove
    the user first): 409.
    """
    who = caller(request)
    require_admin(who)
    fields = read_erasure(await read_json(request))

    def check(session: Session) -> None:
        if fields.project_id is not None and not existing_project_ids(
                session, [fields.project_id]):
            raise Invalid.field("project_id", f"Project {fields.project_id} does not exist.")
        if addresses_in_use(session, [fields.address]):
            raise Conflict(f"{fields.address} is a user's address; it cannot be erased "
                           "as a contact's.")

    await reading(request, check)
    hasher = address_hasher(erasure_key(request.app[SETTINGS].secret))
    counts = await request.app[STORE].run(erase_address, request.app[STORE], fields.address,
                                          fields.project_id, hasher)
    request.app[METRICS].count_erased(counts.to_json())
    return json_response(counts.to_json())
