"""Received-message queries: the spool as the API sees it, decisions and quarantine.

A user sees a received message when they captured it (it carries their user id or one of
their mailboxes), when it names one of their projects (its capture `project_ids`, its
newest stored decision, or a project address it was sent to). Admins see every message.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, String, and_, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session, raiseload

from store.errors import NotFound
from store.models import Decision, Mailbox, ProjectAddress, ReceivedMessage
from store.queries.json_lists import mentions_any
from store.queries.pages import Page

QUARANTINED = "quarantined"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking: a user and their projects; `None` fields mean an admin sees all."""

    user_id: str | None
    project_ids: frozenset[str] | None

    @property
    def sees_everything(self) -> bool:
        """Tell whether this viewer is an admin."""
        return self.project_ids is None


def _visible_to(viewer: Viewer) -> ColumnElement[bool]:
    project_ids = viewer.project_ids or frozenset()
    sent_to_project = exists().where(
        ProjectAddress.project_id.in_(sorted(project_ids)),
        func.lower(cast(ReceivedMessage.rcpt_to, String)).like(
            literal('%"') + ProjectAddress.address + literal('"%')),
    )
    decided_in_project = exists().where(
        Decision.received_message_id == ReceivedMessage.id,
        mentions_any(Decision.body, project_ids),
    )
    own_mailbox = ReceivedMessage.mailbox_id.in_(
        select(Mailbox.id).where(Mailbox.user_id == viewer.user_id))
    return or_(ReceivedMessage.user_id == viewer.user_id, own_mailbox,
               mentions_any(ReceivedMessage.project_ids, project_ids),
               decided_in_project, sent_to_project)


# The API shows a received message's envelope and status, never its bytes: not read.
_NO_RAW = raiseload(ReceivedMessage.stored_raw)


def get_received(session: Session, received_id: str, viewer: Viewer) -> ReceivedMessage:
    """Return the received message if the viewer may see it, else raise NotFound."""
    query = select(ReceivedMessage).where(ReceivedMessage.id == received_id).options(_NO_RAW)
    if not viewer.sees_everything:
        query = query.where(_visible_to(viewer))
    received = (session.scalars(query)).one_or_none()
    if received is None:
        raise NotFound(f"Received message {received_id} does not exist.")
    return received


def list_received(
    session: Session, viewer: Viewer, *, message_id: str | None, status: str | None,
    before: tuple[datetime, str] | None, limit: int,
) -> Page[ReceivedMessage]:
    """Return a page of received messages the viewer may see, newest first."""
    query = select(ReceivedMessage).options(_NO_RAW).order_by(
        ReceivedMessage.received_at.desc(), ReceivedMessage.id.desc())
    if not viewer.sees_everything:
        query = query.where(_visible_to(viewer))
    if message_id is not None:
        query = query.where(ReceivedMessage.message_id == message_id)
    if status is not None:
        query = query.where(ReceivedMessage.status == status)
    if before is not None:
        received_at, received_id = before
        query = query.where(or_(ReceivedMessage.received_at < received_at, and_(
            ReceivedMessage.received_at == received_at, ReceivedMessage.id < received_id)))
    rows = (session.scalars(query.limit(limit + 1))).all()
    return Page.from_rows(rows, limit)


def newest_decisions(
    session: Session, received_ids: Collection[str]
) -> dict[str, Decision]:
    """Return the newest stored decision of each received message that has one."""
    if not received_ids:
        return {}
    query = (select(Decision).where(Decision.received_message_id.in_(list(received_ids)))
             .order_by(Decision.created_at, Decision.id))
    return {d.received_message_id: d for d in (session.scalars(query)).all()}


def get_quarantined(session: Session, received_id: str) -> ReceivedMessage:
    """Return the quarantined message or raise NotFound (also when it is not quarantined)."""
    received = session.get(ReceivedMessage, received_id)
    if received is None or received.status != QUARANTINED:
        raise NotFound(f"No quarantined message {received_id}.")
    return received


def list_quarantined(
    session: Session, *, before: tuple[datetime, str] | None, limit: int
) -> Page[ReceivedMessage]:
    """Return a page of quarantined messages, newest first."""
    return list_received(session, Viewer(None, None), message_id=None,
                               status=QUARANTINED, before=before, limit=limit)
