"""Contact handlers: bulk upsert by external id, listing by address, a contact's timeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.caller import Caller
from api.pagination import id_cursor, page_body, page_limit, time_id_cursor
from api.redaction import shown_message
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import read_contacts
from store.errors import FieldError, Invalid
from store.models import Contact, Interaction, Message
from store.queries.contacts import get_contact, list_contacts, upsert_contacts
from store.queries.interactions import contact_timeline
from store.queries.users import existing_user_ids


def contact_json(contact: Contact) -> dict[str, Any]:
    """Return the API representation of a contact."""
    return {"id": contact.id, "external_id": contact.external_id, "name": contact.name,
            "emails": sorted(a.address for a in contact.addresses), "owner_id": contact.owner_id}


def interaction_json(interaction: Interaction, message: Message,
                     viewer: Caller) -> dict[str, Any]:
    """Return a timeline entry: the interaction with its message's metadata, as the viewer
    may see it (a private interaction's content only for its user and admins)."""
    shown = {
        "subject": message.subject, "from": message.from_address, "to": message.to,
        "cc": message.cc, "date": message.date.isoformat() if message.date else None,
        "preview": message.preview,
        "attachments": [{k: v for k, v in a.items() if k != "content"}
                        for a in message.attachments],
    }
    return {
        "id": interaction.id, "type": interaction.type, "channels": interaction.channels,
        "user_id": interaction.user_id, "logged_at": interaction.logged_at.isoformat(),
        "private": interaction.private,
        "message": shown_message(viewer, interaction.private, interaction.user_id, shown),
    }


async def put_contacts(request: web.Request) -> web.Response:
    """PUT /v1/projects/{pid}/contacts: bulk upsert by external id."""
    upserts = read_contacts(await read_json(request))
    who, project_id = caller(request), request.match_info["pid"]

    def upsert(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        owners = {u.owner_id for u in upserts if u.owner_id is not None}
        unknown = owners - existing_user_ids(session, owners)
        if unknown:
            raise Invalid([FieldError(f"[{i}].owner_id", f"User {u.owner_id} does not exist.")
                           for i, u in enumerate(upserts) if u.owner_id in unknown])
        result = upsert_contacts(session, project.id, upserts)
        return {"created": result.created, "updated": result.updated,
                "contacts": [{"id": c.id, "external_id": c.external_id}
                             for c in result.contacts]}

    return json_response(await in_unit_of_work(request, upsert))


async def get_contacts(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/contacts?email=&cursor=&limit= → {items, next}."""
    email = request.query.get("email")
    limit, after = page_limit(request), id_cursor(request)
    who, project_id = caller(request), request.match_info["pid"]

    def listed(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        page = list_contacts(session, project.id, email=email.lower() if email else None,
                             after_id=after, limit=limit)
        last = page.items[-1].id if page.items else ""
        return page_body(page, [contact_json(c) for c in page.items], (last,))

    return json_response(await in_unit_of_work(request, listed))


async def get_interactions(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/contacts/{cid}/interactions?cursor=: newest first."""
    limit, before = page_limit(request), time_id_cursor(request)
    who, project_id, contact_id = caller(request), request.match_info["pid"], \
        request.match_info["cid"]

    def timeline(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        contact = get_contact(session, project.id, contact_id)
        page = contact_timeline(session, contact.id, before=before, limit=limit)
        items = [interaction_json(i, m, who) for i, m in page.items]
        last = page.items[-1][0] if page.items else None
        key = (last.logged_at.isoformat(), last.id) if last else ("", "")
        return page_body(page, items, key)

    return json_response(await in_unit_of_work(request, timeline))
