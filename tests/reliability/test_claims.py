"""Claims: a worker whose lease ran out records nothing; a message that keeps killing workers ends failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from blindcopy.runtime import build_context
from blindcopy.settings import Settings
from processing.errors import ClaimLost
from processing.pipeline import process_received
from processing.worker import fail_abandoned, run_once, settle_failure
from store import spool
from store.models import Decision, ReceivedMessage
from tests.directory import email

LEASE = timedelta(seconds=30)


async def _spool(sessionmaker: async_sessionmaker[AsyncSession], **fields: object) -> str:
    async with sessionmaker.begin() as session:
        row = ReceivedMessage(channel="log", raw=email("bob@client.test", "alice@acme.test"),
                              **fields)
        spool.enqueue(session, row)
        if "status" in fields:
            row.status = str(fields["status"])
        await session.flush()
        return row.id


async def test_worker_whose_claim_was_taken_over_records_nothing(
        settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ctx = build_context(settings)
    received_id = await _spool(sessionmaker)
    async with sessionmaker.begin() as session:
        [first] = await spool.claim_messages(session, ctx.now(), -LEASE, "worker-a")
        assert first.attempts == 1
    async with sessionmaker.begin() as session:
        [second] = await spool.claim_messages(session, ctx.now(), LEASE, "worker-b")
        assert second.attempts == 2

    with pytest.raises(ClaimLost):
        await process_received(sessionmaker, received_id, ctx, attempt=1)
    await settle_failure(sessionmaker, received_id, ctx, RuntimeError("late"), attempt=1)

    async with sessionmaker() as session:
        received = await session.get(ReceivedMessage, received_id)
        assert received is not None
        assert (received.status, received.claimed_by, received.last_error) == (
            spool.PROCESSING, "worker-b", None)
        decisions = await session.scalar(select(func.count()).select_from(Decision))
        assert decisions == 0
    body = await process_received(sessionmaker, received_id, ctx, attempt=2)
    assert body["status"] == spool.DONE


async def test_message_abandoned_by_dying_workers_max_attempts_times_is_kept_failed(
        settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ctx = build_context(settings)
    received_id = await _spool(sessionmaker, status=spool.PROCESSING,
                               attempts=settings.max_attempts,
                               lease_until=ctx.now() - timedelta(seconds=1))

    assert await fail_abandoned(sessionmaker, ctx) == 1
    assert await run_once(sessionmaker, ctx) is None

    async with sessionmaker() as session:
        received = await session.get(ReceivedMessage, received_id)
        assert received is not None
        assert received.status == spool.FAILED
        assert received.last_error is not None and "stopped 5 times" in received.last_error


async def test_batch_claims_take_the_oldest_and_never_overlap(
        settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ctx = build_context(settings)
    ids = [await _spool(sessionmaker, next_attempt_at=ctx.now() - timedelta(minutes=10 - n))
           for n in range(5)]

    async with sessionmaker.begin() as session:
        first = await spool.claim_messages(session, ctx.now(), LEASE, "worker-a", limit=3)
    async with sessionmaker.begin() as session:
        second = await spool.claim_messages(session, ctx.now(), LEASE, "worker-b", limit=3)

    assert [m.id for m in first] == ids[:3]
    assert [m.id for m in second] == ids[3:]
    assert {(m.status, m.attempts) for m in first + second} == {(spool.PROCESSING, 1)}
    async with sessionmaker() as session:
        claimed_by = dict((await session.execute(
            select(ReceivedMessage.id, ReceivedMessage.claimed_by))).all())
    assert claimed_by == {**dict.fromkeys(ids[:3], "worker-a"), **dict.fromkeys(ids[3:], "worker-b")}


async def test_released_claim_is_queued_again_without_counting_the_attempt(
        settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    ctx = build_context(settings)
    received_id = await _spool(sessionmaker)
    async with sessionmaker.begin() as session:
        [claimed] = await spool.claim_messages(session, ctx.now(), LEASE, "worker-a", limit=4)

    async with sessionmaker.begin() as session:
        assert await spool.release_claim(session, received_id, claimed.attempts)
        # Given back once; a second release (or one for another attempt) changes nothing.
        assert not await spool.release_claim(session, received_id, claimed.attempts)

    async with sessionmaker() as session:
        received = await session.get(ReceivedMessage, received_id)
        assert received is not None
        assert (received.status, received.attempts, received.lease_until,
                received.claimed_by) == (spool.QUEUED, 0, None, None)
    assert await run_once(sessionmaker, ctx) == received_id
