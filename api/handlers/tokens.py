"""API token handlers: issue (shown once), list (ids only) and revoke a user's tokens.

An admin manages anyone's tokens; a user only their own.
"""

from __future__ import annotations

from aiohttp import web

from api.access import require_self_or_admin
from api.auth import hash_token, new_token
from api.request_context import caller, json_response, unit_of_work
from store.models import ApiToken
from store.queries.users import delete_token, get_user, list_tokens


async def create_token(request: web.Request) -> web.Response:
    """POST /v1/users/{uid}/tokens: 201 {id, token}; only the token's hash is stored."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)
    token = new_token()
    async with unit_of_work(request) as session:
        user = await get_user(session, user_id)
        row = ApiToken(user_id=user.id, token_hash=hash_token(token))
        session.add(row)
        await session.flush()
    return json_response({"id": row.id, "token": token}, status=201)


async def list_user_tokens(request: web.Request) -> web.Response:
    """GET /v1/users/{uid}/tokens: the ids and creation times of the user's tokens."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)
    async with unit_of_work(request) as session:
        await get_user(session, user_id)
        tokens = await list_tokens(session, user_id)
        return json_response({"items": [
            {"id": t.id, "created_at": t.created_at.isoformat()} for t in tokens
        ]})


async def revoke_token(request: web.Request) -> web.Response:
    """DELETE /v1/users/{uid}/tokens/{tid}: 204."""
    user_id = request.match_info["uid"]
    require_self_or_admin(caller(request), user_id)
    async with unit_of_work(request) as session:
        await delete_token(session, user_id, request.match_info["tid"])
    return web.Response(status=204)
