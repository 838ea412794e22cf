"""process_message: parse → snapshot → verify → rules.decide → record, told top to bottom.

Used by the workers (spooled SMTP mail), by /v1/log and mailbox ingestion (synchronously),
and without the record step by /v1/explain.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, CursorResult, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

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
from store.database import is_store_outage, read_only_session
from store.models import ReceivedMessage
from store.recording import store_decision
from store.snapshot import SnapshotRequest, build_snapshot

SMTP_CHANNELS = (Channel.BCC, Channel.FORWARD)
log = logging.getLogger("blindcopy.worker")


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
    original, if there is one (see `judge`).
    """
    addresses = set(facts.participants) | set(capture.envelope_recipients)
    if facts.original:
        addresses |= set(facts.original.participants)
    logged = logged or facts.original or facts
    return SnapshotRequest(
        addresses=frozenset(addresses), project_ids=capture.project_ids,
        user_id=capture.user_id, mailbox_id=capture.mailbox_id,
        message_id=logged.message_id, thread_ids=logged.thread_ids)


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


SnapshotReader = Callable[[SnapshotRequest], Awaitable[DirectorySnapshot]]


def _requires_sender_auth(received: ReceivedMessage, snapshot: DirectorySnapshot) -> bool:
    """Tell whether the message came by SMTP to a project that needs the sender verified."""
    if Channel(received.channel) not in SMTP_CHANNELS:
        return False
    candidates = set(received.project_ids)
    modes = [p.sender_auth for p in snapshot.projects if p.id in candidates]
    return any(mode is not SenderAuthMode.NONE for mode in modes)


@dataclass(frozen=True, slots=True)
class Judged:
    """A received message judged: parsed and verified, its decision, the snapshot read."""

    prepared: Prepared
    decision: Decision
    snapshot: DirectorySnapshot


SnapshotsReader = Callable[[list[SnapshotRequest]],
                           Awaitable[list[DirectorySnapshot | Exception]]]


@dataclass(slots=True)
class _Judging:
    """One message on its way through `judge_all`."""

    received: ReceivedMessage
    parsed: ParsedMessage
    facts: MessageFacts
    unverified: Capture
    outcome: Judged | Exception | None = None
    deciding: float = 0.0  # seconds spent reading and deciding for this message

    @classmethod
    def start(cls, received: ReceivedMessage, parsed: ParsedMessage) -> _Judging:
        return cls(received, parsed, to_message_facts(parsed), _capture(received, None))

    def own_thread_request(self) -> SnapshotRequest | None:
        """The rules log the message itself, not its forwarded original: read its thread."""
        judged = self.outcome
        if (isinstance(judged, Judged) and self.facts.original is not None
                and not judged.decision.logged_original):
            return _snapshot_request(self.facts, self.unverified, logged=self.facts)
        return None


async def judge(received: ReceivedMessage, parsed: ParsedMessage, read: SnapshotReader,
                ctx: ProcessingContext, *, timed: bool = True) -> Judged:
    """Read the snapshot, verify the sender if a candidate project needs it, and decide.

    `judge_all` for one message, reading with `read`; raise what judging it raised.
    """
    async def read_each(requests: list[SnapshotRequest]) -> list[DirectorySnapshot | Exception]:
        return [await read(request) for request in requests]

    (outcome,) = await judge_all([(received, parsed)], read_each, ctx, timed=timed)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


