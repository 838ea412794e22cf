"""The notices outbox: claim due notices, and settle each as sent, retried or kept.

A claim marks its notices `sending` and commits before any of them is handed to the relay
(record before send): if the sender dies then, the notice stays `sending` until its lease
runs out and is then kept as `interrupted`, never sent again, since the relay may have
taken it. Query functions never commit; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from store.models import Notice

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, INTERRUPTED = "failed", "interrupted"


def has_due_work(session: Session, now: datetime) -> bool:
    """Tell whether a notice is due, or a sending one's lease ran out (read-only, indexed)."""
    due = select(Notice.id).where(
        or_(and_(Notice.status == PENDING, Notice.next_attempt_at <= now),
            and_(Notice.status == SENDING, Notice.lease_until < now))).limit(1)
    return session.scalar(due) is not None


def claim_notices(session: Session, now: datetime, lease: timedelta, limit: int) -> list[Notice]:
    """Claim up to `limit` due notices, oldest first (skipping those another sender locks)."""
    query = (select(Notice).where(Notice.status == PENDING, Notice.next_attempt_at <= now)
             .order_by(Notice.next_attempt_at, Notice.id).limit(limit)
             .with_for_update(skip_locked=True))
    notices = list(session.scalars(query).all())
    for notice in notices:
        notice.status = SENDING
        notice.attempts += 1
        notice.lease_until = now + lease
    return notices


def mark_sent(session: Session, notice_id: str, now: datetime) -> None:
    """Keep the notice as sent."""
    session.execute(update(Notice).where(Notice.id == notice_id)
                    .values(status=SENT, sent_at=now, lease_until=None, last_error=None))


def mark_unsent(session: Session, notice_id: str, error: str, retry_at: datetime | None,
                final_status: str = FAILED) -> None:
    """Try the notice again at `retry_at`, or keep it in `final_status` (None: no retry)."""
    values = ({"status": PENDING, "next_attempt_at": retry_at} if retry_at is not None
              else {"status": final_status})
    session.execute(update(Notice).where(Notice.id == notice_id)
                    .values(**values, lease_until=None, last_error=error[:2000]))


def keep_interrupted(session: Session, now: datetime) -> int:
    """Keep as interrupted the notices whose sender stopped while sending them."""
    result = session.execute(
        update(Notice).where(Notice.status == SENDING, Notice.lease_until < now)
        .values(status=INTERRUPTED, lease_until=None,
                last_error="the sender stopped while sending it; it may have been sent")
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
