"""Lookup (GET /v1/lookup): what the extension shows about a message's addresses before Log.

For each address, within the caller's projects only: whether it is a member's address
(account, alias or mailbox), ignored (by a project or globally), on a never-log list, and
the contacts that have it. Nothing about other projects is said.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import caller_project_ids
from api.fields import ADDRESS
from api.request_context import caller, in_unit_of_work, json_response
from rules.ignored_address import matches_pattern
from store.errors import FieldError, Invalid
from store.queries.lookup import AddressFacts, look_up_addresses

MAX_LOOKUP_ADDRESSES = 50


def read_addresses(request: web.Request) -> list[str]:
    """Return the `address` query values, lower-cased, in order, without duplicates."""
    given = request.query.getall("address", [])
    if not 1 <= len(given) <= MAX_LOOKUP_ADDRESSES:
        raise Invalid.field("address", f"give 1 to {MAX_LOOKUP_ADDRESSES} addresses")
    errors = [FieldError(f"address[{i}]", "must be an email address")
              for i, value in enumerate(given)
              if len(value) > 320 or not ADDRESS.match(value.strip().lower())]
    if errors:
        raise Invalid(errors)
    return list(dict.fromkeys(value.strip().lower() for value in given))


def lookup_json(facts: AddressFacts) -> dict[str, Any]:
    """Return one address's item of the lookup answer."""
    return {"address": facts.address, "is_user": facts.is_user,
            "ignored": any(matches_pattern(facts.address, p) for p in facts.ignored_patterns),
            "never_log": facts.never_log,
            "contacts": [{"project_id": c.project_id, "contact_id": c.contact_id,
                          "name": c.name} for c in facts.contacts]}


async def lookup(request: web.Request) -> web.Response:
    """GET /v1/lookup?address=…: {items: [{address, is_user, ignored, never_log, contacts}]}."""
    addresses, who = read_addresses(request), caller(request)

    def looked_up(session: Session) -> list[dict[str, Any]]:
        project_ids = caller_project_ids(session, who)
        return [lookup_json(f) for f in look_up_addresses(session, addresses, project_ids)]

    return json_response({"items": await in_unit_of_work(request, looked_up)})
