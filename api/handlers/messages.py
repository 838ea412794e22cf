"""Received-message handlers: list what the caller may see, and read a stored decision.

Visibility for users is defined in `store.queries.received` (captured by them, or naming
one of their projects); an admin sees every message.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.access import require_admin, viewer
from api.pagination import page_body, page_limit, time_id_cursor
from api.request_context import caller, json_response, unit_of_work
from store.models import Decision, ReceivedMessage, ReceivedRaw
from store.queries.errors import Invalid, NotFound
from store.queries.received import get_received, list_received, newest_decisions
from store.spool import MessageStatus


def decision_json(received: ReceivedMessage, decision: Decision | None) -> dict[str, Any]:
    """Return the stored decision of a received message (empty before processing)."""
    body: dict[str, Any] = {"outcomes": [], "trace": []}
    if decision is not None:
        body.update(decision.body)
        body["rules_version"] = decision.rules_version
    body.update(received_id=received.id, status=received.status,
                message_id=received.message_id or body.get("message_id"))
    return body


def received_json(received: ReceivedMessage, decision: Decision | None) -> dict[str, Any]:
    """Return the list representation of a received message, with its processing state."""
    return {"id": received.id, "message_id": received.message_id, "channel": received.channel,
            "status": received.status, "received_at": received.received_at.isoformat(),
            "authentication_results": received.authentication_results,
            "attempts": received.attempts, "last_error": received.last_error,
            "outcomes": decision.body.get("outcomes", []) if decision else []}


async def list_messages(request: web.Request) -> web.Response:
    """GET /v1/messages?message_id=&status=&cursor= → {items, next}, newest first."""
    status = request.query.get("status")
    if status is not None and status not in set(MessageStatus):
        raise Invalid.field("status", "must be one of " + ", ".join(MessageStatus))
    limit, before = page_limit(request), time_id_cursor(request)
    async with unit_of_work(request) as session:
        page = await list_received(session, await viewer(session, caller(request)),
                                   message_id=request.query.get("message_id"), status=status,
                                   before=before, limit=limit)
        decisions = await newest_decisions(session, [r.id for r in page.items])
    items = [received_json(r, decisions.get(r.id)) for r in page.items]
    last = page.items[-1] if page.items else None
    key = (last.received_at.isoformat(), last.id) if last else ("", "")
    return json_response(page_body(page, items, key))


async def get_decision(request: web.Request) -> web.Response:
    """GET /v1/messages/{id}/decision: outcomes plus the rule trace, and the status."""
    async with unit_of_work(request) as session:
        received = await get_received(session, request.match_info["id"],
                                      await viewer(session, caller(request)))
        decisions = await newest_decisions(session, [received.id])
    return json_response(decision_json(received, decisions.get(received.id)))


async def get_raw(request: web.Request) -> web.Response:
    """GET /v1/messages/{id}/raw (admin): the message as received, as message/rfc822.

    How admins read what the gateway kept for them (postmaster mail), or look at any
    received message exactly as it arrived.
    """
    require_admin(caller(request))
    received_id = request.match_info["id"]
    async with unit_of_work(request) as session:
        stored = await session.get(ReceivedRaw, received_id)
        if stored is None:
            raise NotFound(f"Received message {received_id} does not exist.")
        raw = stored.raw
    return web.Response(body=raw, content_type="message/rfc822")
