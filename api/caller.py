"""The authenticated caller of a request: a user, an admin user, or the bootstrap admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from api.scopes import ALL_SCOPES


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made the request; the bootstrap admin token has no user id.

    `project_ids`: the user's projects as read when the token was checked (None: not read).
    `scopes`: what the token may do (`api.scopes`); the bootstrap admin token has them all.
    `token_id`, `token_expires_at`: the user's token (None for the bootstrap admin token).
    """

    user_id: str | None
    is_admin: bool
    project_ids: frozenset[str] | None = None
    scopes: frozenset[str] = ALL_SCOPES
    token_id: str | None = None
    token_expires_at: datetime | None = None

    @property
    def actor(self) -> str:
        """Return the id recorded for changes this caller makes (`admin` for the bootstrap)."""
        return self.user_id or "admin"
