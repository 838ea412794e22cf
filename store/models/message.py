"""The logged-email aggregate: threads, messages and interactions, each inside one project.

A project shows only what was captured for it (SPEC §9): an email logged in two projects is
two message rows, and a conversation is a thread per project. Nothing here is shared across
projects, whatever Message-ID an email carries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class Thread(Base):
    """A conversation in one project; `status` is open, pending or assigned.

    A thread pending between projects has a row in each of them (its siblings: the same
    root id, the same candidates); assigning one assigns them all.
    """

    __tablename__ = "threads"
    __table_args__ = (
        # One thread per conversation and project, so concurrent recordings of one
        # conversation cannot open two (the loser retries and joins the winner's).
        UniqueConstraint("project_id", "root_id"),
        # Threads of a status are paged in id order.
        Index("ix_threads_status_id", "status", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # The Message-ID the conversation started with.
    root_id: Mapped[str] = mapped_column(String(998))
    subject: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    participants: Mapped[list[str]] = mapped_column(default=list)
    candidate_project_ids: Mapped[list[str]] = mapped_column(default=list)
    assigned_project_ids: Mapped[list[str]] = mapped_column(default=list)
    # The received messages that wait for the assignment (processed again when it comes).
    pending_received_ids: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One email as recorded in one project; the captures of it in that project share it.

    An email is its Message-ID (or a synthetic one) and its fingerprint (From, To, Cc, Date,
    Subject and the normalised text): another email reusing a Message-ID is another row.
    """

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("project_id", "message_id", "fingerprint"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(998))
    # NULL only on rows recorded before fingerprints (migration 0008): any capture of that
    # Message-ID is taken for the same email, and its fingerprint is kept from then on.
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id"), index=True)
    # The capture that recorded it first (its decision is told when the Message-ID is reused).
    received_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # The forwarded original's own DKIM signature verified and aligned with its From (§9).
    original_verified: Mapped[bool] = mapped_column(default=False)
    subject: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(320), default="")
    to: Mapped[list[str]] = mapped_column(default=list)
    cc: Mapped[list[str]] = mapped_column(default=list)
    date: Mapped[datetime | None] = mapped_column(default=None)
    preview: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str | None] = mapped_column(Text, default=None)
    # The HTML body, sanitised when it was recorded (kept like `text`, per store_bodies).
    html: Mapped[str | None] = mapped_column(Text, default=None)
    # The header fields that matter to a reader, decoded: [{name, value}, …] (SPEC §12).
    headers: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    # The calendar UID of the meeting its invitation (REQUEST or CANCEL) is about (§12).
    meeting_uid: Mapped[str | None] = mapped_column(String(998), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Interaction(Base):
    """One email logged on one contact in one project; unique per (project, contact, message)."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("project_id", "contact_id", "message_ref"),
        Index("ix_interactions_contact_logged", "contact_id", "logged_at"),
        Index("ix_interactions_project_message", "project_id", "message_ref"),
        # Deleting a message (erasure) finds its interactions (ON DELETE CASCADE) by it.
        Index("ix_interactions_message_ref", "message_ref"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    contact_id: Mapped[str] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    message_ref: Mapped[str] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(String(32), index=True)
    user_id: Mapped[str | None] = mapped_column(String(32), default=None)
    type: Mapped[str] = mapped_column(String(64), default="Email")
    channels: Mapped[list[str]] = mapped_column(default=list)
    logged_at: Mapped[datetime] = mapped_column(default=utcnow)
    unlogged_at: Mapped[datetime | None] = mapped_column(default=None)
    unlogged_by: Mapped[str | None] = mapped_column(String(32), default=None)
    # Shown in full only to its user and admins (SPEC §13); others see that it occurred.
    private: Mapped[bool] = mapped_column(default=False, server_default=false())
