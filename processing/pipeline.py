"""process_message: parse → snapshot → verify → rules.decide → record, told top to bottom.

Used by the workers (spooled SMTP mail), by /v1/log and mailbox ingestion (synchronously),
and without the record step by /v1/explain.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, CursorResult, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parsing import ParsedMessage, parse_message
from processing.context import ProcessingContext
from processing.errors import ClaimLost
from processing.message_facts import to_message_facts
from processing.record import record_decision
from processing.verification import Envelope, verify_capture
from rules import (
    Capture,
    Channel,
    Decision,
    DirectorySnapshot,
    MessageFacts,
    SenderAuthFacts,
    SenderAuthMode,
    decide,
)
from store import spool
from store.database import read_only_session
from store.models import Project, ReceivedMessage
from store.snapshot import SnapshotRequest, build_snapshot

SMTP_CHANNELS = (Channel.BCC, Channel.FORWARD)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A received message after the steps that need no database: parse and verify."""

    parsed: ParsedMessage
    facts: MessageFacts
    capture: Capture
    authentication_results: str


def _snapshot_request(facts: MessageFacts, capture: Capture,
                      logged: MessageFacts | None = None) -> SnapshotRequest:
    """Ask for the directory of every participant and for the thread of `logged`.

    By default that is the message the rules log when they promote to a forward: the
    original, if there is one (see `_decided`).
    """
    addresses = set(facts.participants) | set(capture.envelope_recipients)
    if facts.original:
        addresses |= set(facts.original.participants)
    logged = logged or facts.original or facts
    return SnapshotRequest(
        addresses=frozenset(addresses), project_ids=capture.project_ids,
        user_id=capture.user_id, mailbox_id=capture.mailbox_id,
        message_id=logged.message_id, thread_ids=logged.thread_ids)


async def requires_sender_auth(session: AsyncSession, project_ids: list[str]) -> bool:
    """Tell whether any candidate project needs the sender verified."""
    modes = (await session.execute(
        select(Project.sender_auth).where(Project.id.in_(project_ids)))).scalars().all()
    return any(mode != "none" for mode in modes)


def _capture(received: ReceivedMessage, auth: SenderAuthFacts | None) -> Capture:
    channel = Channel(received.channel)
    # Only a message that came over SMTP has an envelope; a dry run of bcc has none.
    came_by_smtp = channel in SMTP_CHANNELS and bool(received.client_ip)
    return Capture(
        channel=channel,
        envelope_sender=received.mail_from if came_by_smtp else None,
        envelope_recipients=tuple(r.lower() for r in received.rcpt_to),
        user_id=received.user_id, mailbox_id=received.mailbox_id,
        project_ids=tuple(received.project_ids), sender_auth=auth)


async def _verify(received: ReceivedMessage, parsed: ParsedMessage, ctx: ProcessingContext,
                  required: bool) -> tuple[SenderAuthFacts | None, str]:
    """Verify the sender of a bcc/forward capture: (facts, Authentication-Results)."""
    if Channel(received.channel) not in SMTP_CHANNELS:
        return None, ""
    envelope = Envelope(received.mail_from, received.client_ip, received.helo)
    return await verify_capture(received.raw, parsed, envelope, ctx,
                                released=received.released, required=required)


async def prepare(received: ReceivedMessage, ctx: ProcessingContext, required: bool,
                  parsed: ParsedMessage | None = None) -> Prepared:
    """Parse (unless given) and, for bcc/forward, verify the sender; no database access here."""
    parsed = parsed or parse_message(received.raw)
    auth, results = await _verify(received, parsed, ctx, required)
    return Prepared(parsed, to_message_facts(parsed), _capture(received, auth), results)


SnapshotReader = Callable[[MessageFacts], Awaitable[DirectorySnapshot]]


async def _decided(prepared: Prepared, snapshot: DirectorySnapshot, read: SnapshotReader,
                   ctx: ProcessingContext) -> Decision:
    """Run the rules on `snapshot`, read with the original's thread when there is one.

    When the rules log the message itself instead (not promoted to a forward: sync, Log, a
    BCC with other recipients), its own thread decides: it is read and the rules run again.
    """
    facts, capture = prepared.facts, prepared.capture
    decision = decide(facts, capture, snapshot, ctx.now())
    if facts.original is None or decision.logged_original:
        return decision
    return decide(facts, capture, await read(facts), ctx.now())


async def evaluate(session: AsyncSession, prepared: Prepared, ctx: ProcessingContext) -> Decision:
    """Build the snapshot and run the rules (read-only)."""

    async def read(logged: MessageFacts | None = None) -> DirectorySnapshot:
        request = _snapshot_request(prepared.facts, prepared.capture, logged)
        return await build_snapshot(session, request)

    return await _decided(prepared, await read(), read, ctx)


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


