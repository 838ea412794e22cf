"""Webhook queries: endpoints, and their deliveries claimed, settled and retried like messages.

A delivery row exists once per (webhook, event) (store/events.py adds them with the event).
A worker claims due ones with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite's one
writer serializes claims), so one attempt at a time is in flight for each; a worker that
dies leaves its claims to expire. Query functions never commit.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BindParameter, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from store.errors import Conflict, NotFound
from store.models import Event, Webhook, WebhookDelivery, table_of
from store.queries.pages import Page

DELIVERIES, EVENTS, WEBHOOKS = table_of(WebhookDelivery), table_of(Event), table_of(Webhook)


class DeliveryStatus(StrEnum):
    """Where a delivery is: due, under way, done, or given up after every attempt."""

    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    FAILED = "failed"


def get_webhook(session: Session, webhook_id: str) -> Webhook:
    """Return the webhook or raise NotFound."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"Webhook {webhook_id} does not exist.")
    return webhook


def list_webhooks(session: Session, *, after_id: str | None, limit: int) -> Page[Webhook]:
    """Return a page of webhooks in id order."""
    query = select(Webhook).order_by(Webhook.id)
    if after_id is not None:
        query = query.where(Webhook.id > after_id)
    return Page.from_rows(session.scalars(query.limit(limit + 1)).all(), limit)


def list_deliveries(session: Session, webhook_id: str, *, status: str | None,
                    after_id: str | None, limit: int) -> Page[tuple[WebhookDelivery, str]]:
    """Return a page of the webhook's deliveries (with their event types), by id."""
    query = (select(WebhookDelivery, Event.type)
             .join(Event, Event.id == WebhookDelivery.event_id)
             .where(WebhookDelivery.webhook_id == webhook_id).order_by(WebhookDelivery.id))
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if after_id is not None:
        query = query.where(WebhookDelivery.id > after_id)
    rows = [(row[0], row[1]) for row in session.execute(query.limit(limit + 1)).all()]
    return Page.from_rows(rows, limit)


