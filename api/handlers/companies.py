"""Company handlers: bulk upsert by external id, and the interactions filed under one."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.pagination import page_body, page_limit, time_id_cursor
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import read_companies
from store.models import Interaction, Message
from store.queries.companies import (
    CompanyUpsert,
    company_timeline,
    get_company,
    upsert_companies,
)
from store.queries.pages import Page
from store.representations import interaction_json


def filed_page(page: Page[tuple[Interaction, Message]]) -> dict[str, Any]:
    """Return a page of a company's or deal's timeline: each item names its contact."""
    items = [{**interaction_json(i, m), "contact_id": i.contact_id} for i, m in page.items]
    last = page.items[-1][0] if page.items else None
    return page_body(page, items, (last.logged_at.isoformat(), last.id) if last else ("", ""))


async def put_companies(request: web.Request) -> web.Response:
    """PUT /v1/projects/{pid}/companies: bulk upsert by external id, domains replaced."""
    fields = read_companies(await read_json(request))
    who, project_id = caller(request), request.match_info["pid"]

    def upsert(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        result = upsert_companies(session, project.id, [
            CompanyUpsert(f.external_id, f.name, f.domains) for f in fields])
        return {"created": result.created, "updated": result.updated,
                "companies": [{"id": c.id, "external_id": c.external_id}
                              for c in result.companies]}

    return json_response(await in_unit_of_work(request, upsert))


async def get_company_interactions(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}/companies/{cid}/interactions?cursor=: newest first."""
    limit, before = page_limit(request), time_id_cursor(request)
    who, project_id, company_id = (caller(request), request.match_info["pid"],
                                   request.match_info["cid"])

    def timeline(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        company = get_company(session, project.id, company_id)
        return filed_page(company_timeline(session, company.id, before=before, limit=limit))

    return json_response(await in_unit_of_work(request, timeline))