async def _settle_received(session: AsyncSession, received: ReceivedMessage,
                           attempt: int | None) -> None:
    """Write the message's end state, or raise ClaimLost (rolling back) if it was re-claimed.

    With `attempt` the UPDATE matches only while the message is still in the claim that
    made that attempt, so a worker whose lease ran out and was taken over records nothing.
    """
    values = {f"new_{name}": getattr(received, name) for name in SETTLED_COLUMNS}
    result: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        _settle_statement(attempt is not None),
        {**values, "received_id": received.id, "attempt": attempt})
    if result.rowcount != 1:
        raise ClaimLost(f"message {received.id} was claimed again after attempt {attempt}"
                        if attempt is not None else f"message {received.id} is gone")


def _requires_sender_auth(received: ReceivedMessage, snapshot: DirectorySnapshot) -> bool:
    """Tell whether the message came by SMTP to a project that needs the sender verified."""
    if Channel(received.channel) not in SMTP_CHANNELS:
        return False
    modes = [p.sender_auth for p in snapshot.projects if p.id in set(received.project_ids)]
    return any(mode is not SenderAuthMode.NONE for mode in modes)


async def _decide(sessionmaker: async_sessionmaker[AsyncSession], received: ReceivedMessage,
                  ctx: ProcessingContext) -> tuple[Prepared, Decision, frozenset[str]]:
    """Parse, read the snapshot, verify the sender if a project needs it, and decide.

    DNS is never awaited inside a transaction: the snapshot is read first (nothing in it
    depends on the sender's verification), without the write lock (SQLite has one for the
    whole store; the spool's 250 waits for it). Recording is idempotent, so a decision on a
    snapshot a moment old is as good as PostgreSQL's READ COMMITTED would give. Also return
    the candidate projects that keep full bodies (for recording).
    """
    metrics = ctx.metrics
    with metrics.time_stage("parse"):
        parsed = parse_message(received.raw)
    started = time.perf_counter()
    facts = to_message_facts(parsed)

    async def read(logged: MessageFacts | None = None) -> DirectorySnapshot:
        async with read_only_session(sessionmaker) as session:
            return await build_snapshot(
                session, _snapshot_request(facts, _capture(received, None), logged))

    snapshot = await read()
    reading = time.perf_counter() - started
    with metrics.time_stage("verify"):
        auth, results = await _verify(received, parsed, ctx,
                                      _requires_sender_auth(received, snapshot))
    prepared = Prepared(parsed, facts, _capture(received, auth), results)
    started = time.perf_counter()
    decision = await _decided(prepared, snapshot, read, ctx)
    metrics.observe_stage("decide", reading + time.perf_counter() - started)
    storing_bodies = frozenset(p.id for p in snapshot.projects if p.store_bodies)
    return prepared, decision, storing_bodies


async def process_received(sessionmaker: async_sessionmaker[AsyncSession], received_id: str,
                           ctx: ProcessingContext, received: ReceivedMessage | None = None,
                           attempt: int | None = None) -> dict[str, Any]:
    """Process one claimed message to its end state and return the stored decision body.

    `received` is the claimed row as the claimer loaded it (detached); without it the row
    is read first. With `attempt` (the worker's claim), nothing is recorded if the lease ran
    out and another worker claimed the message meanwhile.
    """
    if received is None:
        async with read_only_session(sessionmaker) as session:
            received = await session.get(ReceivedMessage, received_id)
        if received is None:
            raise LookupError(f"received message {received_id} does not exist")
    prepared, decision, storing_bodies = await _decide(sessionmaker, received, ctx)
    with ctx.metrics.time_stage("record"):
        body = await _record(sessionmaker, received, prepared, decision, storing_bodies, ctx,
                             attempt)
    ctx.metrics.count_processed(body["status"], received.received_at, received.processed_at)
    return body


async def _record(sessionmaker: async_sessionmaker[AsyncSession], received: ReceivedMessage,
                  prepared: Prepared, decision: Decision, storing_bodies: frozenset[str],
                  ctx: ProcessingContext, attempt: int | None) -> dict[str, Any]:
    """Record the decision and settle the received message, in one write transaction."""
    async with sessionmaker.begin() as session:
        # A released message is not verified again: keep the verdict it was quarantined with.
        if prepared.authentication_results:
            received.authentication_results = prepared.authentication_results
        body = await record_decision(session, received, prepared.parsed, decision, ctx.now(),
                                     storing_bodies)
        received.lease_until = None
        await _settle_received(session, received, attempt)
    return body


async def explain(session: AsyncSession, received: ReceivedMessage,
                  ctx: ProcessingContext) -> Decision:
    """Return the decision for a message that is not stored, recording nothing."""
    required = await requires_sender_auth(session, list(received.project_ids))
    prepared = await prepare(received, ctx, required)
    return await evaluate(session, prepared, ctx)


__all__ = ["explain", "prepare", "process_received", "spool"]
