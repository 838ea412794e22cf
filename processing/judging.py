"""Judge received messages: parse → snapshot → verify → decide, nothing recorded.

Each message travels as a `Job`; a step that fails for one message sets that job's `error`
and the other jobs go on. Used by the workers (a claim's jobs together: one read-only
session for their snapshots, their senders verified together), by the API's captures (one
job) and by /v1/explain.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from parsing import ParsedMessage, parse_message
from processing.context import ProcessingContext
from processing.errors import TemporaryFailure
from processing.message_facts import email_key, to_message_facts
from processing.verification import Envelope, verify_capture
from rules import (
    Capture,
    Channel,
    Decision,
    MessageFacts,
    SenderAuthFacts,
    SenderAuthMode,
    decide,
)
from store.database import Store, is_store_outage
from store.models import ReceivedMessage
from store.snapshot import Snapshot, SnapshotRequest, build_snapshots

SMTP_CHANNELS = (Channel.BCC, Channel.FORWARD)


@dataclass(slots=True)
class Job:
    """One received message on its way through the steps; an `error` ends its way.

    `attempt`: the claim it is processed under (None: the caller holds it, e.g. an API
    request). `stored`: its received row exists (an API capture's is inserted when its
    decision is recorded).
    """

    received: ReceivedMessage
    attempt: int | None = None
    stored: bool = True
    parsed: ParsedMessage | None = None
    facts: MessageFacts | None = None
    snapshot: Snapshot | None = None
    auth: SenderAuthFacts | None = None
    authentication_results: str = ""
    decision: Decision | None = None
    body: dict[str, Any] | None = None
    error: BaseException | None = None

    @property
    def channel(self) -> Channel:
        """Return the channel the message arrived by."""
        return Channel(self.received.channel)

    def capture(self) -> Capture:
        """Return how the message was captured, with its sender verdict once verified."""
        received = self.received
        # Only a message that came over SMTP has an envelope; a dry run of bcc has none.
        came_by_smtp = self.channel in SMTP_CHANNELS and bool(received.client_ip)
        return Capture(
            channel=self.channel,
            envelope_sender=received.mail_from if came_by_smtp else None,
            envelope_recipients=tuple(r.lower() for r in received.rcpt_to),
            user_id=received.user_id, mailbox_id=received.mailbox_id,
            project_ids=tuple(received.project_ids), sender_auth=self.auth)


def live(jobs: list[Job]) -> list[Job]:
    """Return the jobs no step has failed yet."""
    return [job for job in jobs if job.error is None]


def parse(jobs: list[Job], ctx: ProcessingContext) -> None:
    """Parse each message and take the facts the rules read."""
    for job in jobs:
        try:
            with ctx.metrics.time_stage("parse"):
                job.parsed = parse_message(job.received.raw)
                job.facts = to_message_facts(job.parsed)
        except Exception as error:  # noqa: BLE001 - that message's outcome, not the claim's
            job.error = error


def _snapshot_request(job: Job) -> SnapshotRequest:
    """Ask for the directory of every participant, and for the conversations of the emails
    the rules may log: the message and, for a forward, its original (they choose)."""
    assert job.parsed is not None and job.facts is not None
    facts, capture = job.facts, job.capture()
    addresses = set(facts.participants) | set(capture.envelope_recipients)
    emails = [email_key(job.parsed)]
    if facts.original is not None and job.parsed.forwarded is not None:
        addresses |= set(facts.original.participants)
        emails.append(email_key(job.parsed.forwarded))
    return SnapshotRequest(
        addresses=frozenset(addresses), project_ids=capture.project_ids,
        user_id=capture.user_id, mailbox_id=capture.mailbox_id, emails=tuple(emails))


def read_snapshots(store: Store, jobs: list[Job], ctx: ProcessingContext) -> None:
    """Read the jobs' snapshots in one read-only session; one by one if the store refuses.

    Without the write lock (SQLite has one for the whole store; the spool's 250 waits for
    it): recording is idempotent, so a decision on a snapshot a moment old is as good as
    PostgreSQL's READ COMMITTED would give. A failure of one message's data fails only it.
    """
    if not jobs:
        return
    started = time.perf_counter()
    try:
        with store.read() as session:
            snapshots = build_snapshots(session, [_snapshot_request(job) for job in jobs],
                                        ctx.address_hash)
    except Exception as error:  # noqa: BLE001 - read again one by one, or all fail
        if len(jobs) > 1 and not is_store_outage(error):
            for job in jobs:
                read_snapshots(store, [job], ctx)
            return
        for job in jobs:
            job.error = error
        return
    for job, snapshot in zip(jobs, snapshots, strict=True):
        job.snapshot = snapshot
    share = (time.perf_counter() - started) / len(jobs)
    for _job in jobs:
        ctx.metrics.observe_stage("snapshot", share)


def _requires_sender_auth(job: Job) -> bool:
    """Tell whether the message came by SMTP to a project that needs the sender verified."""
    assert job.snapshot is not None
    if job.channel not in SMTP_CHANNELS:
        return False
    candidates = set(job.received.project_ids)
    modes = [p.sender_auth for p in job.snapshot.directory.projects if p.id in candidates]
    return any(mode is not SenderAuthMode.NONE for mode in modes)


async def _verify(job: Job, ctx: ProcessingContext) -> None:
    received = job.received
    assert job.parsed is not None
    if job.channel not in SMTP_CHANNELS:
        return
    envelope = Envelope(received.mail_from, received.client_ip, received.helo,
                        received.received_at)
    try:
        with ctx.metrics.time_stage("verify"):
            job.auth, job.authentication_results = await verify_capture(
                received.raw, job.parsed, envelope, ctx, released=received.released,
                required=_requires_sender_auth(job))
    except Exception as error:  # noqa: BLE001 - that message's outcome, not the claim's
        job.error = error


def verify_senders(jobs: list[Job], ctx: ProcessingContext) -> None:
    """Verify the senders of bcc and forward captures, their DNS look-ups together."""
    if not any(job.channel in SMTP_CHANNELS for job in jobs):
        return
    try:
        ctx.run_async(_gather(*(_verify(job, ctx) for job in jobs)))
    except Exception as error:  # noqa: BLE001 - the look-ups were stopped (shutting down)
        for job in jobs:
            job.error = job.error or TemporaryFailure(f"sender verification stopped: {error!r}")


async def _gather(*steps: Any) -> None:
    await asyncio.gather(*steps)


def decide_each(jobs: list[Job], ctx: ProcessingContext) -> None:
    """Run the rules on each message, once."""
    for job in jobs:
        assert job.facts is not None and job.snapshot is not None
        try:
            with ctx.metrics.time_stage("decide"):
                job.decision = decide(job.facts, job.capture(), job.snapshot.directory,
                                      ctx.now())
        except Exception as error:  # noqa: BLE001 - that message's outcome, not the claim's
            job.error = error


def judge(store: Store, jobs: list[Job], ctx: ProcessingContext) -> None:
    """Parse, read the snapshots of, verify and decide the jobs; nothing is recorded.

    DNS is never awaited inside a store transaction: the snapshots are read first (nothing
    in them depends on the sender's verification), then the senders verified together.
    """
    parse(jobs, ctx)
    read_snapshots(store, live(jobs), ctx)
    verify_senders(live(jobs), ctx)
    decide_each(live(jobs), ctx)
