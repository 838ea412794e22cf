"""Project handlers: create, list, read, change settings, rotate addresses, members."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from api.access import caller_project_ids, require_admin, visible_project
from api.keys import CLOCK, SETTINGS
from api.request_context import caller, json_response, read_json, unit_of_work
from api.schemas import read_project
from store.models import Project, new_id
from store.project_addresses import active_addresses, issue_addresses, rotate_addresses
from store.queries.errors import Conflict
from store.queries.projects import is_slug_taken, list_projects
from store.queries.users import add_membership, get_user, remove_membership

SETTING_NAMES = ("interaction_type", "logging_mode", "sender_auth", "create_contacts",
                 "store_bodies")


def project_json(project: Project) -> dict[str, Any]:
    """Return the API representation of a project."""
    return {
        "id": project.id, "name": project.name, "slug": project.slug,
        "settings": {name: getattr(project, name) for name in SETTING_NAMES},
        "addresses": active_addresses(project),
        "created_at": project.created_at.isoformat(),
    }


def slug_from_name(name: str) -> str:
    """Return a slug made of the name's letters and digits."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return slug or "project"


async def _free_slug(session: AsyncSession, name: str, slug: str | None) -> str:
    if slug is not None:
        if await is_slug_taken(session, slug):
            raise Conflict(f"The slug {slug} is already used by another project.")
        return slug
    base = slug_from_name(name)
    candidate, number = base, 1
    while await is_slug_taken(session, candidate):
        number += 1
        candidate = f"{base[:36]}-{number}"
    return candidate


async def create_project(request: web.Request) -> web.Response:
    """POST /v1/projects: create a project and issue its addresses (admin)."""
    require_admin(caller(request))
    fields = read_project(await read_json(request), creating=True)
    settings = request.app[SETTINGS]
    assert fields.name is not None
    async with unit_of_work(request) as session:
        slug = await _free_slug(session, fields.name, fields.slug)
        # The id and generation are set now because the addresses are derived from them.
        project = Project(id=new_id(), name=fields.name, slug=slug, address_generation=1,
                          addresses=[], **fields.settings)
        issue_addresses(project, settings.secret, settings.mail_domain)
        session.add(project)
    return json_response(project_json(project), status=201)


async def list_all_projects(request: web.Request) -> web.Response:
    """GET /v1/projects: the caller's projects (every project for an admin)."""
    async with unit_of_work(request) as session:
        projects = await list_projects(session, await caller_project_ids(session, caller(request)))
        return json_response({"items": [project_json(p) for p in projects]})


async def get_project(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}."""
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        return json_response(project_json(project))


async def patch_project(request: web.Request) -> web.Response:
    """PATCH /v1/projects/{pid}: change the name and/or settings (members and admins)."""
    fields = read_project(await read_json(request), creating=False)
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        if fields.name is not None:
            project.name = fields.name
        for name, value in fields.settings.items():
            setattr(project, name, value)
    return json_response(project_json(project))


async def rotate_project_addresses(request: web.Request) -> web.Response:
    """POST /v1/projects/{pid}/addresses/rotate: new addresses; old ones work for the grace."""
    settings = request.app[SETTINGS]
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        rotate_addresses(project, settings.secret, settings.mail_domain, request.app[CLOCK](),
                         timedelta(days=settings.address_grace_days))
    return json_response({"addresses": active_addresses(project)})


async def put_member(request: web.Request) -> web.Response:
    """PUT /v1/projects/{pid}/members/{uid}: make the user a member (admin)."""
    require_admin(caller(request))
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        user = await get_user(session, request.match_info["uid"])
        await add_membership(session, project.id, user.id)
    return web.Response(status=204)


async def delete_member(request: web.Request) -> web.Response:
    """DELETE /v1/projects/{pid}/members/{uid}: end the membership (admin)."""
    require_admin(caller(request))
    async with unit_of_work(request) as session:
        project = await visible_project(session, caller(request), request.match_info["pid"])
        user = await get_user(session, request.match_info["uid"])
        await remove_membership(session, project.id, user.id)
    return web.Response(status=204)
