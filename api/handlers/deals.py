"""Deal handlers: bulk upsert by external id, and the interactions filed under one."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.handlers.companies import filed_page
from api.pagination import page_limit, time_id_cursor
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import DealFields, read_deals
from store.errors import FieldError, Invalid
from store.queries.companies import company_ids_by_external_id
from store.queries.contacts import contact_ids_by_external_id
from store.queries.deals import DealUpsert, deal_timeline, get_deal, upsert_deals


def _resolved(session: Session, project_id: str, fields: list[DealFields]) -> list[DealUpsert]:
    """Resolve the deals' contacts and companies; raise Invalid naming every unknown one."""
    contacts = contact_ids_by_external_id(session, project_id,
                            {c for f in fields for c in f.contact_external_ids})
    companies = company_ids_by_external_id(
        session, project_id, {f.company_external_id for f in fields if f.company_external_id})
    errors = [FieldError(f"[{i}].contact_external_ids[{j}]",
                         f"Contact {external_id} does not exist in this project.")
              for i, f in enumerate(fields)
              for j, external_id in enumerate(f.contact_external_ids)
              if external_id not in contacts]
    errors += [FieldError(f"[{i}].company_external_id",
                          f"Company {f.company_external_id} does not exist in this project.")
               for i, f in enumerate(fields)
               if f.company_external_id and f.company_external_id not in companies]
    if errors:
        raise Invalid(errors)
    return [DealUpsert(f.external_id, f.name, f.status,
                       tuple(contacts[c] for c in f.contact_external_ids),
                       companies[f.company_external_id] if f.company_external_id else None,
                       f.updated_at) for f in fields]


async def put_deals(request: web.Request) -> web.Response:
    """PUT /v1/projects/{pid}/deals: bulk upsert by external id, contacts replaced."""
    fields = read_deals(await read_json(request))
    who, project_id = caller(request), request.match_info["pid"]

    def upsert(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        result = upsert_deals(session, project.id, _resolved(session, project.id, fields))
        return {"created": result.created, "updated": result.updated,
                "deals": [{"id": d.id, "external_id": d.external_id} for d in result.deals]}

    return json_response(await in_unit_of_work(request, upsert))


async def get_deal_interactions(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/deals/{did}/interactions?cursor=: newest first."""
    limit, before = page_limit(request), time_id_cursor(request)
    who, project_id, deal_id = (caller(request), request.match_info["pid"],
                                request.match_info["did"])

    def timeline(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        deal = get_deal(session, project.id, deal_id)
        return filed_page(deal_timeline(session, deal.id, before=before, limit=limit))

    return json_response(await in_unit_of_work(request, timeline))