async def judge_all(messages: list[tuple[ReceivedMessage, ParsedMessage]],
                    read: SnapshotsReader, ctx: ProcessingContext, *, timed: bool = True
                    ) -> list[Judged | Exception]:
    """Judge parsed messages: each one's outcome, or what failed it, in their order.

    DNS is never awaited inside a transaction `read` opens: every snapshot is read first
    (nothing in it depends on the sender's verification), all in one call. A snapshot is
    read with the forwarded original's thread when there is one (what a promoted forward
    logs); when the rules log the message itself instead (sync, Log, a BCC with other
    recipients), its own thread decides: those are read in a second call and the rules run
    again. `timed`: observe the verify and decide stages in the context's metrics.
    """
    judging = [_Judging.start(received, parsed) for received, parsed in messages]
    await _read_and(judging, read, [_snapshot_request(j.facts, j.unverified) for j in judging],
                    lambda j, snapshot: _verify_and_decide(j, snapshot, ctx, timed))
    again = [(j, request) for j in judging if (request := j.own_thread_request()) is not None]
    if again:
        await _read_and([j for j, _ in again], read, [request for _, request in again],
                        lambda j, snapshot: _decide_again(j, snapshot, ctx))
    if timed:
        for j in judging:
            ctx.metrics.observe_stage("decide", j.deciding)
    return [j.outcome if j.outcome is not None else RuntimeError("not judged")
            for j in judging]


async def _read_and(judging: list[_Judging], read: SnapshotsReader,
                    requests: list[SnapshotRequest],
                    then: Callable[[_Judging, DirectorySnapshot], Awaitable[None]]) -> None:
    """Read the snapshots of `requests` in one call, then go on with the messages together.

    Together: one message's DNS look-ups do not wait for another's.
    """
    started = time.perf_counter()
    snapshots = await read(requests)
    share = (time.perf_counter() - started) / len(requests)

    async def go_on(j: _Judging, snapshot: DirectorySnapshot | Exception) -> None:
        j.deciding += share
        if isinstance(snapshot, Exception):
            j.outcome = snapshot
            return
        try:
            await then(j, snapshot)
        except Exception as error:  # noqa: BLE001 - that message's outcome, not the batch's
            j.outcome = error

    await asyncio.gather(*(go_on(j, snapshot)
                           for j, snapshot in zip(judging, snapshots, strict=True)))


async def _verify_and_decide(j: _Judging, snapshot: DirectorySnapshot, ctx: ProcessingContext,
                             timed: bool) -> None:
    with ctx.metrics.time_stage("verify") if timed else contextlib.nullcontext():
        auth, results = await _verify(j.received, j.parsed, ctx,
                                      _requires_sender_auth(j.received, snapshot))
    started = time.perf_counter()
    prepared = Prepared(j.parsed, j.facts, _capture(j.received, auth), results)
    j.outcome = Judged(prepared, decide(j.facts, prepared.capture, snapshot, ctx.now()), snapshot)
    j.deciding += time.perf_counter() - started


async def _decide_again(j: _Judging, own_thread: DirectorySnapshot,
                        ctx: ProcessingContext) -> None:
    assert isinstance(j.outcome, Judged)
    started = time.perf_counter()
    prepared = j.outcome.prepared
    decision = decide(j.facts, prepared.capture, own_thread, ctx.now())
    j.outcome = Judged(prepared, decision, j.outcome.snapshot)
    j.deciding += time.perf_counter() - started


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


def _settle_received(session: Session, received: ReceivedMessage,
                     attempt: int | None) -> None:
    """Write the message's end state, or raise ClaimLost (rolling back) if it was re-claimed.

    With `attempt` the UPDATE matches only while the message is still in the claim that
    made that attempt, so a worker whose lease ran out and was taken over records nothing.
    """
    values = {f"new_{name}": getattr(received, name) for name in SETTLED_COLUMNS}
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        _settle_statement(attempt is not None),
        {**values, "received_id": received.id, "attempt": attempt})
    if result.rowcount != 1:
        raise ClaimLost(f"message {received.id} was claimed again after attempt {attempt}"
                        if attempt is not None else f"message {received.id} is gone")


