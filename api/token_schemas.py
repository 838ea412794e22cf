"""The request body of POST /v1/users/{uid}/tokens: `{name?, scopes?, expires_in_seconds?}`."""

from __future__ import annotations

from dataclasses import dataclass

from api.fields import FieldReader
from api.scopes import ALL_SCOPES, Scope

# Ten years: long enough for a server's token, short enough to stay a date.
MAX_TOKEN_LIFETIME_SECONDS = 10 * 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """What a new token is called, may do, and how long it lives (None: until revoked)."""

    name: str | None
    scopes: frozenset[str]
    expires_in_seconds: int | None


def read_token_request(body: object) -> TokenRequest:
    """Validate the body; an empty body (or none) asks for an unnamed token with every scope."""
    reader = FieldReader({} if body is None else body)
    name = reader.string("name", max_length=200)
    scopes = reader.string_list("scopes", max_items=len(Scope), max_length=16)
    if scopes is not None:
        for index, scope in enumerate(scopes):
            if scope not in ALL_SCOPES:
                reader.fail(f"scopes[{index}]", "must be one of " + ", ".join(sorted(Scope)))
        if not scopes:
            reader.fail("scopes", "must name at least one scope")
    lifetime = reader.integer("expires_in_seconds", minimum=1,
                              maximum=MAX_TOKEN_LIFETIME_SECONDS)
    reader.finish()
    return TokenRequest(name, frozenset(scopes) if scopes else ALL_SCOPES, lifetime)
