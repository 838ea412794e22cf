"""The console's sessions and the notices outbox (SPEC §14).

A console session is a signed-in browser: the cookie holds a random value whose SHA-256 is
the row's id; the row names the API token it was opened with (by the token's hash), so the
session is exactly as strong as the token and ends when the token is revoked. A notice is
an email to the user whose capture logged nothing or ended pending, written in the same
transaction as the decision and sent later by the workers (at most one per captured
message: `received_message_id` is unique).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, new_id, utcnow


class ConsoleSession(Base):
    """A browser signed in to the console with an API token."""

    __tablename__ = "console_sessions"

    # SHA-256 hex of the cookie's value: a copy of the table opens no session.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 hex of the API token it was opened with (or of the bootstrap admin token).
    token_hash: Mapped[str] = mapped_column(String(64), index=True)
    # The value every form of this session carries (compared in constant time).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Notice(Base):
    """An email telling a user what became of their capture; `status` says where it is.

    pending (due at `next_attempt_at`) → sending (claimed, committed before the relay is
    contacted) → sent; or failed (refused, or out of attempts), or interrupted (the sender
    stopped while the relay had it: it may have been sent, so it is not sent again).
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_status_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    received_message_id: Mapped[str] = mapped_column(
        ForeignKey("received_messages.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # The captured message's Message-ID: the notice is a reply to it in the user's client.
    in_reply_to: Mapped[str] = mapped_column(String(998), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
