"""User handlers: create, list, read and change users (account address, aliases, role)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import require_admin, require_self_or_admin
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.schemas import Role, UserFields, read_user
from store.errors import Conflict
from store.models import User, UserAlias
from store.queries.users import addresses_in_use, get_user, list_users


def user_json(user: User) -> dict[str, Any]:
    """Return the API representation of a user."""
    return {
        "id": user.id, "name": user.name, "email": user.email,
        "aliases": sorted(alias.address for alias in user.aliases),
        "role": user.role, "personal_email_access": user.personal_email_access,
        "notices": user.notices, "created_at": user.created_at.isoformat(),
    }


def _check_addresses_free(session: Session, fields: UserFields, user_id: str | None) -> None:
    wanted = [a for a in [fields.email, *(fields.aliases or [])] if a is not None]
    taken = addresses_in_use(session, wanted, except_user_id=user_id)
    if taken:
        raise Conflict("Already used by another user or mailbox: " + ", ".join(sorted(taken)))


def _apply(user: User, fields: UserFields) -> None:
    for name in ("name", "email", "role", "personal_email_access", "notices"):
        value = getattr(fields, name)
        if value is not None:
            setattr(user, name, value)
    if fields.aliases is not None:
        wanted = [a for a in fields.aliases if a != user.email]
        user.aliases = [a for a in user.aliases if a.address in wanted]
        kept = {a.address for a in user.aliases}
        user.aliases.extend(UserAlias(address=a) for a in wanted if a not in kept)


async def create_user(request: web.Request) -> web.Response:
    """POST /v1/users (admin)."""
    require_admin(caller(request))
    fields = read_user(await read_json(request), creating=True)

    def create(session: Session) -> dict[str, Any]:
        _check_addresses_free(session, fields, None)
        user = User(role=Role.USER, personal_email_access=False, notices=True, aliases=[])
        _apply(user, fields)
        session.add(user)
        session.flush()
        return user_json(user)

    return json_response(await in_unit_of_work(request, create), status=201)


async def list_all_users(request: web.Request) -> web.Response:
    """GET /v1/users: every user for an admin, only themselves for a user."""
    who = caller(request)
    wanted = None if who.is_admin else [who.user_id or ""]
    users = await in_unit_of_work(
        request, lambda session: [user_json(u) for u in list_users(session, wanted)])
    return json_response({"items": users})


async def get_one_user(request: web.Request) -> web.Response:
    """GET /v1/users/{uid}: an admin, or the user themselves."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)
    return json_response(await in_unit_of_work(
        request, lambda session: user_json(get_user(session, user_id))))


async def patch_user(request: web.Request) -> web.Response:
    """PATCH /v1/users/{uid} (admin): role and permissions are an admin's to grant.

    A user may change their own `notices` (SPEC §14), and nothing else.
    """
    user_id = request.match_info["uid"]
    who = caller(request)
    require_self_or_admin(who, user_id)
    fields = read_user(await read_json(request), creating=False)
    if not who.is_admin and fields.given_besides_notices():
        require_admin(who)

    def change(session: Session) -> dict[str, Any]:
        user = get_user(session, user_id)
        _check_addresses_free(session, fields, user.id)
        _apply(user, fields)
        session.flush()
        return user_json(user)

    return json_response(await in_unit_of_work(request, change))
