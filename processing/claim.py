"""The path of a spooled message, top to bottom: claim → parse → snapshot → verify → decide →
record → settle.

`process_claim` is the whole of it; each step is a function of processing/judging.py or
processing/record.py taking the claim's jobs. A step that fails for one message fails only
that job: the failure is kept on its message (retried, or `failed` after `max_attempts`),
never raised, and the other messages go on.
"""

from __future__ import annotations

import logging
import time
import traceback
from datetime import timedelta

from sqlalchemy.exc import DBAPIError

from processing.context import ProcessingContext
from processing.errors import ClaimLost, PermanentFailure, TemporaryFailure
from processing.judging import Job, decide_each, live, parse, read_snapshots, verify_senders
from processing.record import record
from store import spool
from store.database import Store, is_store_outage
from store.events import EventType, emit_many, message_events
from store.models import ReceivedMessage

log = logging.getLogger("blindcopy.worker")


def process_claim(store: Store, ctx: ProcessingContext, claimer: str,
                  limit: int | None = None) -> int:
    """Claim due messages and take each through every step; return how many were claimed."""
    jobs = claim(store, ctx, claimer, limit or ctx.claim_batch)
    parse(jobs, ctx)
    read_snapshots(store, live(jobs), ctx)
    verify_senders(live(jobs), ctx)
    decide_each(live(jobs), ctx)
    record(store, live(jobs), ctx)
    settle(store, jobs, ctx)
    return len(jobs)


def claim(store: Store, ctx: ProcessingContext, claimer: str, limit: int) -> list[Job]:
    """Claim up to `limit` due messages in one transaction (oldest first), as jobs."""
    started = time.perf_counter()
    with store.write() as session:
        claimed = spool.claim_messages(session, ctx.now(), timedelta(seconds=ctx.lease_seconds),
                                       claimer, limit, ctx.claim_bytes)
    # Only claims that found messages (idle polls would hide what a claim costs), shared.
    per_message = (time.perf_counter() - started) / max(len(claimed), 1)
    for _message in claimed:
        ctx.metrics.observe_stage("claim", per_message)
    return [Job(message, attempt=message.attempts) for message in claimed]


def settle(store: Store, jobs: list[Job], ctx: ProcessingContext) -> None:
    """Log what was recorded; keep each failure on its message (a lost claim is only logged)."""
    for job in jobs:
        if isinstance(job.error, ClaimLost):
            log.warning("claim lost; another worker has the message",
                        extra={"received_id": job.received.id, "claim": str(job.error)})
        elif job.error is not None:
            _keep_failure(store, job, ctx)
        elif job.body is not None:
            log.info("message processed", extra={"received_id": job.received.id,
                                                 "message_id": job.body.get("message_id"),
                                                 "status": job.body["status"]})


def _keep_failure(store: Store, job: Job, ctx: ProcessingContext) -> None:
    assert job.error is not None
    try:
        settle_failure(store, job.received.id, ctx, job.error, job.attempt)
    except Exception:  # the store is down too: the claim's lease gives the message back
        log.warning("could not keep a failure; the message's lease will expire",
                    extra={"received_id": job.received.id}, exc_info=True)


def _backoff(ctx: ProcessingContext, attempts: int) -> timedelta:
    seconds = ctx.retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, ctx.retry_max_seconds))


def is_temporary(error: BaseException) -> bool:
    """Tell whether a failure is the store's or the network's, not the message's.

    A constraint violation, a value too long or a trigger refusing a row is not: retrying
    such a message forever would hide it, so it counts towards `max_attempts`.
    """
    return isinstance(error, TemporaryFailure) or is_store_outage(error)


def describe(error: BaseException) -> str:
    """Return the error as kept on the message: the driver's words, without SQL or data."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        return f"{type(error).__name__}: {error.orig}".strip()
    return "".join(traceback.format_exception_only(type(error), error)).strip()


def settle_failure(store: Store, received_id: str, ctx: ProcessingContext,
                   error: BaseException, attempt: int | None = None) -> None:
    """Retry the message later, or keep it as failed when its attempts are used up."""
    text = describe(error)
    with store.write() as session:
        received = session.get(ReceivedMessage, received_id, with_for_update=True)
        if received is None:
            return
        if attempt is not None and (received.status != spool.PROCESSING
                                    or received.attempts != attempt):
            log.warning("claim lost; failure not recorded", extra={
                "received_id": received_id, "error": text, "attempt": attempt})
            return
        if isinstance(error, PermanentFailure) or (
                not is_temporary(error) and received.attempts >= ctx.max_attempts):
            spool.mark_failed(received, text)
            emit_many(session, message_events(session, EventType.MESSAGE_FAILED, [received]))
            ctx.metrics.count_processed(spool.FAILED, received.received_at, ctx.now())
            log.error("message failed", extra={"received_id": received_id, "error": text})
        else:
            spool.schedule_retry(received, ctx.now(), _backoff(ctx, received.attempts), text)
            ctx.metrics.count_retried()
            log.warning("message retried", extra={"received_id": received_id, "error": text})
