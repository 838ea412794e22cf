"""Received-message handlers: list what the caller may see, and read a stored decision.

Visibility for users is defined in `store.queries.received` (captured by them, or naming
one of their projects); an admin sees every message.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session, raiseload

from api.access import caller_project_ids, require_admin, viewer
from api.keys import CLOCK
from api.pagination import page_body, page_limit, time_id_cursor
from api.request_context import (
    caller,
    in_unit_of_work,
    json_response,
    processing,
    read_json,
    reading,
)
from api.schemas import read_match
from store import spool
from store.errors import Conflict, Invalid, NotFound
from store.models import Decision, ReceivedMessage, ReceivedRaw
from store.queries.received import get_received, list_received, newest_decisions
from store.representations import received_json
from store.spool import MessageStatus

# A requeue reads the message's status, never its bytes.
NO_RAW = raiseload(ReceivedMessage.stored_raw)


def decision_json(received: ReceivedMessage, decision: Decision | None) -> dict[str, Any]:
    """Return the stored decision of a received message (empty before processing)."""
    body: dict[str, Any] = {"outcomes": [], "trace": []}
    if decision is not None:
        body.update(decision.body)
        body["rules_version"] = decision.rules_version
    body.update(received_id=received.id, status=received.status,
                message_id=received.message_id or body.get("message_id"))
    return body


async def list_messages(request: web.Request) -> web.Response:
    """GET /v1/messages?message_id=&status=&cursor= → {items, next}, newest first."""
    status = request.query.get("status")
    if status is not None and status not in set(MessageStatus):
        raise Invalid.field("status", "must be one of " + ", ".join(MessageStatus))
    limit, before = page_limit(request), time_id_cursor(request)
    who, message_id = caller(request), request.query.get("message_id")

    def listed(session: Session) -> dict[str, Any]:
        page = list_received(session, viewer(session, who), message_id=message_id,
                             status=status, before=before, limit=limit)
        decisions = newest_decisions(session, [r.id for r in page.items])
        items = [received_json(r, decisions.get(r.id)) for r in page.items]
        last = page.items[-1] if page.items else None
        key = (last.received_at.isoformat(), last.id) if last else ("", "")
        return page_body(page, items, key)

    return json_response(await in_unit_of_work(request, listed))


async def get_decision(request: web.Request) -> web.Response:
    """GET /v1/messages/{id}/decision: outcomes plus the rule trace, and the status."""
    who, received_id = caller(request), request.match_info["id"]

    def stored(session: Session) -> dict[str, Any]:
        received = get_received(session, received_id, viewer(session, who))
        return decision_json(received, newest_decisions(session, [received.id]).get(received.id))

    return json_response(await in_unit_of_work(request, stored))


async def get_raw(request: web.Request) -> web.Response:
    """GET /v1/messages/{id}/raw (admin): the message as received, as message/rfc822.

    How admins read what the gateway kept for them (postmaster mail), or look at any
    received message exactly as it arrived.
    """
    require_admin(caller(request))
    received_id = request.match_info["id"]

    def raw(session: Session) -> bytes:
        stored = session.get(ReceivedRaw, received_id)
        if stored is None:
            raise NotFound(f"Received message {received_id} does not exist.")
        return stored.raw

    return web.Response(body=await in_unit_of_work(request, raw),
                        content_type="message/rfc822")


async def match_address(request: web.Request) -> web.Response:
    """POST /v1/messages/{id}/match `{address, contact_id | create: {name}, project_id?}`.

    Logs an address that no contact matched (`not_logged`, `no_contact`) on a contact of
    the caller's projects; answers the decision with the address's new outcome and the
    `manual-match` finding. 404: a message the caller may not see; 422: not one of its
    addresses in the caller's projects; 409: an address that was not unmatched.
    """
    who, received_id = caller(request), request.match_info["id"]
    fields = read_match(await read_json(request))

    def visible(session: Session) -> frozenset[str] | None:
        get_received(session, received_id, viewer(session, who))
        mine = caller_project_ids(session, who)
        return None if mine is None else frozenset(mine)

    project_ids = await reading(request, visible)
    await processing(request).match_address(
        received_id, fields.address, contact_id=fields.contact_id,
        create_name=fields.create_name, project_id=fields.project_id, user_id=who.user_id,
        project_ids=project_ids)

    def answer(session: Session) -> dict[str, Any]:
        received = get_received(session, received_id, viewer(session, who))
        return decision_json(received, newest_decisions(session, [received.id]).get(received.id))

    return json_response(await reading(request, answer))


async def replay(request: web.Request) -> web.Response:
    """POST /v1/messages/{id}/replay (admin): queue a failed message again → 202.

    The workers process it as new (its attempts start again); 409 when it is not failed.
    """
    require_admin(caller(request))
    received_id = request.match_info["id"]
    now = request.app[CLOCK]()

    def requeue(session: Session) -> dict[str, Any]:
        received = session.get(ReceivedMessage, received_id, options=[NO_RAW])
        if received is None:
            raise NotFound(f"Received message {received_id} does not exist.")
        if received.status != MessageStatus.FAILED:
            raise Conflict(f"Message {received_id} is {received.status}, not failed.")
        spool.requeue(session, [received_id], now)
        return {"id": received_id, "status": str(MessageStatus.QUEUED)}

    return json_response(await in_unit_of_work(request, requeue), status=202)
