"""Errors the store, processing and API layers raise for expected failures.

This module imports nothing from aiohttp (or from any layer above `store`), so query
functions and the processing layer can raise these; the API maps them to RFC 9457
problem documents in one middleware (`api/problems.py`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field of a request: a JSON-pointer-like path and a sentence."""

    field: str
    message: str


class BlindcopyError(Exception):
    """Base of the expected, client-facing errors; `detail` is shown to the client."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(BlindcopyError):
    """The resource does not exist, or the caller may not see it."""


class Forbidden(BlindcopyError):
    """The caller is authenticated but may not use this resource."""


class InsufficientScope(Forbidden):
    """The caller's token lacks the scope the call needs; `scopes`: any one would do."""

    def __init__(self, detail: str, scopes: tuple[str, ...]) -> None:
        super().__init__(detail)
        self.scopes = scopes


class Unauthorized(BlindcopyError):
    """The request carries no valid credentials."""


class Conflict(BlindcopyError):
    """The request conflicts with the current state (a duplicate, a wrong status)."""


class Invalid(BlindcopyError):
    """The request is well-formed but some fields are invalid."""

    def __init__(
        self, errors: list[FieldError], detail: str = "The request has invalid fields."
    ) -> None:
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def field(cls, field: str, message: str) -> Invalid:
        """Return an Invalid error about one field."""
        return cls([FieldError(field, message)])


class Unavailable(BlindcopyError):
    """A dependency (the database, the processing layer) cannot serve the request now.

    `retry_after` is the number of seconds the client should wait before trying again.
    """

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class RecordingRace(Exception):
    """Another worker inserted a row this claim meant to add (the same email or conversation,
    recorded since the snapshot was read): retried like any failure, its next snapshot sees it."""
