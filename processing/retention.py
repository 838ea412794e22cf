"""The retention sweeps a worker runs between its claims (SPEC §13).

Each call of `RetentionSweeps.run` does at most one batch of each window (a short write
transaction of `retention_batch` rows), so a claim never waits long behind it; while a
window has more to do, the next call comes after the worker's next claim, else after
`retention_interval` seconds. Counts go to /metrics (blindcopy_retention_removed).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from processing.context import ProcessingContext
from store.database import Store
from store.retention import Cursor, delete_old_events, delete_unlogged, drop_old_raws

log = logging.getLogger("blindcopy.worker")


@dataclass(slots=True)
class RetentionSweeps:
    """Where each sweep of this worker stands, and when it is due again."""

    raw_cursor: Cursor = None
    unlogged_cursor: Cursor = None
    due_at: float = field(default_factory=time.monotonic)

    def run(self, store: Store, ctx: ProcessingContext) -> int:
        """Run one batch of each window if due; return how many rows were removed."""
        if time.monotonic() < self.due_at:
            return 0
        now, batch = ctx.now(), ctx.retention_batch
        with store.write() as session:
            raws = drop_old_raws(session, now - ctx.raw_retention, self.raw_cursor, batch)
        with store.write() as session:
            unlogged = delete_unlogged(session, now - ctx.unlogged_retention,
                                       self.unlogged_cursor, batch)
        # Rows before a cursor were examined and are not read again (a kept message stays
        # kept: what it logged does not change); rows after it become due as time passes.
        with store.write() as session:
            events = delete_old_events(session, now - ctx.event_retention, batch)
        self.raw_cursor, self.unlogged_cursor = raws.cursor, unlogged.cursor
        more = raws.full or unlogged.full or events.full
        self.due_at = time.monotonic() + (0 if more else ctx.retention_interval_seconds)
        for kind, count in (("raws", raws.removed), ("unlogged", unlogged.removed),
                            ("events", events.removed)):
            if count:
                ctx.metrics.count_retention(kind, count)
                log.info("retention removed", extra={"kind": kind, "count": count})
        return raws.removed + unlogged.removed + events.removed

