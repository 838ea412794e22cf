"""Process received messages: judge them (processing.judging), then record, top to bottom.

Used by the workers (a claim's messages recorded in one transaction), by /v1/log and mailbox
ingestion (synchronously, one message), and without the record step by /v1/explain.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BindParameter, CursorResult, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from parsing import parse_message
from processing.context import ProcessingContext
from processing.errors import ClaimLost
from processing.judging import Recordable, judge, judge_spooled
from processing.record import message_record, record_decision
from rules import Decision
from store import spool
from store.database import is_store_outage, read_only_session
from store.models import ReceivedMessage
from store.recording import MessageRecord, RecordingBatch, store_decisions
from store.snapshot import build_snapshot

log = logging.getLogger("blindcopy.worker")


def check_claim(received_id: str, status: str, attempts: int,
                attempt: int | None) -> None:
    """Raise ClaimLost unless the message is still in the claim that made `attempt`."""
    if attempt is not None and (status != spool.PROCESSING or attempts != attempt):
        raise ClaimLost(f"message {received_id} was claimed again (attempt {attempts}, "
                        f"status {status}) after attempt {attempt}")


# What processing settles on the received message, written in one guarded UPDATE.
SETTLED_COLUMNS = ("status", "quarantine_reason", "message_ref", "message_id", "processed_at",
                   "authentication_results", "lease_until")


@functools.cache
def _settle_statement(guarded: bool) -> Any:
    """Return the settling UPDATE (built once), guarded by the claim or by the id alone."""
    received_id: BindParameter[str] = bindparam("received_id")
    condition = (spool.held_by_claim(received_id, bindparam("attempt")) if guarded
                 else spool.RECEIVED.c.id == received_id)
    return (update(spool.RECEIVED).where(condition)
            .values({name: bindparam(f"new_{name}") for name in SETTLED_COLUMNS}))


def _settle_received(session: Session, items: Sequence[Recordable]) -> None:
    """Write the messages' end states, or raise ClaimLost (rolling back) if one was re-claimed.

    With an item's `attempt` the UPDATE matches only while the message is still in the
    claim that made that attempt, so a worker whose lease ran out and was taken over records
    nothing. One `executemany` where the driver counts the rows it matched (SQLite);
    otherwise (asyncpg) one UPDATE per message, each counted.
    """
    by_guard: dict[bool, list[dict[str, Any]]] = {}
    for item in items:
        received = item.received
        by_guard.setdefault(item.attempt is not None, []).append({
            **{f"new_{name}": getattr(received, name) for name in SETTLED_COLUMNS},
            "received_id": received.id, "attempt": item.attempt})
    counted = session.get_bind().dialect.supports_sane_multi_rowcount
    for guarded, rows in by_guard.items():
        for group in [rows] if counted else [[row] for row in rows]:
            result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                _settle_statement(guarded), group)
            if result.rowcount != len(group):
                raise ClaimLost(_lost(group) if guarded else "a received message is gone")


def _lost(rows: list[dict[str, Any]]) -> str:
    ids = ", ".join(f"{row['received_id']} (attempt {row['attempt']})" for row in rows)
    return f"a message of {ids} was claimed again after that attempt"


async def process_received(sessionmaker: async_sessionmaker[AsyncSession], received_id: str,
                           ctx: ProcessingContext, received: ReceivedMessage | None = None,
                           attempt: int | None = None, stored: bool = True) -> dict[str, Any]:
    """Process one claimed message to its end state and return the stored decision body.

    `received` is the claimed row as the claimer loaded it (detached); without it the row
    is read first. With `attempt` (the worker's claim), nothing is recorded if the lease ran
    out and another worker claimed the message meanwhile. `stored=False`: `received` is a
    synchronous capture not stored yet; the recording transaction inserts it, settled.
    """
    if received is None:
        async with read_only_session(sessionmaker) as session:
            received = await session.get(ReceivedMessage, received_id)
        if received is None:
            raise LookupError(f"received message {received_id} does not exist")
    (judged,) = await judge_spooled(sessionmaker, [received], ctx)
    if isinstance(judged, Exception):
        raise judged
    item = Recordable(received, judged.judged, attempt)
    with ctx.metrics.time_stage("record"):
        async with sessionmaker.begin() as session:
            (body,) = await session.run_sync(_record_each, [item], ctx, stored)
    _count_processed(ctx, received, body)
    return body


async def record_all(sessionmaker: async_sessionmaker[AsyncSession],
                     items: list[Recordable], ctx: ProcessingContext
                     ) -> list[dict[str, Any] | Exception]:
    """Record judged messages in one write transaction; return each body or its failure.

    One transaction takes the store's write lock once for the whole claim (on SQLite every
    write waits for that one lock). If the store refuses it for one message's data (or one
    was claimed again meanwhile, ClaimLost), it is rolled back and each message is recorded
    in a transaction of its own, so only the message at fault fails; a store outage fails
    them all. Never raises but for cancellation: a failure is returned in its message's place.
    """
    started = time.perf_counter()
    try:
        async with sessionmaker.begin() as session:
            bodies = await session.run_sync(_record_each, items, ctx)
    except Exception as error:  # noqa: BLE001 - returned, or retried message by message
        if len(items) == 1 or is_store_outage(error):
            return [error] * len(items)
        log.warning("recording batch refused; recording its messages one by one",
                    extra={"messages": len(items)})
        return [(await record_all(sessionmaker, [item], ctx))[0] for item in items]
    per_message = (time.perf_counter() - started) / len(items)
    for item, body in zip(items, bodies, strict=True):
        ctx.metrics.observe_stage("record", per_message)
        _count_processed(ctx, item.received, body)
    return list(bodies)


def _count_processed(ctx: ProcessingContext, received: ReceivedMessage,
                     body: dict[str, Any]) -> None:
    ctx.metrics.count_processed(body["status"], received.received_at, received.processed_at)


def _record_each(session: Session, items: list[Recordable], ctx: ProcessingContext,
                 stored: bool = True) -> list[dict[str, Any]]:
    """Record the decisions and settle the received messages, in the session's transaction.

    Synchronous, run in one greenlet (`AsyncSession.run_sync`): its statements are not
    awaited one by one. What is stored already is read once for all the messages; the
    threads, messages and interactions they add are inserted together, then their settling
    UPDATEs and their decisions, after every message's effects. `stored=False`: the messages are synchronous captures not stored yet,
    inserted here, settled.
    """
    records = [message_record(item.judged.prepared.parsed, item.judged.decision,
                              item.storing_bodies) for item in items]
    batch = RecordingBatch.read(session, [r for r in records if r is not None])
    bodies = [_record_effects(session, item, record, batch, ctx)
              for item, record in zip(items, records, strict=True)]
    batch.insert_new(session)
    if stored:
        _settle_received(session, items)
    else:
        for item in items:
            spool.insert_settled(session, item.received)
    store_decisions(session, [(item.received.id, item.judged.decision.rules_version, body)
                              for item, body in zip(items, bodies, strict=True)])
    return bodies


def _record_effects(session: Session, item: Recordable, record: MessageRecord | None,
                    batch: RecordingBatch, ctx: ProcessingContext) -> dict[str, Any]:
    """Record one message's decision and set its end state; return the decision's body."""
    received, prepared = item.received, item.judged.prepared
    # A released message is not verified again: keep the verdict it was quarantined with.
    if prepared.authentication_results:
        received.authentication_results = prepared.authentication_results
    body = record_decision(session, received, record, item.judged.decision, ctx.now(),
                           batch)
    received.lease_until = None
    return body


async def explain(session: AsyncSession, received: ReceivedMessage,
                  ctx: ProcessingContext) -> Decision:
    """Return the decision for a message that is not stored, recording nothing."""
    read = functools.partial(build_snapshot, session)
    return (await judge(received, parse_message(received.raw), read, ctx, timed=False)).decision


__all__ = ["explain", "process_received", "record_all"]