def _snapshots_reader(sessionmaker: async_sessionmaker[AsyncSession]) -> SnapshotsReader:
    """Read snapshots in one read-only session; one by one if the store refuses that.

    Read without the write lock (SQLite has one for the whole store; the spool's 250 waits
    for it). Recording is idempotent, so a decision on a snapshot a moment old is as good as
    PostgreSQL's READ COMMITTED would give. One session for a claim's messages: opening
    one costs more than a look-up. A failure for one message's data fails only that one.
    """
    async def read(requests: list[SnapshotRequest]) -> list[DirectorySnapshot | Exception]:
        try:
            async with read_only_session(sessionmaker) as session:
                return [await build_snapshot(session, request) for request in requests]
        except Exception as error:  # noqa: BLE001 - read again one by one, or all fail
            if len(requests) == 1 or is_store_outage(error):
                return [error] * len(requests)
        return [(await read([request]))[0] for request in requests]

    return read


def _parsed(received: ReceivedMessage, ctx: ProcessingContext) -> ParsedMessage | Exception:
    try:
        with ctx.metrics.time_stage("parse"):
            return parse_message(received.raw)
    except Exception as error:  # noqa: BLE001 - that message's outcome
        return error


async def judge_spooled(sessionmaker: async_sessionmaker[AsyncSession],
                        claimed: list[ReceivedMessage], ctx: ProcessingContext
                        ) -> list[Recordable | Exception]:
    """Parse and judge spooled messages (detached, as the claim loaded them), in order.

    Each becomes a Recordable with the claim it was judged under, or what failed it.
    """
    parsed = [_parsed(received, ctx) for received in claimed]
    ready = [(received, p) for received, p in zip(claimed, parsed, strict=True)
             if not isinstance(p, Exception)]
    judged = iter(await judge_all(ready, _snapshots_reader(sessionmaker), ctx) if ready else [])
    outcomes: list[Recordable | Exception] = []
    for received, p in zip(claimed, parsed, strict=True):
        outcome = p if isinstance(p, Exception) else next(judged)
        outcomes.append(outcome if isinstance(outcome, Exception)
                        else Recordable(received, outcome, received.attempts))
    return outcomes


@dataclass(frozen=True, slots=True)
class Recordable:
    """A claimed message judged and ready to record, with the claim it was judged under."""

    received: ReceivedMessage
    judged: Judged
    attempt: int | None

    @property
    def storing_bodies(self) -> frozenset[str]:
        """The candidate projects that keep full bodies (the text is kept if logged in one)."""
        return frozenset(p.id for p in self.judged.snapshot.projects if p.store_bodies)


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
            body = await session.run_sync(_record, item, ctx, stored)
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


def _record_each(session: Session, items: list[Recordable], ctx: ProcessingContext
                 ) -> list[dict[str, Any]]:
    """Record spooled messages one after another, in the session's transaction."""
    return [_record(session, item, ctx, stored=True) for item in items]


def _record(session: Session, item: Recordable, ctx: ProcessingContext,
            stored: bool) -> dict[str, Any]:
    """Record the decision and settle the received message, in the session's transaction.

    Synchronous, run in one greenlet (`AsyncSession.run_sync`): its statements are not
    awaited one by one.
    """
    received, prepared = item.received, item.judged.prepared
    decision = item.judged.decision
    # A released message is not verified again: keep the verdict it was quarantined with.
    if prepared.authentication_results:
        received.authentication_results = prepared.authentication_results
    body = record_decision(session, received, prepared.parsed, decision, ctx.now(),
                           item.storing_bodies)
    received.lease_until = None
    if stored:
        _settle_received(session, received, item.attempt)
    else:
        spool.insert_settled(session, received)
    store_decision(session, received.id, decision.rules_version, body)
    return body


async def explain(session: AsyncSession, received: ReceivedMessage,
                  ctx: ProcessingContext) -> Decision:
    """Return the decision for a message that is not stored, recording nothing."""
    read = functools.partial(build_snapshot, session)
    return (await judge(received, parse_message(received.raw), read, ctx, timed=False)).decision


__all__ = ["Recordable", "explain", "judge", "judge_all", "judge_spooled", "process_received",
           "record_all", "spool"]
