"""Quarantine handlers (admin): messages that failed sender authentication.

Listing, releasing (processed as if authentication had passed) and deleting them.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import require_admin
from api.pagination import page_body, page_limit, time_id_cursor
from api.request_context import caller, in_unit_of_work, json_response, processing, reading
from store.errors import Conflict, NotFound
from store.models import ReceivedMessage
from store.queries.received import get_quarantined, list_quarantined
from store.spool import MessageStatus


def quarantined_json(received: ReceivedMessage) -> dict[str, Any]:
    """Return the API representation of a quarantined message."""
    return {"id": received.id, "message_id": received.message_id,
            "mail_from": received.mail_from, "quarantine_reason": received.quarantine_reason,
            "authentication_results": received.authentication_results,
            "received_at": received.received_at.isoformat()}


async def list_quarantine(request: web.Request) -> web.Response:
    """GET /v1/quarantine → {items, next}, newest first."""
    require_admin(caller(request))
    limit, before = page_limit(request), time_id_cursor(request)

    def listed(session: Session) -> dict[str, Any]:
        page = list_quarantined(session, before=before, limit=limit)
        last = page.items[-1] if page.items else None
        key = (last.received_at.isoformat(), last.id) if last else ("", "")
        return page_body(page, [quarantined_json(r) for r in page.items], key)

    return json_response(await in_unit_of_work(request, listed))


async def release(request: web.Request) -> web.Response:
    """POST /v1/quarantine/{id}/release → the decision of processing it as passed.

    404 when the message does not exist, 409 when it exists but is not quarantined.
    """
    require_admin(caller(request))
    received_id = request.match_info["id"]

    def check(session: Session) -> None:
        received = session.get(ReceivedMessage, received_id)
        if received is None:
            raise NotFound(f"No quarantined message {received_id}.")
        if received.status != MessageStatus.QUARANTINED:
            raise Conflict(f"Message {received_id} is {received.status}, not quarantined.")

    await reading(request, check)
    return json_response(await processing(request).release_quarantined(received_id))


async def delete_quarantined(request: web.Request) -> web.Response:
    """DELETE /v1/quarantine/{id} → 204; the message is deleted."""
    require_admin(caller(request))
    received_id = request.match_info["id"]
    await in_unit_of_work(
        request, lambda session: session.delete(get_quarantined(session, received_id)))
    return web.Response(status=204)
