"""Workers: claim spooled messages and process them; retry with backoff; keep failures.

A temporary failure (DNS, an unreachable or busy store) is retried without limit, with capped
backoff; any other exception, including a store error caused by the message's own data, is
retried `max_attempts` times and then the message is kept as `failed` with its error, to be
replayed with `blindcopy replay`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import traceback
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from processing.context import ProcessingContext
from processing.errors import ClaimLost, PermanentFailure, TemporaryFailure
from processing.judging import Recordable, judge_spooled
from processing.pipeline import check_claim, record_all
from store import spool
from store.database import is_store_outage
from store.models import ReceivedMessage

log = logging.getLogger("blindcopy.worker")
IDLE_POLL_SECONDS = 0.2


def worker_id(index: int | str = 0) -> str:
    """Return the id this process's worker `index` records on the messages it claims.

    The API records `worker_id("api")` on the captures it processes itself.
    """
    return f"{socket.gethostname()}:{os.getpid()}/{index}"


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


async def settle_failure(sessionmaker: async_sessionmaker[AsyncSession], received_id: str,
                         ctx: ProcessingContext, error: BaseException,
                         attempt: int | None = None) -> None:
    """Retry the message later, or keep it as failed when its attempts are used up."""
    temporary = is_temporary(error)
    text = describe(error)
    async with sessionmaker.begin() as session:
        received = await session.get(ReceivedMessage, received_id, with_for_update=True)
        if received is None:
            return
        try:
            check_claim(received.id, received.status, received.attempts, attempt)
        except ClaimLost as lost:
            log.warning("claim lost; failure not recorded", extra={
                "received_id": received_id, "error": text, "claim": str(lost)})
            return
        if isinstance(error, PermanentFailure) or (
                not temporary and received.attempts >= ctx.max_attempts):
            spool.mark_failed(received, text)
            ctx.metrics.count_processed(spool.FAILED, received.received_at, ctx.now())
            log.error("message failed", extra={"received_id": received_id, "error": text})
        else:
            spool.schedule_retry(received, ctx.now(), _backoff(ctx, received.attempts), text)
            ctx.metrics.count_retried()
            log.warning("message retried", extra={"received_id": received_id, "error": text})


async def claim_batch(sessionmaker: async_sessionmaker[AsyncSession], ctx: ProcessingContext,
                      claimer: str | None = None, limit: int = 1) -> list[ReceivedMessage]:
    """Claim up to `limit` due messages in one transaction (oldest first)."""
    started = time.perf_counter()
    async with sessionmaker.begin() as session:
        claimed = await spool.claim_messages(
            session, ctx.now(), timedelta(seconds=ctx.lease_seconds), claimer or worker_id(),
            limit, ctx.claim_bytes)
    # Only claims that found messages (idle polls would hide what a claim costs), shared.
    per_message = (time.perf_counter() - started) / max(len(claimed), 1)
    for _message in claimed:
        ctx.metrics.observe_stage("claim", per_message)
    return claimed


async def process_claimed(sessionmaker: async_sessionmaker[AsyncSession],
                          ctx: ProcessingContext, claimed: ReceivedMessage) -> None:
    """Process one claimed message; a failure is kept on it (retry or failed), never raised."""
    await process_batch(sessionmaker, ctx, [claimed])


async def process_batch(sessionmaker: async_sessionmaker[AsyncSession],
                        ctx: ProcessingContext, batch: list[ReceivedMessage]) -> None:
    """Judge each claimed message, then record them all in one write transaction.

    A message that fails (its judging, or its own recording) has the failure kept on it
    (retry or failed), never raised; the others are recorded. If the store fails, every
    message of the batch has that failure kept.
    """
    judged: list[Recordable] = []
    for claimed, judging in zip(batch, await judge_spooled(sessionmaker, batch, ctx),
                                strict=True):
        if isinstance(judging, Exception):  # every failure is kept, never lost
            await settle_failure(sessionmaker, claimed.id, ctx, judging, claimed.attempts)
        else:
            judged.append(judging)
    if not judged:
        return
    for item, outcome in zip(judged, await record_all(sessionmaker, judged, ctx), strict=True):
        await _settle_outcome(sessionmaker, ctx, item.received, outcome)


async def _settle_outcome(sessionmaker: async_sessionmaker[AsyncSession],
                          ctx: ProcessingContext, claimed: ReceivedMessage,
                          outcome: dict[str, Any] | Exception) -> None:
    """Log a recorded message, or keep its failure on it (a lost claim is only logged)."""
    if isinstance(outcome, ClaimLost):
        log.warning("claim lost; another worker has the message", extra={
            "received_id": claimed.id, "claim": str(outcome)})
    elif isinstance(outcome, Exception):
        await settle_failure(sessionmaker, claimed.id, ctx, outcome, claimed.attempts)
    else:
        log.info("message processed", extra={"received_id": claimed.id,
                                             "message_id": outcome.get("message_id"),
                                             "status": outcome["status"]})


async def release(sessionmaker: async_sessionmaker[AsyncSession],
                  claimed: list[ReceivedMessage]) -> None:
    """Give back claims this worker will not work on, so they need not wait for the lease."""
    async with sessionmaker.begin() as session:
        for message in claimed:
            await spool.release_claim(session, message.id, message.attempts)


async def run_batch(sessionmaker: async_sessionmaker[AsyncSession], ctx: ProcessingContext,
                    claimer: str | None = None, limit: int | None = None) -> int:
    """Claim up to `limit` (default: the context's claim batch) messages and process them.

    Return how many were claimed. Stopped part-way (the worker is cancelled, or the store
    failed even to keep a failure), it gives back the claims it has not finished, so they
    wait for no lease; if the store cannot take them back either, their leases expire.
    """
    batch = await claim_batch(sessionmaker, ctx, claimer, limit or ctx.claim_batch)
    if not batch:
        return 0
    try:
        await process_batch(sessionmaker, ctx, batch)
    except BaseException:
        # Only claims still held are given back (the release is guarded by the claim).
        await asyncio.shield(_release_quietly(sessionmaker, batch))
        raise
    return len(batch)


async def _release_quietly(sessionmaker: async_sessionmaker[AsyncSession],
                           claimed: list[ReceivedMessage]) -> None:
    try:
        await release(sessionmaker, claimed)
    except Exception:  # the leases give them back later anyway
        log.warning("could not give back claims; their leases will expire",
                    extra={"received_ids": [m.id for m in claimed]}, exc_info=True)


async def run_once(sessionmaker: async_sessionmaker[AsyncSession], ctx: ProcessingContext,
                   claimer: str | None = None) -> str | None:
    """Claim and process one due message; return its id, or None when none was due."""
    batch = await claim_batch(sessionmaker, ctx, claimer)
    if not batch:
        return None
    await process_claimed(sessionmaker, ctx, batch[0])
    return batch[0].id


async def fail_abandoned(sessionmaker: async_sessionmaker[AsyncSession],
                         ctx: ProcessingContext) -> int:
    """Keep as failed the messages whose workers died holding them `max_attempts` times."""
    async with sessionmaker.begin() as session:
        count = await spool.fail_abandoned_claims(session, ctx.now(), ctx.max_attempts)
    if count:
        log.error("messages abandoned by dying workers kept as failed", extra={"count": count})
    return count


async def run_worker(sessionmaker: async_sessionmaker[AsyncSession], ctx: ProcessingContext,
                     wake: asyncio.Event | None = None, claimer: str | None = None,
                     stop: asyncio.Event | None = None) -> None:
    """Process messages until `stop` is set or the task is cancelled; idle, sleep briefly.

    `stop` is checked between claims: the batch under way is finished and recorded first
    (set `wake` too, so an idle worker sees it at once). Cancelled instead, the worker gives
    back the claims it has not finished (`run_batch`). Every half lease it also ends, as
    failed, the messages abandoned by dying workers too often (not on every claim: that
    would add a write to the hot path).
    """
    loop = asyncio.get_running_loop()
    next_sweep = loop.time()
    while stop is None or not stop.is_set():
        try:
            if loop.time() >= next_sweep:
                await fail_abandoned(sessionmaker, ctx)
                next_sweep = loop.time() + ctx.lease_seconds / 2
            handled = await run_batch(sessionmaker, ctx, claimer)
        except (DBAPIError, OSError) as exc:
            log.warning("store unavailable to worker: %s", exc)
            handled = 0
            await asyncio.sleep(1.0)
        if not handled:
            await _idle(wake)


async def _idle(wake: asyncio.Event | None) -> None:
    if wake is None:
        await asyncio.sleep(IDLE_POLL_SECONDS)
        return
    try:
        await asyncio.wait_for(wake.wait(), IDLE_POLL_SECONDS)
    except TimeoutError:
        pass
    wake.clear()


async def drain(sessionmaker: async_sessionmaker[AsyncSession], ctx: ProcessingContext,
                limit: int = 10_000) -> int:
    """Process due messages until none is left (for replay and tests); return the count."""
    count = 0
    while count < limit:
        handled = await run_batch(sessionmaker, ctx, limit=min(ctx.claim_batch, limit - count))
        if not handled:
            break
        count += handled
    return count
