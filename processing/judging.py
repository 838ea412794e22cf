"""Judge received messages: parse → snapshot → verify → rules.decide, nothing recorded.

Used by the workers (a claim's messages together: one read-only session for their
snapshots, then their senders verified together), by /v1/log and mailbox ingestion (one
message) and by /v1/explain.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parsing import ParsedMessage, parse_message
from processing.context import ProcessingContext
from processing.message_facts import to_message_facts
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
from store.database import is_store_outage, read_only_session
from store.models import ReceivedMessage
from store.snapshot import SnapshotRequest, build_snapshots

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
    envelope = Envelope(received.mail_from, received.client_ip, received.helo,
                        received.received_at)
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
    request: SnapshotRequest
    outcome: Judged | Exception | None = None
    deciding: float = 0.0  # seconds spent reading and deciding for this message

    @classmethod
    def start(cls, received: ReceivedMessage, parsed: ParsedMessage) -> _Judging:
        facts, unverified = to_message_facts(parsed), _capture(received, None)
        return cls(received, parsed, facts, unverified, _snapshot_request(facts, unverified))

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


async def judge_all(messages: list[tuple[ReceivedMessage, ParsedMessage | Exception]],
                    read: SnapshotsReader, ctx: ProcessingContext, *, timed: bool = True
                    ) -> list[Judged | Exception]:
    """Judge parsed messages: each one's outcome, or what failed it, in their order.

    A message given with the exception its parsing raised keeps that as its outcome.

    DNS is never awaited inside a transaction `read` opens: every snapshot is read first
    (nothing in it depends on the sender's verification), all in one call. A snapshot is
    read with the forwarded original's thread when there is one (what a promoted forward
    logs); when the rules log the message itself instead (sync, Log, a BCC with other
    recipients), its own thread decides: those are read in a second call and the rules run
    again. `timed`: observe the verify and decide stages in the context's metrics.
    """
    begun = [_begun(received, parsed) for received, parsed in messages]
    judging = [j for j in begun if isinstance(j, _Judging)]
    if judging:
        await _read_and(judging, read, [j.request for j in judging],
                        lambda j, snapshot: _verify_and_decide(j, snapshot, ctx, timed))
    again = [(j, request) for j in judging if (request := j.own_thread_request()) is not None]
    if again:
        await _read_and([j for j, _ in again], read, [request for _, request in again],
                        lambda j, snapshot: _decide_again(j, snapshot, ctx))
    if timed:
        for j in judging:
            ctx.metrics.observe_stage("decide", j.deciding)
    return [j if isinstance(j, Exception) else
            j.outcome if j.outcome is not None else RuntimeError("not judged")
            for j in begun]


def _begun(received: ReceivedMessage, parsed: ParsedMessage | Exception
           ) -> _Judging | Exception:
    """The message's facts and snapshot request, or what failed it (that message's outcome)."""
    if isinstance(parsed, Exception):
        return parsed
    try:
        return _Judging.start(received, parsed)
    except Exception as error:  # noqa: BLE001 - that message's outcome, not the batch's
        return error


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
                return list(await build_snapshots(session, requests))
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
    judged = await judge_all([(received, _parsed(received, ctx)) for received in claimed],
                             _snapshots_reader(sessionmaker), ctx)
    return [outcome if isinstance(outcome, Exception)
            else Recordable(received, outcome, received.attempts)
            for received, outcome in zip(claimed, judged, strict=True)]


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


__all__ = ["Judged", "Prepared", "Recordable", "judge", "judge_all", "judge_spooled"]
