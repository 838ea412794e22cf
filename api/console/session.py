"""Console sessions: sign in with an API token, a cookie, and a CSRF token per session.

The cookie holds a random value; the store keeps its SHA-256 with the hash of the API token
it was opened with, so a session is exactly as strong as its token and ends with it
(revoked, or a user removed). The cookie is HttpOnly, SameSite=Strict and Secure under TLS
(or when the console's public URL is https). Every form posts the session's CSRF token in a
hidden field; a POST from another origin is refused whatever it carries.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from aiohttp import web
from sqlalchemy import delete
from sqlalchemy.orm import Session

from api.auth import caller_of_token_hash, has_expired, hash_token
from api.caller import Caller
from api.keys import CLOCK, SETTINGS, STORE
from store.errors import Forbidden
from store.models import ConsoleSession

COOKIE = "blindcopy_console"
COOKIE_PATH = "/console/"
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A signed-in browser: who it is, and the token its forms must carry."""

    caller: Caller
    csrf_token: str
    session_id: str


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def open_session(request: web.Request, token: str) -> tuple[str, datetime] | None:
    """Open a session for a valid API token; return the cookie value and its expiry."""
    token_hash = hash_token(token.strip())
    value, now = secrets.token_urlsafe(32), request.app[CLOCK]()
    caller = await caller_of_token_hash(request.app, token_hash)
    if caller is None or has_expired(caller, now):
        return None
    row = ConsoleSession(id=_digest(value), token_hash=token_hash,
                         csrf_token=secrets.token_urlsafe(32), created_at=now,
                         expires_at=now + LIFETIME)

    def store(session: Session) -> None:
        # Sessions past their time go as new ones come (one statement, on an index).
        session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
        session.add(row)

    await request.app[STORE].run_write(store)
    return value, row.expires_at


async def signed_in(request: web.Request) -> SignedIn | None:
    """Return the request's session, if its cookie names a live one whose token still works."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    now = request.app[CLOCK]()
    row = await request.app[STORE].run_read(
        lambda session: session.get(ConsoleSession, _digest(value)))
    if row is None or row.expires_at <= now:
        return None
    caller = await caller_of_token_hash(request.app, row.token_hash)
    if caller is None or has_expired(caller, now):
        return None
    return SignedIn(caller, row.csrf_token, row.id)


async def close_session(request: web.Request, session_id: str) -> None:
    """End a session (sign out)."""
    await request.app[STORE].run_write(lambda session: session.execute(
        delete(ConsoleSession).where(ConsoleSession.id == session_id)))


def is_secure(request: web.Request) -> bool:
    """Tell whether the browser reaches the console over TLS."""
    return request.secure or request.app[SETTINGS].console_url.startswith("https://")


def set_cookie(request: web.Request, response: web.StreamResponse, value: str,
               expires_at: datetime) -> None:
    """Give the browser the session cookie."""
    response.set_cookie(COOKIE, value, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=is_secure(request),
                        max_age=int((expires_at - request.app[CLOCK]()).total_seconds()))


def clear_cookie(response: web.StreamResponse) -> None:
    """Make the browser forget the session cookie."""
    response.del_cookie(COOKIE, path=COOKIE_PATH)


def check_origin(request: web.Request) -> None:
    """Refuse a form posted from another origin (the browser says where it comes from)."""
    origin = request.headers.get("Origin")
    # The host, not the scheme: behind a TLS-terminating proxy the browser says https.
    if origin is not None and urlsplit(origin).netloc != request.host:
        raise Forbidden("This form was posted from another site.")
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        raise Forbidden("This form was posted from another site.")


def check_csrf(signed: SignedIn, posted: str | None) -> None:
    """Refuse a form that does not carry the session's CSRF token."""
    if not posted or not hmac.compare_digest(posted.encode(), signed.csrf_token.encode()):
        raise Forbidden("This form has expired; reload the page and try again.")
