"""The logged-email aggregate: messages (one per email identity), threads, interactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class Thread(Base):
    """A conversation; `status` is open, pending (awaiting assignment) or assigned."""

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_status_id", "status", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # The Message-ID the conversation started with; unique, so concurrent recordings of one
    # conversation cannot open two threads (the loser retries and joins the winner's).
    root_id: Mapped[str | None] = mapped_column(String(998), unique=True, default=None)
    subject: Mapped[str] = mapped_column(Text, default="")
    # Indexed with the id (ix_threads_status_id): threads of a status are paged in id order.
    status: Mapped[str] = mapped_column(String(16), default="open")
    participants: Mapped[list[str]] = mapped_column(default=list)
    candidate_project_ids: Mapped[list[str]] = mapped_column(default=list)
    assigned_project_ids: Mapped[list[str]] = mapped_column(default=list)
    pending_message_ref: Mapped[str | None] = mapped_column(String(32), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """One email, identified by its Message-ID (or a synthetic one); captures share it."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id"), index=True)
    subject: Mapped[str] = mapped_column(Text, default="")
    from_address: Mapped[str] = mapped_column(String(320), default="")
    from_name: Mapped[str] = mapped_column(String(320), default="")
    to: Mapped[list[str]] = mapped_column(default=list)
    cc: Mapped[list[str]] = mapped_column(default=list)
    date: Mapped[datetime | None] = mapped_column(default=None)
    preview: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str | None] = mapped_column(Text, default=None)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Interaction(Base):
    """One email logged on one contact in one project; unique per (project, contact, message)."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("project_id", "contact_id", "message_ref"),
        Index("ix_interactions_contact_logged", "contact_id", "logged_at"),
        Index("ix_interactions_project_message", "project_id", "message_ref"),
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
