"""Project handlers: create, list, read, change settings, rotate addresses, members."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import caller_project_ids, require_admin, visible_project
from api.keys import CLOCK, SETTINGS
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import read_project
from store.errors import Conflict
from store.models import Project, new_id
from store.project_addresses import active_addresses, issue_addresses, rotate_addresses
from store.queries.projects import is_slug_taken, list_projects
from store.queries.users import add_membership, get_user, remove_membership

SETTING_NAMES = ("interaction_type", "logging_mode", "sender_auth", "create_contacts",
                 "store_bodies", "capture_level", "deal_association")


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


def _free_slug(session: Session, name: str, slug: str | None) -> str:
    if slug is not None:
        if is_slug_taken(session, slug):
            raise Conflict(f"The slug {slug} is already used by another project.")
        return slug
    base = slug_from_name(name)
    candidate, number = base, 1
    while is_slug_taken(session, candidate):
        number += 1
        candidate = f"{base[:36]}-{number}"
    return candidate


async def create_project(request: web.Request) -> web.Response:
    """POST /v1/projects: create a project and issue its addresses (admin)."""
    require_admin(caller(request))
    fields = read_project(await read_json(request), creating=True)
    settings = request.app[SETTINGS]
    assert fields.name is not None
    name = fields.name

    def create(session: Session) -> dict[str, Any]:
        slug = _free_slug(session, name, fields.slug)
        # The id and generation are set now because the addresses are derived from them.
        project = Project(id=new_id(), name=name, slug=slug, address_generation=1,
                          addresses=[], **fields.settings)
        issue_addresses(project, settings.secret, settings.mail_domain)
        session.add(project)
        session.flush()
        return project_json(project)

    return json_response(await in_unit_of_work(request, create), status=201)


async def list_all_projects(request: web.Request) -> web.Response:
    """GET /v1/projects: the caller's projects (every project for an admin)."""
    who = caller(request)

    def listed(session: Session) -> list[dict[str, Any]]:
        return [project_json(p) for p in list_projects(session, caller_project_ids(session, who))]

    return json_response({"items": await in_unit_of_work(request, listed)})


async def get_project(request: web.Request) -> web.Response:
    """GET /v1/projects/{pid}."""
    who, project_id = caller(request), request.match_info["pid"]
    return json_response(await in_unit_of_work(
        request, lambda session: project_json(visible_project(session, who, project_id))))


async def patch_project(request: web.Request) -> web.Response:
    """PATCH /v1/projects/{pid}: change the name and/or settings (members and admins)."""
    fields = read_project(await read_json(request), creating=False)
    who, project_id = caller(request), request.match_info["pid"]

    def change(session: Session) -> dict[str, Any]:
        project = visible_project(session, who, project_id)
        if fields.name is not None:
            project.name = fields.name
        for name, value in fields.settings.items():
            setattr(project, name, value)
        session.flush()
        return project_json(project)

    return json_response(await in_unit_of_work(request, change))


async def rotate_project_addresses(request: web.Request) -> web.Response:
    """POST /v1/projects/{pid}/addresses/rotate: new addresses; old ones work for the grace."""
    settings, now = request.app[SETTINGS], request.app[CLOCK]()
    who, project_id = caller(request), request.match_info["pid"]

    def rotate(session: Session) -> dict[str, str]:
        project = visible_project(session, who, project_id)
        rotate_addresses(project, settings.secret, settings.mail_domain, now,
                         timedelta(days=settings.address_grace_days))
        session.flush()
        return active_addresses(project)

    return json_response({"addresses": await in_unit_of_work(request, rotate)})


async def _membership(request: web.Request, change: Callable[[Session, str, str], None]
                      ) -> web.Response:
    who = caller(request)
    require_admin(who)
    project_id, user_id = request.match_info["pid"], request.match_info["uid"]

    def apply(session: Session) -> None:
        project = visible_project(session, who, project_id)
        change(session, project.id, get_user(session, user_id).id)

    await in_unit_of_work(request, apply)
    return web.Response(status=204)


async def put_member(request: web.Request) -> web.Response:
    """PUT /v1/projects/{pid}/members/{uid}: make the user a member (admin)."""
    return await _membership(request, add_membership)


async def delete_member(request: web.Request) -> web.Response:
    """DELETE /v1/projects/{pid}/members/{uid}: end the membership (admin)."""
    return await _membership(request, remove_membership)
