"""The events outbox (SPEC §10): what happened, written in the transaction of the change.

`emit(session, project_id, type, data)` inserts one event in the caller's transaction, and
a pending delivery for each webhook whose filters it matches: the event (and its deliveries)
exist exactly when the change commits, and each (webhook, event) pair is delivered once
(the workers send it, processing/webhooks.py). `data` is the resource as the API shows it
(store/representations.py). The caller owns the transaction; nothing here commits.

Feed order. Events are read in (transaction_id, seq) order. On SQLite writers commit one at
a time, so `seq` (insertion order) is commit order and `transaction_id` is 0. On PostgreSQL
concurrent transactions take `seq` values in one order and commit in another: a reader that
went by `seq` alone could pass an event that commits later with a smaller one. Each event
therefore carries its transaction's id (`pg_current_xact_id()`), and the feed returns only
events of transactions older than the oldest one still running (the snapshot's `xmin`):
those have all ended, and every transaction that may still commit has a larger id, so its
events sort after every event already returned. A transaction left open holds the feed back
(not its writes) until it ends.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Text,
    and_,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from store.models import (
    Contact,
    Event,
    Interaction,
    Message,
    ProjectAddress,
    ReceivedMessage,
    Thread,
    Webhook,
    WebhookDelivery,
    new_id,
    table_of,
    utcnow,
)
from store.queries.pages import Page
from store.representations import (
    contact_json,
    interaction_json,
    received_json,
    thread_json,
)

EVENTS, WEBHOOKS, DELIVERIES = table_of(Event), table_of(Webhook), table_of(WebhookDelivery)


class EventType(StrEnum):
    """Every type of event (SPEC §10); the values are API."""

    INTERACTION_LOGGED = "interaction.logged"
    INTERACTION_UPDATED = "interaction.updated"
    INTERACTION_UNLOGGED = "interaction.unlogged"
    THREAD_PENDING = "thread.pending"
    THREAD_ASSIGNED = "thread.assigned"
    MESSAGE_QUARANTINED = "message.quarantined"
    MESSAGE_FAILED = "message.failed"
    CONTACT_CREATED = "contact.created"
    CONTACT_ERASED = "contact.erased"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event to emit: its type, the project it happened in (None: no project's) and data."""

    type: EventType
    project_id: str | None
    data: dict[str, Any]


def emit(session: Session, project_id: str | None, type_: EventType,
         data: dict[str, Any]) -> str:
    """Write one event in the session's transaction and return its id.

    Call it in the unit of work that makes the change, after the change: if the transaction
    rolls back, the event never existed. `data` is the resource as the API shows it.
    """
    return emit_many(session, [NewEvent(type_, project_id, data)])[0]


def emit_many(session: Session, events: Sequence[NewEvent]) -> list[str]:
    """Write events in the session's transaction (one INSERT per table); return their ids."""
    if not events:
        return []
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"id": f"evt_{new_id()}", "type": str(e.type), "project_id": e.project_id,
         "data": e.data, "created_at": now} for e in events]
    db = session.connection()
    db.execute(insert(EVENTS).values(transaction_id=_transaction_id(db)), rows)
    _add_deliveries(db, rows)
    return [row["id"] for row in rows]


def _transaction_id(db: Connection) -> ColumnElement[int]:
    if db.dialect.name == "postgresql":
        return cast(cast(func.pg_current_xact_id(), Text), BigInteger)
    return literal(0, BigInteger)


def matches(webhook: Any, type_: str, project_id: str | None) -> bool:
    """Tell whether a webhook's filters (empty: everything) let this event through."""
    return ((not webhook.types or type_ in webhook.types)
            and (not webhook.project_ids or project_id in webhook.project_ids))


def _add_deliveries(db: Connection, events: list[dict[str, Any]]) -> None:
    """Add a pending delivery of each event to each webhook it matches."""
    webhooks = db.execute(select(WEBHOOKS.c.id, WEBHOOKS.c.types, WEBHOOKS.c.project_ids)).all()
    deliveries = [{"id": new_id(), "webhook_id": webhook.id, "event_id": event["id"],
                   "status": "pending", "attempts": 0, "next_attempt_at": event["created_at"],
                   "attempts_log": [], "created_at": event["created_at"]}
                  for event in events for webhook in webhooks
                  if matches(webhook, event["type"], event["project_id"])]
    if deliveries:
        db.execute(insert(DELIVERIES), deliveries)


def interaction_data(interaction: Interaction, message: Message) -> dict[str, Any]:
    """Return an interaction event's data: the timeline entry and where it belongs (a
    private interaction's content is not in it: every reader of the feed would see it)."""
    return {**interaction_json(interaction, message, content=not interaction.private),
            "project_id": interaction.project_id,
            "contact_id": interaction.contact_id, "thread_id": interaction.thread_id,
            "unlogged_at": (interaction.unlogged_at.isoformat()
                            if interaction.unlogged_at else None)}


