"""Bearer-token authentication: the bootstrap admin token and users' API tokens.

User tokens are random strings shown once; only their SHA-256 hex digest is stored
(`ApiToken.token_hash`); a token past its `expires_at` (by the app's clock) is refused, and
every call is checked against the token's scopes (`api.scopes`). A user whose role is
`admin` is an admin. Paths in
`PUBLIC_PATHS` need no token; neither does `/metrics` when the `metrics_public` setting is on.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from aiohttp import web
from aiohttp.typedefs import Handler

from api.caller import Caller
from api.keys import CALLER, CLOCK, SETTINGS, STORE
from api.scopes import require_scope
from store.errors import Unauthorized
from store.queries.users import token_owner

PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/v1/openapi.json"})
METRICS_PATH = "/metrics"
CONSOLE_PREFIX = "/console"
TOKEN_PREFIX = "bc_"
ADMIN_ROLE = "admin"


def new_token() -> str:
    """Return a fresh random API token (256 bits of entropy)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Return the stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(token.encode()).hexdigest()


def _bearer_token(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an Authorization: Bearer <token> header.")
    return token.strip()


async def authenticate(request: web.Request) -> Caller:
    """Return the caller the request's bearer token belongs to, or raise Unauthorized."""
    caller = await caller_of_token_hash(request.app, hash_token(_bearer_token(request)))
    if caller is None:
        raise Unauthorized("The bearer token is not valid.")
    if has_expired(caller, request.app[CLOCK]()):
        assert caller.token_expires_at is not None
        raise Unauthorized(
            f"The bearer token expired at {caller.token_expires_at.isoformat()}.")
    return caller


def has_expired(caller: Caller, now: datetime) -> bool:
    """Tell whether the caller's token is past its `expires_at`."""
    return caller.token_expires_at is not None and caller.token_expires_at <= now


async def caller_of_token_hash(app: web.Application, token_hash: str) -> Caller | None:
    """Return the caller a token (by its SHA-256 hash) stands for, or None if none.

    The one way a token becomes a caller: the API's bearer tokens and the console's
    sessions (which keep the hash of the token they were opened with) both go through it.
    The caller of an expired token is returned too: see `has_expired`.
    """
    admin_token = app[SETTINGS].admin_token
    if admin_token and hmac.compare_digest(token_hash.encode(),
                                           hash_token(admin_token).encode()):
        return Caller(user_id=None, is_admin=True)
    owner = await app[STORE].run_read(token_owner, token_hash)
    if owner is None:
        return None
    return Caller(user_id=owner.id, is_admin=owner.role == ADMIN_ROLE,
                  project_ids=owner.project_ids, scopes=owner.scopes, token_id=owner.token_id,
                  token_expires_at=owner.expires_at)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Attach the authenticated caller to the request; public paths pass through."""
    # The console signs its pages in with a session of its own (api/console/session.py).
    if request.path in PUBLIC_PATHS or request.path.startswith(CONSOLE_PREFIX):
        return await handler(request)
    if request.path == METRICS_PATH and request.app[SETTINGS].metrics_public:
        request[CALLER] = Caller(user_id=None, is_admin=False)
        return await handler(request)
    request[CALLER] = who = await authenticate(request)
    require_scope(who.scopes, request)
    return await handler(request)
