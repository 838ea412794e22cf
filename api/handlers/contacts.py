"""Contact handlers: bulk upsert by external id, listing by address, a contact's timeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.access import visible_project
from api.pagination import id_cursor, page_body, page_limit, time_id_cursor
from api.request_context import caller, json_response, read_json, unit_of_work
from api.schemas import read_contacts
from store.models import Contact, Interaction, Message
from store.queries.contacts import get_contact, list_contacts, upsert_contacts
from store.queries.errors import FieldError, Invalid
from store.queries.interactions import contact_timeline
from store.queries.users import existing_user_ids


def contact_json(contact: Contact) -> dict[str, Any]:
    """Return the API representation of a contact."""
    return {"id": contact.id, "external_id": contact.external_id, "name": contact.name,
            "emails": sorted(a.address for a in contact.addresses), "owner_id": contact.owner_id}


def interaction_json(interaction: Interaction, message: Message) -> dict[str, Any]:
    """Return a timeline entry: the interaction with its message's metadata."""
    return {
        "id": interaction.id, "type": interaction.type, "channels": interaction.channels,
        "user_id": interaction.user_id, "logged_at": interaction.logged_at.isoformat(),
        "message": {
            "subject": message.subject, "from": message.from_address, "to": message.to,
            "cc": message.cc, "date": message.date.isoformat() if message.date else None,
            "preview": message.preview,
            "attachments": [{k: v for k, v in a.items() if k != "content"}
                            for a in message.attachments],
        },
    }


async def put_contacts(request: web.Request) -> web.Response:
    """PUT /v1/projects/{pid}/contacts: bulk upsert by external id."""
    upserts = read_contacts(await read_json(request))
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        owners = {u.owner_id for u in upserts if u.owner_id is not None}
        unknown = owners - await existing_user_ids(session, owners)
        if unknown:
            raise Invalid([FieldError(f"[{i}].owner_id", f"User {u.owner_id} does not exist.")
                           for i, u in enumerate(upserts) if u.owner_id in unknown])
        result = await upsert_contacts(session, project.id, upserts)
    return json_response({
        "created": result.created, "updated": result.updated,
        "contacts": [{"id": c.id, "external_id": c.external_id} for c in result.contacts],
    })


async def get_contacts(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/contacts?email=&cursor=&limit= → {items, next}."""
    email = request.query.get("email")
    limit, after = page_limit(request), id_cursor(request)
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        page = await list_contacts(session, project.id, email=email.lower() if email else None,
                                   after_id=after, limit=limit)
        last = page.items[-1].id if page.items else ""
        return json_response(page_body(page, [contact_json(c) for c in page.items], (last,)))


async def get_interactions(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/contacts/{cid}/interactions?cursor=: newest first."""
    limit, before = page_limit(request), time_id_cursor(request)
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        contact = await get_contact(session, project.id, request.match_info["cid"])
        page = await contact_timeline(session, contact.id, before=before, limit=limit)
        items = [interaction_json(i, m) for i, m in page.items]
        last = page.items[-1][0] if page.items else None
        key = (last.logged_at.isoformat(), last.id) if last else ("", "")
        return json_response(page_body(page, items, key))
