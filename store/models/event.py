"""The events aggregate: the outbox of what happened, webhooks and their deliveries (SPEC §10).

An event row is written in the transaction of the change it tells (store/events.py), with a
delivery row for each webhook it matches; the workers deliver those (processing/webhooks.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow

# SQLite's INTEGER PRIMARY KEY is its rowid; PostgreSQL gets a BIGSERIAL.
Sequence = BigInteger().with_variant(Integer(), "sqlite")


class Event(Base):
    """One change that committed: its type, project and the resource as the API shows it.

    `seq` is the order of insertion; `transaction_id` is PostgreSQL's id of the inserting
    transaction (0 on SQLite, whose writers commit one at a time). The feed reads events in
    (transaction_id, seq) order, and only those of transactions older than every one still
    running, so a cursor never passes an event that commits later (store/events.py).
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_position", "transaction_id", "seq"),
        # Retention deletes the oldest events.
        Index("ix_events_created_at", "created_at"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Sequence, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(40), unique=True)
    transaction_id: Mapped[int] = mapped_column(BigInteger, default=0)
    type: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(32), default=None)
    data: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    """An endpoint events are delivered to; `types` and `project_ids` filter (empty: all)."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(Text)
    types: Mapped[list[str]] = mapped_column(default=list)
    project_ids: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    # `whsec_` + base64 of the key: the signing key must be kept to sign.
    secret: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """The delivery of one event to one webhook (one row per pair), with its attempts.

    `status`: pending (due at `next_attempt_at`), delivering (claimed by a worker until
    `lease_until`), delivered or failed. `attempts_log` keeps each attempt: time, status
    code, error.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id"),
        Index("ix_webhook_deliveries_claim", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_webhook", "webhook_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(255), default=None)
    attempts_log: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)
