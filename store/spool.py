"""The spool: enqueue received messages, claim them for processing, settle their status.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL and a guarded UPDATE everywhere, so no
two workers ever hold the same message; a claim is a lease that expires if a worker dies.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    CursorResult,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from store.models import ReceivedMessage, ReceivedRaw, new_id, table_of


class MessageStatus(StrEnum):
    """Where a received message is in its life (SPEC §7 message status)."""

    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    QUARANTINED = "quarantined"
    FAILED = "failed"


QUEUED = MessageStatus.QUEUED
PROCESSING = MessageStatus.PROCESSING
DONE = MessageStatus.DONE
QUARANTINED = MessageStatus.QUARANTINED
FAILED = MessageStatus.FAILED


RECEIVED = table_of(ReceivedMessage)
RAWS = table_of(ReceivedRaw)


def enqueue(session: Session, message: ReceivedMessage) -> ReceivedMessage:
    """Add a received message to the spool as queued (the caller commits)."""
    message.status = QUEUED
    session.add(message)
    return message


def _values(message: ReceivedMessage) -> dict[str, Any]:
    """The message's row as Core parameters; columns left unset take their defaults."""
    return {column.key: value for column in RECEIVED.columns
            if (value := getattr(message, column.key)) is not None}


def insert_queued(session: Session, messages: Sequence[ReceivedMessage]) -> None:
    """Insert new messages as queued, with their raw bytes (the caller commits).

    Core INSERTs, one `executemany` per table (rows that leave the same columns unset go
    together), not the ORM's unit of work: the spool writer commits a batch of concurrent
    SMTP sessions' messages at once. Each message gets its id here, so the caller can name
    it in its reply.
    """
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for message in messages:
        message.status = QUEUED
        message.id = message.id or new_id()
        values = _values(message)
        by_columns.setdefault(tuple(values), []).append(values)
    db = session.connection()
    for rows in by_columns.values():
        db.execute(insert(RECEIVED), rows)
    db.execute(insert(RAWS), [{"received_message_id": message.id, "raw": message.raw}
                                   for message in messages])


def insert_settled(session: Session, message: ReceivedMessage) -> None:
    """Insert a message its receiver processed at once, in its end state (one Core INSERT).

    Columns the message leaves unset take their defaults; its id must be set. It is part of
    the recording transaction.
    """
    db = session.connection()
    db.execute(insert(RECEIVED), _values(message))
    db.execute(insert(RAWS), {"received_message_id": message.id, "raw": message.raw})


def drop_raws(session: Session, message_ids: Sequence[str]) -> int:
    """Delete the raw bytes of processed messages (their rows stay, empty); return how many
    had bytes. The message keeps its envelope, status and decision (SPEC §13)."""
    if not message_ids:
        return 0
    result: CursorResult[Any] = session.connection().execute(
        update(RAWS).where(RAWS.c.received_message_id.in_(list(message_ids)),
                           func.length(RAWS.c.raw) > 0).values(raw=b""))
    return int(result.rowcount or 0)


def held_by_claim(message_id: str | BindParameter[Any],
                  attempt: int | BindParameter[Any]) -> ColumnElement[bool]:
    """Match the message only while it is still in the claim that made `attempt`.

    Written with the table's columns, so a Core statement using it stays Core (an ORM
    attribute would make it an ORM statement, with autoflush and ORM result handling).
    """
    columns = RECEIVED.c
    return and_(columns.id == message_id, columns.status == PROCESSING,
                columns.attempts == attempt)


def _oldest(condition: ColumnElement[bool], limit: int) -> Any:
    """The `limit` oldest rows meeting `condition`, read in the claim index's order."""
    columns = RECEIVED.c
    return (select(columns.id, columns.next_attempt_at, columns.size).where(condition)
            .order_by(columns.next_attempt_at).limit(limit)
            .with_for_update(skip_locked=True).subquery())