def retry_delivery(session: Session, webhook_id: str, delivery_id: str,
                   now: datetime) -> tuple[WebhookDelivery, str]:
    """Make a delivery due now, for one more attempt; a delivery under way is a Conflict."""
    row = session.execute(
        select(WebhookDelivery, Event.type).join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.webhook_id == webhook_id)
        .with_for_update(of=WebhookDelivery)).first()
    if row is None:
        raise NotFound(f"Delivery {delivery_id} of webhook {webhook_id} does not exist.")
    delivery, event_type = row
    if delivery.status == DeliveryStatus.DELIVERING:
        raise Conflict(f"Delivery {delivery_id} is under way; it cannot be retried now.")
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    return delivery, event_type


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a worker holds: what to send, where, with which key, and its attempts."""

    id: str
    attempt: int
    url: str
    secret: str
    event_id: str
    event_type: str
    event_time: datetime
    data: dict[str, Any]
    attempts_log: list[dict[str, Any]] = field(default_factory=list)


def _due(now: datetime | BindParameter[datetime]) -> Any:
    columns = DELIVERIES.c
    return or_(and_(columns.status == DeliveryStatus.PENDING, columns.next_attempt_at <= now),
               and_(columns.status == DeliveryStatus.DELIVERING, columns.lease_until < now))


def has_due_deliveries(session: Session, now: datetime) -> bool:
    """Tell whether a delivery is due (a read, so an idle worker takes no write lock)."""
    return session.execute(select(DELIVERIES.c.id).where(_due(now)).limit(1)).first() is not None


@functools.cache
def _claim_statement(limit: int) -> Any:
    """The claiming UPDATE … RETURNING of up to `limit` due deliveries, oldest first.

    The chosen rows are a CTE, materialized on PostgreSQL, so the planner cannot run the
    sub-select again while updating and claim more than `limit`.
    """
    columns = DELIVERIES.c
    now: BindParameter[datetime] = bindparam("now")
    due = (select(columns.id).where(_due(now)).order_by(columns.next_attempt_at).limit(limit)
           .with_for_update(skip_locked=True).cte("due")
           .prefix_with("MATERIALIZED", dialect="postgresql"))
    return (update(DELIVERIES).where(columns.id.in_(select(due.c.id)))
            .values(status=DeliveryStatus.DELIVERING, lease_until=bindparam("lease_until"),
                    claimed_by=bindparam("claimed_by"), attempts=columns.attempts + 1)
            .returning(columns.id, columns.attempts, columns.attempts_log))


def claim_deliveries(session: Session, now: datetime, lease: timedelta, claimer: str,
                     limit: int) -> list[ClaimedDelivery]:
    """Claim up to `limit` due deliveries (or ones whose lease expired), with what to send."""
    claimed = {row.id: row for row in session.execute(_claim_statement(limit), {
        "now": now, "lease_until": now + lease, "claimed_by": claimer}).all()}
    if not claimed:
        return []
    rows = session.execute(
        select(DELIVERIES.c.id, WEBHOOKS.c.url, WEBHOOKS.c.secret, EVENTS.c.id, EVENTS.c.type,
               EVENTS.c.created_at, EVENTS.c.data)
        .join(WEBHOOKS, WEBHOOKS.c.id == DELIVERIES.c.webhook_id)
        .join(EVENTS, EVENTS.c.id == DELIVERIES.c.event_id)
        .where(DELIVERIES.c.id.in_(sorted(claimed)))).all()
    return [ClaimedDelivery(delivery_id, claimed[delivery_id].attempts, url, secret, event_id,
                            type_, created_at, data, claimed[delivery_id].attempts_log)
            for delivery_id, url, secret, event_id, type_, created_at, data in rows]


@dataclass(frozen=True, slots=True)
class Attempt:
    """What one attempt of a claimed delivery got: an HTTP status, or an error; and when
    the next is due (None: delivered, or no attempt is left)."""

    delivery: ClaimedDelivery
    at: datetime
    status_code: int | None
    error: str | None
    retry_after: timedelta | None = None

    @property
    def succeeded(self) -> bool:
        """Tell whether the receiver took it (a 2xx answer)."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def status(self) -> DeliveryStatus:
        """Return the status the attempt leaves its delivery in."""
        if self.succeeded:
            return DeliveryStatus.DELIVERED
        return DeliveryStatus.FAILED if self.retry_after is None else DeliveryStatus.PENDING


_SETTLE = (update(DELIVERIES)
           .where(DELIVERIES.c.id == bindparam("delivery_id"),
                  DELIVERIES.c.status == DeliveryStatus.DELIVERING,
                  DELIVERIES.c.attempts == bindparam("attempt"))
           .values(status=bindparam("new_status"), lease_until=None,
                   next_attempt_at=bindparam("new_next_attempt_at",
                                             type_=DELIVERIES.c.next_attempt_at.type),
                   delivered_at=bindparam("new_delivered_at",
                                          type_=DELIVERIES.c.delivered_at.type),
                   attempts_log=bindparam("new_attempts_log", type_=JSON)))


def settle_attempts(session: Session, attempts: list[Attempt]) -> int:
    """Keep each attempt on its delivery (one UPDATE for all): delivered, due again after
    its `retry_after`, or failed. Return how many were kept: a delivery another worker
    claimed since its lease ended is left to it."""
    if not attempts:
        return 0
    rows = [{"delivery_id": a.delivery.id, "attempt": a.delivery.attempt,
             "new_status": a.status,
             "new_next_attempt_at": a.at + (a.retry_after or timedelta()),
             "new_delivered_at": a.at if a.succeeded else None,
             "new_attempts_log": [*a.delivery.attempts_log, {
                 "at": a.at.isoformat(), "status_code": a.status_code, "error": a.error}]}
            for a in attempts]
    return int(session.connection().execute(_SETTLE, rows).rowcount)
