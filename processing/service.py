"""ProcessingService: the processing port the API calls (Log button, sync, explain, assign, release).

Each call takes the message through the same steps the workers do (processing/judging.py,
processing/record.py), in one of the store's threads, and returns the stored decision;
captures that arrive together are processed as one batch, as a worker's claim. A new
capture's received row is inserted by the transaction that records it, and spooled for the
workers if processing fails (never lost).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from parsing import parse_message
from processing.admission import CaptureGate
from processing.claim import settle_failure
from processing.context import ProcessingContext
from processing.errors import TemporaryFailure
from processing.judging import Job, judge, live
from processing.manual_match import Match, match_address
from processing.record import record
from processing.structured import compose_message
from processing.worker import worker_id
from rules import Channel, OutcomeStatus, Reason
from store import spool
from store.database import Store
from store.errors import Conflict, Invalid, NotFound, Unavailable
from store.models import Mailbox, ReceivedMessage, new_id
from store.queries.received import newest_decisions
from store.queries.threads import assign_thread, get_thread

log = logging.getLogger("blindcopy.capture")
DecisionJSON = dict[str, Any]


def _api_capture(**fields: Any) -> ReceivedMessage:
    """Return a received message that came through the API: no SMTP envelope."""
    return ReceivedMessage(**fields, rcpt_to=[], mail_from="", client_ip="", helo="", tls=False,
                           released=False)


# What a capture's received row holds before processing (kept if processing fails).
CAPTURED_COLUMNS = ("id", "channel", "raw", "user_id", "mailbox_id", "project_ids",
                    "received_at", "claimed_by")


def _awaits_assignment(outcome: dict[str, Any]) -> bool:
    """Tell whether an outcome depends on the thread's assignment (pending or elsewhere)."""
    return bool(outcome["status"] == OutcomeStatus.PENDING
                or outcome["reason"] == Reason.THREAD_ASSIGNED_ELSEWHERE)