def interaction_events(session: Session, type_: EventType,
                       interaction_ids: Collection[str]) -> list[NewEvent]:
    """Return events of this type for the interactions (read with their messages)."""
    if not interaction_ids:
        return []
    rows = session.execute(
        select(Interaction, Message).join(Message, Message.id == Interaction.message_ref)
        .where(Interaction.id.in_(sorted(interaction_ids))).order_by(Interaction.id)).all()
    return [NewEvent(type_, interaction.project_id, interaction_data(interaction, message))
            for interaction, message in rows]


def contact_data(contact: Contact) -> dict[str, Any]:
    """Return a contact event's data: the contact as the API shows it, and its project."""
    return {**contact_json(contact), "project_id": contact.project_id}


def contact_events(session: Session, type_: EventType,
                   contact_ids: Collection[str]) -> list[NewEvent]:
    """Return events of this type for the contacts (read with their addresses)."""
    if not contact_ids:
        return []
    contacts = session.scalars(select(Contact).where(Contact.id.in_(sorted(contact_ids)))
                               .order_by(Contact.id)).all()
    return [NewEvent(type_, contact.project_id, contact_data(contact)) for contact in contacts]


def thread_data(thread: Thread) -> dict[str, Any]:
    """Return a thread event's data: the thread as the API shows it, with its assignment.

    Every candidate project is listed; the feed shows a user only theirs (`for_reader`).
    """
    return {**thread_json(thread, None),
            "assigned_project_ids": list(thread.assigned_project_ids)}


def thread_events(session: Session, type_: EventType,
                  thread_ids: Collection[str]) -> list[NewEvent]:
    """Return events of this type for the threads."""
    if not thread_ids:
        return []
    threads = session.scalars(select(Thread).where(Thread.id.in_(sorted(thread_ids)))
                              .order_by(Thread.id)).all()
    return [NewEvent(type_, thread.project_id, thread_data(thread)) for thread in threads]


def message_project_ids(session: Session, received: ReceivedMessage) -> list[str]:
    """Return the projects a received message names: its capture's, and those whose
    addresses it was sent to (as GET /v1/messages shows it to their members)."""
    recipients = sorted({r.lower() for r in received.rcpt_to})
    addressed = session.scalars(select(ProjectAddress.project_id).where(
        ProjectAddress.address.in_(recipients))).all() if recipients else []
    return sorted({*received.project_ids, *addressed})


def message_events(session: Session, type_: EventType,
                   received: Collection[ReceivedMessage]) -> list[NewEvent]:
    """Return events of this type for received messages: one in each project a message
    names, or one of no project (admins only) when it names none."""
    events: list[NewEvent] = []
    for message in received:
        data = received_json(message, None)
        projects: list[str | None] = [*message_project_ids(session, message)]
        events += [NewEvent(type_, project_id, data) for project_id in projects or [None]]
    return events


def for_reader(event: Event, project_ids: Collection[str] | None) -> dict[str, Any]:
    """Return the event as the feed shows it to a reader of these projects (None: all).

    A thread's candidate projects are cut to the reader's, as GET /v1/threads does.
    """
    data = event.data
    if project_ids is not None and "candidate_project_ids" in data:
        data = {**data, "candidate_project_ids": [
            p for p in data["candidate_project_ids"] if p in project_ids]}
    return {"id": event.id, "type": event.type, "timestamp": event.created_at.isoformat(),
            "project_id": event.project_id, "data": data}


@dataclass(frozen=True, slots=True)
class FeedPosition:
    """Where a reader of the feed is: after the event at (transaction_id, seq)."""

    transaction_id: int
    seq: int


def list_events(session: Session, *, after: FeedPosition | None, types: Collection[str],
                project_ids: Collection[str] | None, limit: int) -> Page[Event]:
    """Return the events after `after` in feed order (see the module's docstring).

    `types` (empty: all) and `project_ids` (None: every project, and events of none) filter.
    """
    columns = EVENTS.c
    query = select(Event).order_by(Event.transaction_id, Event.seq)
    if after is not None:
        query = query.where(or_(
            Event.transaction_id > after.transaction_id,
            and_(Event.transaction_id == after.transaction_id, Event.seq > after.seq)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.where(columns.transaction_id < cast(cast(
            func.pg_snapshot_xmin(func.pg_current_snapshot()), Text), BigInteger))
    if types:
        query = query.where(Event.type.in_(sorted(types)))
    if project_ids is not None:
        query = query.where(Event.project_id.in_(sorted(project_ids)))
    return Page.from_rows(session.scalars(query.limit(limit + 1)).all(), limit)
