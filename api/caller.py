"""The authenticated caller of a request: a user, an admin user, or the bootstrap admin."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made the request; the bootstrap admin token has no user id.

    `project_ids`: the user's projects as read when the token was checked (None: not read).
    """

    user_id: str | None
    is_admin: bool
    project_ids: frozenset[str] | None = None

    @property
    def actor(self) -> str:
        """Return the id recorded for changes this caller makes (`admin` for the bootstrap)."""
        return self.user_id or "admin"
