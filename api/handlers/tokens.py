"""API token handlers: issue (shown once), list (no secrets) and revoke tokens (SPEC §11).

An admin manages anyone's tokens; a user only their own. A token is named, carries scopes
(`log`, `read`, `write`) and may expire. A user's new token may not do more, or live longer,
than the token asking for it: a short-lived token cannot mint a lasting one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import require_self_or_admin
from api.auth import hash_token, new_token
from api.caller import Caller
from api.keys import CLOCK
from api.request_context import caller, in_unit_of_work, json_response, read_json
from api.token_schemas import TokenRequest, read_token_request
from store.errors import Invalid
from store.models import ApiToken
from store.queries.users import delete_token, get_user, list_tokens


def token_json(token: ApiToken) -> dict[str, Any]:
    """Return a token as the API shows it: never its secret."""
    return {"id": token.id, "name": token.name, "scopes": sorted(token.scopes.split()),
            "created_at": token.created_at.isoformat(),
            "expires_at": token.expires_at.isoformat() if token.expires_at else None}


async def _read_request(request: web.Request) -> TokenRequest:
    return read_token_request(await read_json(request) if request.body_exists else None)


def _check_within_callers_token(who: Caller, wanted: TokenRequest,
                                expires_at: datetime | None) -> None:
    if who.is_admin:
        return
    if not wanted.scopes <= who.scopes:
        raise Invalid.field("scopes", "may not exceed this token's scopes ("
                            + " ".join(sorted(who.scopes)) + ")")
    limit = who.token_expires_at
    if limit is not None and (expires_at is None or expires_at > limit):
        raise Invalid.field("expires_in_seconds",
                            f"may not outlive this token (it expires at {limit.isoformat()})")


async def create_token(request: web.Request) -> web.Response:
    """POST /v1/users/{uid}/tokens: 201 {id, token, name, scopes, expires_at}.

    Only the token's hash is stored; the token is in this answer and nowhere else.
    """
    user_id, who = request.match_info["uid"], caller(request)
    require_self_or_admin(who, user_id)
    wanted = await _read_request(request)
    now = request.app[CLOCK]()
    expires_at = (None if wanted.expires_in_seconds is None
                  else now + timedelta(seconds=wanted.expires_in_seconds))
    _check_within_callers_token(who, wanted, expires_at)
    token = new_token()

    def issue(session: Session) -> dict[str, Any]:
        row = ApiToken(user_id=get_user(session, user_id).id, token_hash=hash_token(token),
                       name=wanted.name, scopes=" ".join(sorted(wanted.scopes)),
                       expires_at=expires_at, created_at=now)
        session.add(row)
        session.flush()
        return token_json(row)

    issued = await in_unit_of_work(request, issue)
    return json_response({**issued, "token": token}, status=201)


async def list_user_tokens(request: web.Request) -> web.Response:
    """GET /v1/users/{uid}/tokens: the user's tokens (names, scopes, times; no secrets)."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)

    def listed(session: Session) -> list[dict[str, Any]]:
        get_user(session, user_id)
        return [token_json(t) for t in list_tokens(session, user_id)]

    return json_response({"items": await in_unit_of_work(request, listed)})


async def revoke_token(request: web.Request) -> web.Response:
    """DELETE /v1/tokens/{id}: 204; the token stops working at once.

    A user revokes their own tokens; another user's answers 404 (ids do not leak).
    """
    who, token_id = caller(request), request.match_info["id"]
    owner = None if who.is_admin else who.user_id
    await in_unit_of_work(request, lambda session: delete_token(session, owner, token_id))
    return web.Response(status=204)


async def revoke_user_token(request: web.Request) -> web.Response:
    """DELETE /v1/users/{uid}/tokens/{tid}: 204 (the same as DELETE /v1/tokens/{id})."""
    user_id, token_id = request.match_info["uid"], request.match_info["tid"]
    require_self_or_admin(caller(request), user_id)
    await in_unit_of_work(request, lambda session: delete_token(session, user_id, token_id))
    return web.Response(status=204)