@functools.cache
def _claim_statement(limit: int) -> Any:
    """Return the claiming UPDATE … RETURNING for up to `limit` rows, built once per limit.

    The oldest queued rows and the oldest rows whose lease expired are chosen by two
    sub-selects, each an ordered range of the claim index (status, next_attempt_at) that
    stops after `limit` rows. Of the oldest `limit` of the two, the claim keeps those whose
    sizes add up to at most `max_bytes` (a parameter), and always the oldest one: what a
    worker holds in memory is bounded by bytes, not only by a count of messages of up to
    25 MB each.

    One sub-select with `queued … OR processing …` cannot be read in the index's order:
    SQLite sorted every claimable row for each claim (and, once `ANALYZE` had run, scanned
    the whole table, done messages included), so a claim's cost grew with the queue and
    the history. The UPDATE finds the chosen rows by id alone. It used to check again that
    each was claimable, but SQLite (without statistics) read that condition through the
    claim index, visiting the whole queue per claim. The check adds nothing: on PostgreSQL
    the chosen rows are locked, and `FOR UPDATE` re-evaluates the sub-selects' conditions
    on a row's newest version before locking it; on SQLite the statement runs under the
    one write lock.
    """
    now: BindParameter[datetime] = bindparam("now")
    columns = RECEIVED.c
    queued = _oldest(and_(columns.status == QUEUED, columns.next_attempt_at <= now), limit)
    expired = _oldest(and_(columns.status == PROCESSING, columns.lease_until < now), limit)
    candidates = (
        union_all(select(queued.c.id, queued.c.next_attempt_at, queued.c.size),
                  select(expired.c.id, expired.c.next_attempt_at, expired.c.size))
        .order_by("next_attempt_at")
        .limit(limit)
        .subquery()
    )
    in_order = (candidates.c.next_attempt_at, candidates.c.id)
    running = (
        select(candidates.c.id,
               func.row_number().over(order_by=in_order).label("place"),
               func.sum(candidates.c.size).over(order_by=in_order, rows=(None, 0))
               .label("bytes"))
        .subquery()
    )
    max_bytes = bindparam("max_bytes", type_=BigInteger)
    # A CTE, materialized on PostgreSQL: as a plain `IN (sub-select … LIMIT n)` the planner
    # may run the sub-select again while updating and so claim more than `limit` rows.
    oldest = (
        select(running.c.id)
        .where(or_(running.c.place == 1, running.c.bytes <= max_bytes))
        .cte("claimable")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    return (
        update(RECEIVED)
        .where(columns.id.in_(select(oldest.c.id)))
        .values(status=PROCESSING, lease_until=bindparam("lease_until"),
                claimed_by=bindparam("claimed_by"), attempts=columns.attempts + 1)
        .returning(columns.id)
    )


# The claimed rows with their raw bytes (`ReceivedMessage.stored_raw` is joined).
_CLAIMED = (select(ReceivedMessage).where(ReceivedMessage.id.in_(bindparam("ids", expanding=True)))
            .execution_options(populate_existing=True))


def claim_messages(session: Session, now: datetime, lease: timedelta,
                         worker_id: str | None = None, limit: int = 1,
                         max_bytes: int = 16 << 20) -> list[ReceivedMessage]:
    """Claim up to `limit` of the oldest due messages (or ones whose lease expired).

    An UPDATE of the oldest claimable rows, chosen by sub-selects that skip rows other
    workers hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write lock, taken at
    BEGIN IMMEDIATE, serializes claims), returns their ids; then one SELECT reads the
    claimed rows with their raw bytes, which live in a table of their own (`ReceivedRaw`).
    They are returned oldest first; their sizes add up to at most `max_bytes`, unless the
    oldest alone is larger (it is claimed on its own). Each claim is a lease of its own and
    records `worker_id` on the message (`claimed_by`).
    """
    ids = (session.scalars(_claim_statement(limit), {
        "now": now, "lease_until": now + lease, "claimed_by": worker_id,
        "max_bytes": max_bytes})).all()
    if not ids:
        return []
    claimed = (session.scalars(_CLAIMED, {"ids": list(ids)})).unique().all()
    return sorted(claimed, key=lambda message: (message.next_attempt_at, message.received_at))


def release_claim(session: Session, message_id: str, attempt: int) -> bool:
    """Give back a claim not worked on (the worker is stopping); True if it was still held.

    The message is queued again at once, and the attempt it was claimed for is not counted.
    """
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ReceivedMessage)
        .where(held_by_claim(message_id, attempt))
        .values(status=QUEUED, lease_until=None, claimed_by=None,
                attempts=ReceivedMessage.attempts - 1)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def release_claims_of(session: Session, claimers: list[str]) -> int:
    """Give back every claim these workers hold (they are stopping); return how many.

    Each message is queued again at once, and the attempt it was claimed for is not
    counted; a worker that finishes it after all finds its claim gone and records nothing.
    """
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(ReceivedMessage)
        .where(ReceivedMessage.status == PROCESSING, ReceivedMessage.claimed_by.in_(claimers))
        .values(status=QUEUED, lease_until=None, claimed_by=None,
                attempts=ReceivedMessage.attempts - 1)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def fail_abandoned_claims(session: Session, now: datetime, max_attempts: int) -> list[str]:
    """Keep as failed the messages whose worker died holding them `max_attempts` times;
    return their ids.

    A message that kills its worker would otherwise be claimed again after every lease.
    """
    columns = RECEIVED.c
    return list(session.scalars(
        update(RECEIVED)
        .where(columns.status == PROCESSING, columns.lease_until < now,
               columns.attempts >= max_attempts)
        .values(status=FAILED, lease_until=None,
                last_error=f"processing stopped {max_attempts} times without finishing "
                           "(the worker holding it died or hung)")
        .returning(columns.id)))


def count_by_status(session: Session) -> dict[str, int]:
    """Return how many received messages are in each status."""
    rows = session.execute(
        select(ReceivedMessage.status, func.count()).group_by(ReceivedMessage.status))
    return {status: count for status, count in rows.all()}


def schedule_retry(message: ReceivedMessage, now: datetime, delay: timedelta,
                   error: str) -> None:
    """Put the message back in the queue after `delay`, keeping the error."""
    message.status = QUEUED
    message.lease_until = None
    message.next_attempt_at = now + delay
    message.last_error = error


def mark_failed(message: ReceivedMessage, error: str) -> None:
    """Keep the message as failed with its error (replayable, never dropped)."""
    message.status = FAILED
    message.lease_until = None
    message.last_error = error


def requeue(session: Session, message_ids: list[str] | None, now: datetime) -> int:
    """Queue failed messages again (all, or those ids); return how many."""
    query = update(ReceivedMessage).where(ReceivedMessage.status == FAILED)
    if message_ids:
        query = query.where(ReceivedMessage.id.in_(message_ids))
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        query.values(status=QUEUED, next_attempt_at=now, attempts=0, lease_until=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def queue_depth(session: Session) -> dict[str, int]:
    """Return how many messages are queued and processing (the claim index answers it)."""
    rows = session.execute(
        select(ReceivedMessage.status, func.count())
        .where(ReceivedMessage.status.in_((QUEUED, PROCESSING)))
        .group_by(ReceivedMessage.status))
    return {status: count for status, count in rows.all()}
