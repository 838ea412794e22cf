"""Workers: loops that process claims until stopped; the sweep of abandoned claims.

A worker is synchronous (its work is CPU and the store; only sender verification awaits
DNS, on the context's background loop). `blindcopy serve` and `blindcopy worker` run
`workers` of them, each in a thread of its own (beside the SMTP gateway and the API).
A temporary failure (DNS, an unreachable or busy store) is retried without limit, with
capped backoff; any other is retried `max_attempts` times, then the message is kept as
`failed` with its error, to be replayed with `blindcopy replay`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import CancelledError

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from processing.claim import process_claim
from processing.context import ProcessingContext
from processing.retention import RetentionSweeps
from processing.webhooks import DELIVERY_BATCH, WebhookSender, deliver_due
from store import spool
from store.database import Store
from store.events import EventType, emit_many, message_events
from store.models import ReceivedMessage

log = logging.getLogger("blindcopy.worker")
IDLE_POLL_SECONDS = 0.2
DELIVERY_POLL_SECONDS = 0.5
DELIVERY_GATHER_SECONDS = 0.5
STORE_DOWN_PAUSE_SECONDS = 1.0


def worker_id(index: int | str = 0) -> str:
    """Return the id this process's worker `index` records on the messages it claims.

    The API records `worker_id("api")` on the captures it processes itself.
    """
    return f"{socket.gethostname()}:{os.getpid()}/{index}"


def fail_abandoned(store: Store, ctx: ProcessingContext) -> int:
    """Keep as failed the messages whose workers died holding them `max_attempts` times."""
    with store.write() as session:
        failed = spool.fail_abandoned_claims(session, ctx.now(), ctx.max_attempts)
        emit_many(session, message_events(session, EventType.MESSAGE_FAILED, session.scalars(
            select(ReceivedMessage).where(ReceivedMessage.id.in_(failed))).all()))
    count = len(failed)
    if count:
        log.error("messages abandoned by dying workers kept as failed", extra={"count": count})
    return count


def run_worker(store: Store, ctx: ProcessingContext, claimer: str, stop: threading.Event,
               wake: threading.Event | None = None, retention: bool = False) -> None:
    """Process claims until `stop` is set; a claim under way is finished first.

    Idle, it waits for `wake` (set when a message is spooled) or a short poll. Every half
    lease it also ends, as failed, the messages abandoned by dying workers too often (not on
    every claim: that would add a write to the hot path). With `retention` it also applies
    the retention windows, one bounded batch between two claims (processing.retention).
    """
    wake = wake or threading.Event()
    next_sweep = time.monotonic()
    sweeps = RetentionSweeps() if retention else None
    while not stop.is_set():
        try:
            if time.monotonic() >= next_sweep:
                fail_abandoned(store, ctx)
                next_sweep = time.monotonic() + ctx.lease_seconds / 2
            if sweeps is not None:
                sweeps.run(store, ctx)
            handled = process_claim(store, ctx, claimer)
        except (DBAPIError, OSError) as exc:
            log.warning("store unavailable to worker: %s", exc)
            stop.wait(STORE_DOWN_PAUSE_SECONDS)
            continue
        except Exception:  # a worker never dies of one claim; its leases give it back
            log.exception("claim interrupted")
            stop.wait(STORE_DOWN_PAUSE_SECONDS)
            continue
        if not handled:
            wake.wait(IDLE_POLL_SECONDS)
            wake.clear()


def run_deliverer(store: Store, ctx: ProcessingContext, claimer: str,
                  stop: threading.Event) -> None:
    """Deliver due webhooks until `stop` is set; a round under way is finished first.

    A thread of its own, beside the message workers: a slow receiver (up to the delivery
    timeout) never holds up a message. Idle, it looks for due deliveries with a read twice
    a second (no write lock on SQLite); after a round that was not full it waits a moment,
    so that deliveries due together go in one round (two short write transactions) rather
    than one by one.
    """
    sender = WebhookSender(ctx)
    while not stop.is_set():
        try:
            handled = deliver_due(store, ctx, claimer, sender)
        except CancelledError:  # the process is stopping: its background loop is closed
            log.info("webhook deliveries stopped; their claims come back with their leases")
            return
        except (DBAPIError, OSError) as exc:
            log.warning("store unavailable to webhook deliveries: %s", exc)
            stop.wait(STORE_DOWN_PAUSE_SECONDS)
            continue
        except Exception:  # a round's claims come back when their leases end
            log.exception("webhook deliveries interrupted")
            stop.wait(STORE_DOWN_PAUSE_SECONDS)
            continue
        if handled < DELIVERY_BATCH:
            stop.wait(DELIVERY_POLL_SECONDS if not handled else DELIVERY_GATHER_SECONDS)


class WorkerThreads:
    """Workers of this process, each in a thread of its own, and one delivering webhooks
    (when there are workers at all)."""

    def __init__(self, store: Store, ctx: ProcessingContext, count: int,
                 wake: threading.Event) -> None:
        self.store = store
        self.stop_event = threading.Event()
        # The first worker of each process applies the retention windows.
        self.threads = {worker_id(i): threading.Thread(
            target=run_worker, args=(store, ctx, worker_id(i), self.stop_event, wake, i == 0),
            name=f"blindcopy-worker-{i}", daemon=True) for i in range(count)}
        if count:
            self.threads[worker_id("webhooks")] = threading.Thread(
                target=run_deliverer, args=(store, ctx, worker_id("webhooks"), self.stop_event),
                name="blindcopy-webhooks", daemon=True)
        for thread in self.threads.values():
            thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask every worker to stop after its claim, and wait up to `timeout` for them.

        The claims of a worker still busy then (waiting on DNS, say) are given back, so
        another worker takes them at once instead of after their leases; if it finishes
        after all, its recording is refused (the claim it held is gone) and nothing is
        recorded twice.
        """
        self.stop_event.set()
        self.join(timeout)
        busy = [claimer for claimer, thread in self.threads.items() if thread.is_alive()]
        if busy:
            try:
                with self.store.write() as session:
                    count = spool.release_claims_of(session, busy)
                log.warning("stopped with claims under way; given back",
                            extra={"workers": busy, "messages": count})
            except Exception:  # the leases give them back later anyway
                log.warning("could not give back claims; their leases will expire",
                            extra={"workers": busy}, exc_info=True)

    def join(self, timeout: float | None = None) -> None:
        """Wait up to `timeout` seconds in all for the workers to end."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self.threads.values():
            thread.join(None if deadline is None else max(deadline - time.monotonic(), 0))


def drain(store: Store, ctx: ProcessingContext, limit: int = 10_000) -> int:
    """Process due messages until none is left (for replay and tests); return the count."""
    count = 0
    while count < limit:
        handled = process_claim(store, ctx, worker_id(), min(ctx.claim_batch, limit - count))
        if not handled:
            break
        count += handled
    return count
