"""Claims: a worker whose lease ran out records nothing; a message that keeps killing workers ends failed."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from config.settings import Settings
from processing.claim import process_claim, settle_failure
from processing.context import ProcessingContext
from processing.errors import ClaimLost
from processing.worker import fail_abandoned
from store import spool
from store.database import Store
from store.models import Decision, ReceivedMessage
from tests.directory import email
from tests.worker_steps import process_claimed, process_received

LEASE = timedelta(seconds=30)


def _spool(store: Store, **fields: object) -> str:
    with store.write() as session:
        row = ReceivedMessage(channel="log", raw=email("bob@client.test", "alice@acme.test"),
                              **fields)
        spool.enqueue(session, row)
        if "status" in fields:
            row.status = str(fields["status"])
        session.flush()
        return row.id


def test_worker_whose_claim_was_taken_over_records_nothing(
        store: Store, context: ProcessingContext) -> None:
    ctx = context
    received_id = _spool(store)
    with store.write() as session:
        [first] = spool.claim_messages(session, ctx.now(), -LEASE, "worker-a")
        assert first.attempts == 1
    with store.write() as session:
        [second] = spool.claim_messages(session, ctx.now(), LEASE, "worker-b")
        assert second.attempts == 2

    late = process_received(store, ctx, received_id, attempt=1)
    assert isinstance(late.error, ClaimLost) and late.body is None
    settle_failure(store, received_id, ctx, RuntimeError("late"), attempt=1)

    with store.read() as session:
        received = session.get(ReceivedMessage, received_id)
        assert received is not None
        assert (received.status, received.claimed_by, received.last_error) == (
            spool.PROCESSING, "worker-b", None)
        decisions = session.scalar(select(func.count()).select_from(Decision))
        assert decisions == 0
    current = process_received(store, ctx, received_id, attempt=2)
    assert current.error is None and current.body is not None
    assert current.body["status"] == spool.DONE


def test_claim_taken_over_in_a_batch_is_left_to_its_new_worker(
        store: Store, context: ProcessingContext) -> None:
    # A batch's messages are settled together; one whose lease ran out and which another
    # worker took over is recorded by that worker alone, the rest of the batch by the first.
    ctx = context
    ids = [_spool(store) for _ in range(3)]
    with store.write() as session:
        batch = spool.claim_messages(session, ctx.now(), -LEASE, "worker-a", limit=3)
    with store.write() as session:
        [taken] = spool.claim_messages(session, ctx.now(), LEASE, "worker-b")
    assert [m.id for m in batch] == ids and taken.id == ids[0]

    jobs = process_claimed(store, ctx, batch)

    assert [type(job.error) for job in jobs] == [ClaimLost, type(None), type(None)]
    with store.read() as session:
        rows = {r.id: r for r in session.scalars(select(ReceivedMessage)).unique().all()}
        decided = set(session.scalars(select(Decision.received_message_id)).all())
    assert [(rows[i].status, rows[i].claimed_by) for i in ids] == [
        (spool.PROCESSING, "worker-b"), (spool.DONE, "worker-a"), (spool.DONE, "worker-a")]
    assert (decided, rows[ids[0]].last_error) == (set(ids[1:]), None)
    job = process_received(store, ctx, ids[0], attempt=taken.attempts)
    assert job.body is not None and job.body["status"] == spool.DONE


def test_message_abandoned_by_dying_workers_max_attempts_times_is_kept_failed(
        settings: Settings, store: Store, context: ProcessingContext) -> None:
    ctx = context
    received_id = _spool(store, status=spool.PROCESSING, attempts=settings.max_attempts,
                         lease_until=ctx.now() - timedelta(seconds=1))

    assert fail_abandoned(store, ctx) == 1
    assert process_claim(store, ctx, "worker-a") == 0

    with store.read() as session:
        received = session.get(ReceivedMessage, received_id)
        assert received is not None
        assert received.status == spool.FAILED
        assert received.last_error is not None and "stopped 5 times" in received.last_error


def test_batch_claims_take_the_oldest_and_never_overlap(
        store: Store, context: ProcessingContext) -> None:
    ctx = context
    ids = [_spool(store, next_attempt_at=ctx.now() - timedelta(minutes=10 - n))
           for n in range(5)]

    with store.write() as session:
        first = spool.claim_messages(session, ctx.now(), LEASE, "worker-a", limit=3)
    with store.write() as session:
        second = spool.claim_messages(session, ctx.now(), LEASE, "worker-b", limit=3)

    assert [m.id for m in first] == ids[:3]
    assert [m.id for m in second] == ids[3:]
    assert {(m.status, m.attempts) for m in first + second} == {(spool.PROCESSING, 1)}
    with store.read() as session:
        claimed_by = dict(session.execute(
            select(ReceivedMessage.id, ReceivedMessage.claimed_by)).all())
    assert claimed_by == {**dict.fromkeys(ids[:3], "worker-a"), **dict.fromkeys(ids[3:], "worker-b")}


def test_released_claim_is_queued_again_without_counting_the_attempt(
        store: Store, context: ProcessingContext) -> None:
    ctx = context
    received_id = _spool(store)
    with store.write() as session:
        [claimed] = spool.claim_messages(session, ctx.now(), LEASE, "worker-a", limit=4)

    with store.write() as session:
        assert spool.release_claim(session, received_id, claimed.attempts)
        # Given back once; a second release (or one for another attempt) changes nothing.
        assert not spool.release_claim(session, received_id, claimed.attempts)

    with store.read() as session:
        received = session.get(ReceivedMessage, received_id)
        assert received is not None
        assert (received.status, received.attempts, received.lease_until,
                received.claimed_by) == (spool.QUEUED, 0, None, None)
    assert process_claim(store, ctx, "worker-b", limit=1) == 1
    with store.read() as session:
        received = session.get(ReceivedMessage, received_id)
        assert received is not None
        assert (received.status, received.attempts, received.claimed_by) == (
            spool.DONE, 1, "worker-b")


def test_claim_takes_the_oldest_of_queued_and_expired_messages_together(
        store: Store, context: ProcessingContext) -> None:
    ctx = context
    now = ctx.now()
    expired = {"status": spool.PROCESSING, "attempts": 1, "lease_until": now - LEASE}
    oldest_first = [
        _spool(store, next_attempt_at=now - timedelta(minutes=9), **expired),
        _spool(store, next_attempt_at=now - timedelta(minutes=8)),
        _spool(store, next_attempt_at=now - timedelta(minutes=7), **expired),
        _spool(store, next_attempt_at=now - timedelta(minutes=6)),
    ]
    held = _spool(store, next_attempt_at=now - timedelta(minutes=10),
                        status=spool.PROCESSING, attempts=1, lease_until=now + LEASE)
    not_due = _spool(store, next_attempt_at=now + timedelta(minutes=1))

    with store.write() as session:
        first = spool.claim_messages(session, now, LEASE, "worker-a", limit=3)
    with store.write() as session:
        rest = spool.claim_messages(session, now, LEASE, "worker-b", limit=3)

    assert [m.id for m in first] == oldest_first[:3]
    assert [m.id for m in rest] == oldest_first[3:]
    with store.read() as session:
        untouched = session.execute(
            select(ReceivedMessage.id, ReceivedMessage.claimed_by, ReceivedMessage.attempts)
            .where(ReceivedMessage.id.in_((held, not_due)))).all()
    assert sorted(untouched) == sorted([(held, None, 1), (not_due, None, 0)])


def test_claim_reads_only_the_head_of_the_claim_index(engine: Engine, store: Store) -> None:
    """Its cost does not grow with the queue or the history: no scan, no sort of the table.

    Checked on the plans SQLite chooses for a store holding done and queued messages, with
    no statistics (as a store runs) and with them (`ANALYZE`): a single `queued … OR
    processing …` sub-select sorted the whole queue, or with statistics scanned the table;
    the same condition repeated in the UPDATE's WHERE visited the whole queue.
    """
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's query plan")
    raw = email("bob@client.test", "alice@acme.test")
    with store.write() as session:
        session.add_all(ReceivedMessage(channel="log", raw=raw, status=status)
                        for status in [spool.DONE] * 300 + [spool.QUEUED] * 30)
    compiled = spool._claim_statement(4).compile(dialect=engine.dialect)
    params = compiled.construct_params({"now": "2026-01-01", "lease_until": "2026-01-01",
                                        "claimed_by": "w", "max_bytes": 1 << 24})
    positional = tuple(params[k] for k in compiled.positiontup or ())
    for statistics in (False, True):
        with engine.begin() as connection:
            if statistics:
                connection.exec_driver_sql("ANALYZE")
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", positional)
            plan = {node: (parent, str(detail))
                    for node, parent, _, detail in (tuple(row) for row in rows)}

        details = [detail for _, detail in plan.values()]
        reads = [detail for detail in details if "received_messages" in detail]
        assert len(reads) == 3, details
        # The UPDATE finds the chosen rows by id.
        assert reads[0].startswith("SEARCH received_messages USING "), details
        assert reads[0].endswith("INDEX sqlite_autoindex_received_messages_1 (id=?)"), details
        ranges = [parent for parent, detail in plan.values() if detail.startswith(
            "SEARCH received_messages USING INDEX ix_received_messages_claim")]
        assert len(ranges) == 2, details
        for reader in ranges:
            # Each range is its own sub-select, read in the index's order: nothing sorts it.
            assert plan[reader][1].startswith("CO-ROUTINE"), details
            assert not [d for parent, d in plan.values() if parent == reader and "TEMP" in d]


def test_claiming_and_settling_a_large_message_does_not_write_its_bytes_again(
        engine: Engine, store: Store, context: ProcessingContext) -> None:
    """The bytes live apart from the status row, so a claim changes only the small row.

    Measured in SQLite's write-ahead log: with the bytes in the status row, each change of
    status appended the whole message to it again (and held the write lock meanwhile).
    """
    if engine.dialect.name != "sqlite":
        pytest.skip("reads SQLite's write-ahead log")
    wal = Path(str(engine.url.database) + "-wal")
    ctx = context
    attachment = b"A" * (4 << 20)
    raw = email("bob@client.test", "alice@acme.test") + attachment
    with store.write() as session:
        spool.enqueue(session, ReceivedMessage(channel="log", raw=raw))
    with closing(sqlite3.connect(str(engine.url.database))) as database:
        database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert wal.stat().st_size == 0

    with store.write() as session:
        [claimed] = spool.claim_messages(session, ctx.now(), LEASE, "worker-a")
        assert claimed.raw == raw
        spool.mark_failed(claimed, "kept for the test")

    assert 0 < wal.stat().st_size < 64 << 10


def test_claim_stops_at_its_byte_budget_but_always_takes_the_oldest(
        store: Store, context: ProcessingContext) -> None:
    """What a worker holds in memory is bounded by bytes (claim_bytes), not only by count."""
    ctx = context
    body = email("bob@client.test", "alice@acme.test")
    sizes = [3000, 3000, 3000, 200]
    ids = []
    for n, size in enumerate(sizes):
        with store.write() as session:
            row = ReceivedMessage(channel="log", raw=body + b"x" * (size - len(body)),
                                  next_attempt_at=ctx.now() - timedelta(minutes=10 - n))
            spool.enqueue(session, row)
            session.flush()
            ids.append(row.id)

    with store.write() as session:
        first = spool.claim_messages(session, ctx.now(), LEASE, "w", limit=4, max_bytes=6500)
    with store.write() as session:
        # The oldest left is claimed although it alone is over the budget.
        second = spool.claim_messages(session, ctx.now(), LEASE, "w", limit=4, max_bytes=1000)
    with store.write() as session:
        third = spool.claim_messages(session, ctx.now(), LEASE, "w", limit=4, max_bytes=1000)

    assert [[m.id for m in claim] for claim in (first, second, third)] == [
        ids[:2], ids[2:3], ids[3:]]
    assert [m.size for m in first + second + third] == sizes