class ProcessingService:
    """Run API captures through the steps of processing."""

    def __init__(self, store: Store, ctx: ProcessingContext,
                 max_concurrent_captures: int = 4) -> None:
        self.store = store
        self.ctx = ctx
        self.gate = CaptureGate(max_concurrent_captures)
        # Captures waiting for the batch being processed, with their callers' answers.
        self.waiting: list[tuple[Job, asyncio.Future[DecisionJSON]]] = []
        self.batches: asyncio.Task[None] | None = None

    def admit(self) -> AbstractAsyncContextManager[None]:
        """Hold a place for one synchronous capture, or raise Unavailable when saturated."""
        return self.gate.admit()

    async def log_message(self, raw: bytes, *, user_id: str | None,
                          project_ids: list[str]) -> DecisionJSON:
        """Log a raw message on channel log (idempotent) and return its decision."""
        if user_id is None:
            raise Invalid.field("user_id", "The Log button needs a user: use a user's token "
                                "or pass user_id.")
        return await self._capture(_api_capture(
            channel=Channel.LOG, raw=raw, user_id=user_id, project_ids=list(project_ids)))

    async def log_structured(self, message: dict[str, Any], *, user_id: str | None,
                             project_ids: list[str]) -> DecisionJSON:
        """Log a message given as JSON fields on channel log."""
        return await self.log_message(compose_message(message), user_id=user_id,
                                      project_ids=project_ids)

    async def ingest_mailbox_message(self, raw: bytes, *, mailbox_id: str) -> DecisionJSON:
        """Process a message synced from a mailbox (channel sync)."""
        mailbox = await self.store.run_read(lambda session: session.get(Mailbox, mailbox_id))
        if mailbox is None:
            raise NotFound(f"Mailbox {mailbox_id} does not exist.")
        return await self._capture(_api_capture(
            channel=Channel.SYNC, raw=raw, user_id=mailbox.user_id, mailbox_id=mailbox_id,
            project_ids=mailbox.project_ids))

    async def _capture(self, received: ReceivedMessage) -> DecisionJSON:
        """Process a new capture now, held by this request, and return its decision.

        Its received row is inserted by the transaction that records the decision (one write
        transaction, not a spool commit and then another): until the answer, the caller
        holds the message. If processing fails, it is spooled for the workers before the
        caller is told to retry, so nothing is lost either way.
        """
        now = self.ctx.now()
        received.id = new_id()
        received.received_at = now
        received.status = spool.PROCESSING
        received.attempts = 1
        received.lease_until = now + timedelta(seconds=self.ctx.lease_seconds)
        received.claimed_by = worker_id("api")
        self.ctx.metrics.count_received(received.channel)
        return await self._together(Job(received, stored=False))

    async def _together(self, job: Job) -> DecisionJSON:
        """Process `job` with the captures that arrive while a batch is being processed.

        One batch at a time runs in a store thread; the captures that arrive meanwhile wait
        and go together as the next batch: one snapshot read, one recording transaction and
        one commit for all of them, as a worker's claim (a failing message is recorded on
        its own, so only its caller is told to retry).
        """
        answer: asyncio.Future[DecisionJSON] = asyncio.get_running_loop().create_future()
        self.waiting.append((job, answer))
        if self.batches is None or self.batches.done():
            self.batches = asyncio.create_task(self._process_waiting())
        return await answer

    async def _process_waiting(self) -> None:
        while self.waiting:
            batch, self.waiting = self.waiting, []
            try:
                answers = await self.store.run(self._process_all, [job for job, _ in batch])
            except Exception as error:  # noqa: BLE001 - each caller is told
                answers = [error] * len(batch)
            for (_job, answer), result in zip(batch, answers, strict=True):
                if answer.done():
                    continue  # its caller went away; the message is processed all the same
                if isinstance(result, Exception):
                    answer.set_exception(result)
                else:
                    answer.set_result(result)

    def _process(self, job: Job) -> DecisionJSON:
        """Judge and record one message held by the caller; keep a failure for the workers."""
        [answer] = self._process_all([job])
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _process_all(self, jobs: list[Job]) -> list[DecisionJSON | Exception]:
        """Judge and record messages held by their callers; return each one's decision, or
        the error its caller is answered (its message kept for the workers)."""
        judge(self.store, jobs, self.ctx)
        record(self.store, live(jobs), self.ctx)
        return [self._answer(job) for job in jobs]

    def _answer(self, job: Job) -> DecisionJSON | Exception:
        if job.error is None and job.body is not None:
            log.info("message processed", extra={"received_id": job.received.id,
                                                 "message_id": job.body.get("message_id"),
                                                 "status": job.body["status"]})
            return job.body
        error = job.error or RuntimeError("not processed")
        if not job.stored:
            try:
                self._keep_for_workers(job.received)
            except Unavailable as not_kept:
                return not_kept
        try:
            settle_failure(self.store, job.received.id, self.ctx, error)
        except Exception:
            log.warning("could not reschedule message; its lease will expire",
                        extra={"received_id": job.received.id}, exc_info=True)
        refusal = Unavailable(f"Message {job.received.id} is kept and will be processed again "
                              f"by a worker: {type(error).__name__}.", retry_after=1)
        refusal.__cause__ = error
        return refusal

    def _keep_for_workers(self, received: ReceivedMessage) -> None:
        """Spool a capture whose processing failed (its own transaction rolled back)."""
        kept = ReceivedMessage(**{name: getattr(received, name) for name in CAPTURED_COLUMNS},
                               status=spool.PROCESSING, attempts=1,
                               lease_until=received.lease_until)
        try:
            with self.store.write() as session:
                session.add(kept)
        except Exception as exc:
            log.warning("could not spool a capture whose processing failed",
                        extra={"received_id": received.id}, exc_info=True)
            raise Unavailable("The message could not be stored; send it again.",
                              retry_after=1) from exc

    async def explain(self, raw: bytes, *, channel: str, user_id: str | None,
                      project_ids: list[str]) -> DecisionJSON:
        """Return the decision for a raw message without recording anything."""
        received = _api_capture(channel=Channel(channel), raw=raw, user_id=user_id,
                                project_ids=list(project_ids))
        return await self.store.run(self._explain, received)

    def _explain(self, received: ReceivedMessage) -> DecisionJSON:
        if received.channel == Channel.SYNC:
            with self.store.read() as session:
                mailbox = _participating_mailbox(session, received.raw, received.user_id)
            received.mailbox_id = mailbox.id if mailbox else None
            received.project_ids = mailbox.project_ids if mailbox else []
        job = Job(received, stored=False)
        judge(self.store, [job], self.ctx)
        if isinstance(job.error, TemporaryFailure):
            raise Unavailable(f"The dry run cannot be completed now: {job.error}")
        if job.error is not None:
            raise job.error
        assert job.decision is not None
        body = job.decision.to_json()
        body.update(received_id=None, status="explained")
        return body

    async def assign_thread(self, thread_id: str, project_ids: list[str], *,
                            user_id: str | None) -> DecisionJSON:
        """Assign a thread to projects and process its waiting messages; return the last
        decision."""
        return await self.store.run(self._assign, thread_id, project_ids)

    def _assign(self, thread_id: str, project_ids: list[str]) -> DecisionJSON:
        with self.store.write() as session:
            depending = assign_thread(session, get_thread(session, thread_id), project_ids)
            newest = newest_decisions(session, depending)
            waiting = [r for r in depending if r in newest and any(
                _awaits_assignment(o) for o in newest[r].body["outcomes"])]
        if not waiting:
            raise Conflict(f"Thread {thread_id} has no message waiting for a project choice.")
        body: DecisionJSON = {}
        for received_id in waiting:
            body = self._process(self._stored_job(received_id))
        return body

    def _stored_job(self, received_id: str) -> Job:
        with self.store.read() as session:
            received = session.get(ReceivedMessage, received_id)
        if received is None:
            raise NotFound(f"Message {received_id} does not exist.")
        return Job(received)

    async def release_quarantined(self, received_id: str) -> DecisionJSON:
        """Process a quarantined message as if it had passed sender authentication."""
        return await self.store.run(self._release, received_id)

    def _release(self, received_id: str) -> DecisionJSON:
        with self.store.write() as session:
            received = session.get(ReceivedMessage, received_id)
            if received is None:
                raise NotFound(f"Message {received_id} does not exist.")
            if received.status != spool.QUARANTINED:
                raise Conflict(f"Message {received_id} is {received.status}, not quarantined.")
            received.released = True
            received.status = spool.PROCESSING
            received.lease_until = self.ctx.now() + timedelta(seconds=self.ctx.lease_seconds)
        return self._process(self._stored_job(received_id))


    async def match_address(
        self, received_id: str, address: str, *, contact_id: str | None,
        create_name: str | None, project_id: str | None, user_id: str | None,
        project_ids: frozenset[str] | None,
    ) -> DecisionJSON:
        """Log an address no contact matched on a contact (SPEC §12); return the decision.

        `project_ids`: the projects the user may see (None: an admin).
        """
        match = Match(received_id, address, contact_id, create_name, project_id, user_id,
                      project_ids)
        return await self.store.run(self._match, match)

    def _match(self, match: Match) -> DecisionJSON:
        with self.store.write() as session:
            body = match_address(session, match, self.ctx.now())
        log.info("address matched by hand", extra={"received_id": match.received_id,
                                                    "user_id": match.user_id})
        return body


def _participating_mailbox(session: Any, raw: bytes, user_id: str | None) -> Mailbox | None:
    """Return the user's mailbox that takes part in the message (for a sync dry run)."""
    parsed = parse_message(raw)
    addresses = [a.key for a in (*parsed.from_, *parsed.to, *parsed.cc, *parsed.bcc)]
    query = (select(Mailbox).where(Mailbox.user_id == user_id,
                                   Mailbox.address.in_(addresses)).order_by(Mailbox.id))
    mailbox: Mailbox | None = session.execute(query).scalars().first()
    return mailbox
