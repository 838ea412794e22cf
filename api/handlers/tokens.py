"""API token handlers: issue (shown once), list (ids only) and revoke a user's tokens.

An admin manages anyone's tokens; a user only their own.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import require_self_or_admin
from api.auth import hash_token, new_token
from api.request_context import caller, in_unit_of_work, json_response
from store.models import ApiToken
from store.queries.users import delete_token, get_user, list_tokens


async def create_token(request: web.Request) -> web.Response:
    """POST /v1/users/{uid}/tokens: 201 {id, token}; only the token's hash is stored."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)
    token = new_token()

    def issue(session: Session) -> str:
        row = ApiToken(user_id=get_user(session, user_id).id, token_hash=hash_token(token))
        session.add(row)
        session.flush()
        return row.id

    return json_response({"id": await in_unit_of_work(request, issue), "token": token},
                         status=201)


async def list_user_tokens(request: web.Request) -> web.Response:
    """GET /v1/users/{uid}/tokens: the ids and creation times of the user's tokens."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)

    def listed(session: Session) -> list[dict[str, str]]:
        get_user(session, user_id)
        return [{"id": t.id, "created_at": t.created_at.isoformat()}
                for t in list_tokens(session, user_id)]

    return json_response({"items": await in_unit_of_work(request, listed)})


async def revoke_token(request: web.Request) -> web.Response:
    """DELETE /v1/users/{uid}/tokens/{tid}: 204."""
    user_id, token_id = request.match_info["uid"], request.match_info["tid"]
    require_self_or_admin(caller(request), user_id)
    await in_unit_of_work(request, lambda session: delete_token(session, user_id, token_id))
    return web.Response(status=204)
