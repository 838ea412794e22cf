"""The spool: enqueue received messages, claim them for processing, settle their status.

Claiming uses `FOR UPDATE SKIP LOCKED` on PostgreSQL and a guarded UPDATE everywhere, so no
two workers ever hold the same message; a claim is a lease that expires if a worker dies.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import ReceivedMessage


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


def enqueue(session: AsyncSession, message: ReceivedMessage) -> ReceivedMessage:
    """Add a received message to the spool as queued (the caller commits)."""
    message.status = QUEUED
    session.add(message)
    return message


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(ReceivedMessage.status == QUEUED, ReceivedMessage.next_attempt_at <= now),
        and_(ReceivedMessage.status == PROCESSING, ReceivedMessage.lease_until < now),
    )


async def claim_next_message(session: AsyncSession, now: datetime, lease: timedelta,
                             worker_id: str | None = None) -> ReceivedMessage | None:
    """Claim the oldest due message (or one whose lease expired); None when none is due.

    One statement: an UPDATE of the oldest claimable row, chosen by a sub-select that skips
    rows other workers hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's write lock,
    taken at BEGIN IMMEDIATE, serializes claims), that returns the claimed row. The outer
    WHERE checks again that the row is claimable. The claim records `worker_id` on the
    message (`claimed_by`).
    """
    oldest = (
        select(ReceivedMessage.id)
        .where(_claimable(now))
        .order_by(ReceivedMessage.next_attempt_at)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    claim = (
        update(ReceivedMessage)
        .where(ReceivedMessage.id == oldest, _claimable(now))
        .values(status=PROCESSING, lease_until=now + lease, claimed_by=worker_id,
                attempts=ReceivedMessage.attempts + 1)
        .returning(ReceivedMessage)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(claim)).one_or_none()


async def fail_abandoned_claims(session: AsyncSession, now: datetime, max_attempts: int) -> int:
    """Keep as failed the messages whose worker died holding them `max_attempts` times.

    A message that kills its worker would otherwise be claimed again after every lease.
    """
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(ReceivedMessage)
        .where(ReceivedMessage.status == PROCESSING, ReceivedMessage.lease_until < now,
               ReceivedMessage.attempts >= max_attempts)
        .values(status=FAILED, lease_until=None,
                last_error=f"processing stopped {max_attempts} times without finishing "
                           "(the worker holding it died or hung)")
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


async def count_by_status(session: AsyncSession) -> dict[str, int]:
    """Return how many received messages are in each status."""
    rows = await session.execute(
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


async def requeue(session: AsyncSession, message_ids: list[str] | None, now: datetime) -> int:
    """Queue failed messages again (all, or those ids); return how many."""
    query = update(ReceivedMessage).where(ReceivedMessage.status == FAILED)
    if message_ids:
        query = query.where(ReceivedMessage.id.in_(message_ids))
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        query.values(status=QUEUED, next_attempt_at=now, attempts=0, lease_until=None)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


async def queue_depth(session: AsyncSession) -> dict[str, int]:
    """Return how many messages are queued and processing (the claim index answers it)."""
    rows = await session.execute(
        select(ReceivedMessage.status, func.count())
        .where(ReceivedMessage.status.in_((QUEUED, PROCESSING)))
        .group_by(ReceivedMessage.status))
    return {status: count for status, count in rows.all()}
