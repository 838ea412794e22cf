"""Contact handlers: bulk upsert by external id, listing by address, a contact's timeline."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.pagination import id_cursor, page_body, page_limit, time_id_cursor
from api.redaction import may_see_content
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import read_contacts
from store.errors import FieldError, Invalid
from store.queries.companies import company_ids_by_external_id
from store.queries.contacts import ContactUpsert, get_contact, list_contacts, upsert_contacts
from store.queries.content import meetings_by_uid
from store.queries.interactions import contact_timeline
from store.queries.users import existing_user_ids
from store.representations import contact_json, interaction_json


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
        result = upsert_contacts(session, project.id, upserts,
                                 _companies_named(session, project.id, upserts))
        return {"created": result.created, "updated": result.updated,
                "contacts": [{"id": c.id, "external_id": c.external_id}
                             for c in result.contacts]}

    return json_response(await in_unit_of_work(request, upsert))


def _companies_named(session: Session, project_id: str,
                     upserts: list[ContactUpsert]) -> dict[str, str]:
    """Return the ids of the companies the contacts name; raise Invalid for unknown ones."""
    named = {u.company_external_id for u in upserts if u.company_external_id is not None}
    found = company_ids_by_external_id(session, project_id, named)
    unknown = [FieldError(f"[{i}].company_external_id",
                          f"Company {u.company_external_id} does not exist in this project.")
               for i, u in enumerate(upserts)
               if u.company_external_id is not None and u.company_external_id not in found]
    if unknown:
        raise Invalid(unknown)
    return found


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
        meetings = meetings_by_uid(session, project.id,
                                   {m.meeting_uid for _, m in page.items if m.meeting_uid})
        items = [interaction_json(i, m, meetings.get(m.meeting_uid or ""),
                                  content=may_see_content(who, i.private, i.user_id))
                 for i, m in page.items]
        last = page.items[-1][0] if page.items else None
        key = (last.logged_at.isoformat(), last.id) if last else ("", "")
        return page_body(page, items, key)

    return json_response(await in_unit_of_work(request, timeline))
