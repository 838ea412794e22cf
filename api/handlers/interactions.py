"""Interaction handlers: one interaction whole, and unlog (recorded, never deleted)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.caller import Caller
from api.redaction import may_see_content
from api.request_context import caller, in_unit_of_work, json_response
from store.errors import NotFound
from store.models import Interaction, Meeting, utcnow
from store.queries.content import meetings_by_uid
from store.queries.interactions import (
    InteractionRecord,
    get_interaction,
    interaction_record,
    unlog_interaction,
)
from store.redaction import redacted_message
from store.representations import meeting_json


def _visible_interaction(session: Session, who: Caller, interaction_id: str) -> Interaction:
    """Return the interaction if the caller sees its project (else NotFound, as if absent)."""
    interaction = get_interaction(session, interaction_id)
    try:
        visible_project(session, who, interaction.project_id)
    except NotFound:
        raise NotFound(f"Interaction {interaction_id} does not exist.") from None
    return interaction


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def interaction_whole_json(record: InteractionRecord,
                           meeting: Meeting | None = None) -> dict[str, Any]:
    """Return one interaction whole: its message as this project recorded it (SPEC §9, §12)."""
    interaction, message = record.interaction, record.message
    return {
        "id": interaction.id, "project_id": interaction.project_id,
        "contact_id": interaction.contact_id, "thread_id": interaction.thread_id,
        "type": interaction.type, "channels": interaction.channels,
        "user_id": interaction.user_id, "logged_at": interaction.logged_at.isoformat(),
        "unlogged_at": _time(interaction.unlogged_at),
        "direction": str(record.direction),
        "original_verified": message.original_verified,
        "meeting": meeting_json(meeting),
        "message": {
            "message_id": message.message_id, "subject": message.subject,
            "from": message.from_address, "from_name": message.from_name,
            "to": message.to, "cc": message.cc, "date": _time(message.date),
            "headers": message.headers, "preview": message.preview,
            "text": message.text, "html": message.html,
        },
        # Listed by n, their position in the message from 1 (kept with each since §12):
        # GET …/attachments/{n} serves one.
        "attachments": [{"n": n, **{k: v for k, v in a.items() if k != "content"}}
                        for n, a in enumerate(message.attachments, start=1)],
        "companies": [{"id": c.id, "external_id": c.external_id, "name": c.name}
                      for c in record.companies],
        "deals": [{"id": d.id, "external_id": d.external_id, "name": d.name,
                   "status": d.status} for d in record.deals],
    }


async def get_one_interaction(request: web.Request) -> web.Response:
    """GET /v1/interactions/{id}: the interaction with its whole message."""
    who, interaction_id = caller(request), request.match_info["id"]

    def read(session: Session) -> dict[str, Any]:
        interaction = _visible_interaction(session, who, interaction_id)
        record = interaction_record(session, interaction)
        uid = record.message.meeting_uid
        meetings = meetings_by_uid(session, interaction.project_id, {uid} if uid else set())
        whole = interaction_whole_json(record, meetings.get(uid or ""))
        whole["private"] = interaction.private
        if not may_see_content(who, interaction.private, interaction.user_id):
            # SPEC §13: another user's private interaction shows only that it occurred.
            whole.update(message=redacted_message(whole["message"]), attachments=[],
                         meeting=None)
        return whole

    return json_response(await in_unit_of_work(request, read))


async def delete_interaction(request: web.Request) -> web.Response:
    """DELETE /v1/interactions/{id}: 204; records when and by whom it was unlogged."""
    who = caller(request)
    interaction_id = request.match_info["id"]

    def unlog(session: Session) -> None:
        interaction = _visible_interaction(session, who, interaction_id)
        unlog_interaction(session, interaction, by=who.actor, at=utcnow())

    await in_unit_of_work(request, unlog)
    return web.Response(status=204)
