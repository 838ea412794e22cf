"""The spool: every message blindcopy received, raw bytes and envelope, with its status.

A row is written in the same transaction that answers SMTP DATA or an API call, and is
never dropped: it ends `done`, `quarantined` or `failed` and can be replayed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.models.base import Base, new_id, utcnow


class ReceivedRaw(Base):
    """The raw bytes of one received message, kept apart from its status.

    SQLite rewrites a whole row, its overflow pages too, whenever any column of it changes:
    with the bytes in the status row, a claim and a settle each wrote the message again (a
    25 MB message held the one write lock about 140 ms each time). Written once, read by
    the worker with its claim, deleted with the received message.
    """

    __tablename__ = "received_raws"

    received_message_id: Mapped[str] = mapped_column(
        ForeignKey("received_messages.id", ondelete="CASCADE"), primary_key=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)


class ReceivedMessage(Base):
    """One received message (one SMTP transaction or one API call)."""

    __tablename__ = "received_messages"
    __table_args__ = (
        Index("ix_received_messages_claim", "status", "next_attempt_at"),
        # Listings page newest first (GET /v1/messages, the quarantine).
        Index("ix_received_messages_received_at", "received_at", "id"),
        # Retention walks processed messages oldest first (SPEC §13).
        Index("ix_received_messages_processed_at", "processed_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # Loaded with the row by an inner join; `raw` reads and sets the bytes (and `size`).
    stored_raw: Mapped[ReceivedRaw] = relationship(
        lazy="joined", innerjoin=True, cascade="all, delete-orphan", passive_deletes=True)
    # Bytes of the raw message: a claim adds them up (claim_bytes).
    size: Mapped[int] = mapped_column(default=0, server_default="0")
    mail_from: Mapped[str] = mapped_column(String(320), default="")
    rcpt_to: Mapped[list[str]] = mapped_column(default=list)
    client_ip: Mapped[str] = mapped_column(String(64), default="")
    helo: Mapped[str] = mapped_column(String(255), default="")
    tls: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Capture context for channels log and sync.
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    mailbox_id: Mapped[str | None] = mapped_column(String(32), default=None)
    project_ids: Mapped[list[str]] = mapped_column(default=list)
    # Processing state.
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    # The worker that claimed it last ("host:pid/n"): shows how work spreads over workers.
    claimed_by: Mapped[str | None] = mapped_column(String(255), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    message_id: Mapped[str | None] = mapped_column(String(998), index=True, default=None)
    authentication_results: Mapped[str | None] = mapped_column(Text, default=None)
    quarantine_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    released: Mapped[bool] = mapped_column(default=False)

    @property
    def raw(self) -> bytes:
        """The raw message, as received."""
        return self.stored_raw.raw

    @raw.setter
    def raw(self, value: bytes) -> None:
        self.stored_raw = ReceivedRaw(raw=value)
        self.size = len(value)


class Decision(Base):
    """The stored decision for one processing of a received message (newest wins)."""

    __tablename__ = "decisions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    received_message_id: Mapped[str] = mapped_column(
        ForeignKey("received_messages.id", ondelete="CASCADE"), index=True
    )
    rules_version: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
