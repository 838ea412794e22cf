"""Interaction queries: a contact's timeline (newest first) and unlogging."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from store.errors import NotFound
from store.events import EventType, emit, interaction_data
from store.models import Interaction, Message
from store.queries.pages import Page


def get_interaction(session: Session, interaction_id: str) -> Interaction:
    """Return the interaction or raise NotFound."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        raise NotFound(f"Interaction {interaction_id} does not exist.")
    return interaction


def contact_timeline(
    session: Session, contact_id: str, *, before: tuple[datetime, str] | None, limit: int
) -> Page[tuple[Interaction, Message]]:
    """Return a page of the contact's logged interactions with their messages, newest first."""
    query = (
        select(Interaction, Message)
        .join(Message, Message.id == Interaction.message_ref)
        .where(Interaction.contact_id == contact_id, Interaction.unlogged_at.is_(None))
        .order_by(Interaction.logged_at.desc(), Interaction.id.desc())
    )
    if before is not None:
        logged_at, interaction_id = before
        query = query.where(or_(
            Interaction.logged_at < logged_at,
            and_(Interaction.logged_at == logged_at, Interaction.id < interaction_id),
        ))
    rows = [(row[0], row[1]) for row in (session.execute(query.limit(limit + 1))).all()]
    return Page.from_rows(rows, limit)


def private_credits(session: Session, thread_ids: list[str]) -> dict[str, list[str | None]]:
    """Return, per thread, the users credited with its logged private interactions."""
    if not thread_ids:
        return {}
    credits: dict[str, list[str | None]] = {}
    for thread_id, user_id in session.execute(
            select(Interaction.thread_id, Interaction.user_id).where(
                Interaction.thread_id.in_(thread_ids), Interaction.private.is_(True),
                Interaction.unlogged_at.is_(None))):
        credits.setdefault(thread_id, []).append(user_id)
    return credits


def unlog_interaction(session: Session, interaction: Interaction, *, by: str,
                      at: datetime) -> None:
    """Record that the interaction was removed (once; it is kept, not deleted), with its
    `interaction.unlogged` event."""
    if interaction.unlogged_at is not None:
        return
    interaction.unlogged_at = at
    interaction.unlogged_by = by
    message = session.get(Message, interaction.message_ref)
    assert message is not None  # the interaction's foreign key
    emit(session, interaction.project_id, EventType.INTERACTION_UNLOGGED,
         interaction_data(interaction, message))
