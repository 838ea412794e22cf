"""A worker's steps for messages a test claimed itself: judge, record, settle.

`processing.claim.process_claim` claims and processes in one call. A test that claims by
hand (to let a lease run out and another worker take the message over, or to process it
under an older attempt) takes the claimed messages through the same steps here.
"""

from __future__ import annotations

from collections.abc import Sequence

from processing.claim import settle
from processing.context import ProcessingContext
from processing.judging import Job, judge, live
from processing.record import record
from store.database import Store
from store.models import ReceivedMessage


def process_claimed(store: Store, ctx: ProcessingContext, claimed: Sequence[ReceivedMessage],
                    attempt: int | None = None) -> list[Job]:
    """Process claimed messages together, each under `attempt` (default: its own claim's);
    return their jobs (a failure is kept on its message, and on its job)."""
    jobs = [Job(message, attempt=message.attempts if attempt is None else attempt)
            for message in claimed]
    judge(store, jobs, ctx)
    record(store, live(jobs), ctx)
    settle(store, jobs, ctx)
    return jobs


def process_received(store: Store, ctx: ProcessingContext, received_id: str,
                     attempt: int) -> Job:
    """Process one stored message under the claim that made `attempt`; return its job."""
    with store.read() as session:
        received = session.get(ReceivedMessage, received_id)
    assert received is not None, received_id
    [job] = process_claimed(store, ctx, [received], attempt)
    return job
