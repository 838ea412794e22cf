"""Retention windows (SPEC §13): what processed messages keep, and for how long.

Two sweeps walk the processed received messages oldest first (index on processed_at, id),
each one bounded batch per call, from a cursor the caller keeps (rows examined once are
not read again):

- `drop_old_raws`: the raw bytes of a message processed before the cutoff are deleted (its
  envelope, status and decision stay). Not while the message may be processed again: one
  pending a thread assignment, quarantined (release) or failed (replay).
- `delete_unlogged`: a message processed before the cutoff that logged nothing (its newest
  decision has no logged or pending outcome; quarantined ones included) is deleted with
  its raw bytes and decisions.

`delete_old_events` deletes the oldest events of the outbox, created before the cutoff,
with their webhook deliveries (index on events.created_at; no cursor needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from store import spool
from store.models import Decision, Event, WebhookDelivery, table_of
from store.queries.received import newest_decisions

Cursor = tuple[datetime, str] | None
_RECORDED = ("logged", "pending")
_DECISIONS = table_of(Decision)
_EVENTS, _DELIVERIES = table_of(Event), table_of(WebhookDelivery)


@dataclass(frozen=True, slots=True)
class Swept:
    """One batch of a sweep: how many it removed, where it stopped, whether it was full."""

    removed: int
    cursor: Cursor
    full: bool


def _after(cursor: Cursor) -> Any:
    columns = spool.RECEIVED.c
    if cursor is None:
        return columns.processed_at.is_not(None)
    at, received_id = cursor
    return or_(columns.processed_at > at,
               and_(columns.processed_at == at, columns.id > received_id))


def _oldest(session: Session, statuses: Sequence[str], cutoff: datetime, cursor: Cursor,
            batch: int) -> list[Any]:
    columns = spool.RECEIVED.c
    return list(session.connection().execute(
        select(columns.id, columns.processed_at)
        .where(_after(cursor), columns.processed_at < cutoff, columns.status.in_(statuses))
        .order_by(columns.processed_at, columns.id).limit(batch)).all())


def _outcome_statuses(body: dict[str, Any]) -> set[str]:
    return {str(outcome.get("status")) for outcome in body.get("outcomes", [])}


def drop_old_raws(session: Session, cutoff: datetime, cursor: Cursor, batch: int) -> Swept:
    """Delete the raw bytes of up to `batch` done messages processed before `cutoff`."""
    rows = _oldest(session, [spool.DONE], cutoff, cursor, batch)
    if not rows:
        return Swept(0, cursor, False)
    decisions = newest_decisions(session, [row.id for row in rows])
    dropped = [row.id for row in rows if row.id not in decisions
               or "pending" not in _outcome_statuses(decisions[row.id].body)]
    removed = spool.drop_raws(session, dropped)
    return Swept(removed, (rows[-1].processed_at, rows[-1].id), len(rows) == batch)


def delete_unlogged(session: Session, cutoff: datetime, cursor: Cursor, batch: int) -> Swept:
    """Delete up to `batch` messages processed before `cutoff` that logged nothing."""
    rows = _oldest(session, [spool.DONE, spool.QUARANTINED], cutoff, cursor, batch)
    if not rows:
        return Swept(0, cursor, False)
    decisions = newest_decisions(session, [row.id for row in rows])
    unlogged = [row.id for row in rows if row.id in decisions
                and not _outcome_statuses(decisions[row.id].body) & set(_RECORDED)]
    if unlogged:
        db = session.connection()
        # Children first: SQLite applies ON DELETE CASCADE only with foreign keys on.
        for table in (spool.RAWS, _DECISIONS):
            db.execute(delete(table).where(table.c.received_message_id.in_(unlogged)))
        db.execute(delete(spool.RECEIVED).where(spool.RECEIVED.c.id.in_(unlogged)))
    return Swept(len(unlogged), (rows[-1].processed_at, rows[-1].id), len(rows) == batch)



def delete_old_events(session: Session, cutoff: datetime, batch: int) -> Swept:
    """Delete up to `batch` of the oldest events created before `cutoff`, with deliveries."""
    db = session.connection()
    ids = list(db.scalars(select(_EVENTS.c.id).where(_EVENTS.c.created_at < cutoff)
                          .order_by(_EVENTS.c.created_at).limit(batch)).all())
    if ids:
        db.execute(delete(_DELIVERIES).where(_DELIVERIES.c.event_id.in_(ids)))
        db.execute(delete(_EVENTS).where(_EVENTS.c.id.in_(ids)))
    return Swept(len(ids), None, len(ids) == batch)
