"""Interaction handlers: unlog (remove from the timeline, recorded, never deleted)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from api.access import visible_project
from api.request_context import caller, in_unit_of_work
from store.errors import NotFound
from store.models import utcnow
from store.queries.interactions import get_interaction, unlog_interaction


async def delete_interaction(request: web.Request) -> web.Response:
    """DELETE /v1/interactions/{id}: 204; records when and by whom it was unlogged."""
    who = caller(request)
    interaction_id = request.match_info["id"]

    def unlog(session: Session) -> None:
        interaction = get_interaction(session, interaction_id)
        try:
            visible_project(session, who, interaction.project_id)
        except NotFound:
            raise NotFound(f"Interaction {interaction_id} does not exist.") from None
        unlog_interaction(session, interaction, by=who.actor, at=utcnow())

    await in_unit_of_work(request, unlog)
    return web.Response(status=204)
